// The crash test (DESIGN.md invariant 6): promotions to a real sshd are killed at random
// instants in every phase, three ways (SIGKILL of the client, the TCP connection cut by a proxy
// between client and sshd, the remote unzip or rename script killed), and then recovered with
// `resume` or `rollback`, alternating. After each recovery `verify` must pass and the target
// must equal the expected tree: fully promoted after resume, the original after rollback.
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { cliPath } from "../test/helpers/paths.js";
import { startSshd, type SshServer } from "../test/helpers/sshd.js";
import { startTcpProxy, type TcpProxy } from "../test/helpers/tcp-proxy.js";
import { treeFingerprint } from "../test/helpers/temp-repos.js";
import { writeExampleRepositories } from "./example-repository.js";

const run = promisify(execFile);
const NOW = "2026-11-22T10:15:00Z";
export const CRASH_PHASES = ["plan", "stage", "upload", "commit", "verify", "finish"] as const;
export const KILL_METHODS = ["client", "connection", "remote"] as const;
type Phase = (typeof CRASH_PHASES)[number];
type Method = (typeof KILL_METHODS)[number];

export interface CrashOptions {
  kills: number;
  seed?: number;
  extraArtifacts?: number;
  log?: (line: string) => void;
}

export interface CrashStats {
  seed: number;
  kills: Record<Phase, Record<Method, number>>;
  totalKills: number;
  finishedBeforeKill: number;
  recoveries: { resume: number; rollback: number; none: number };
  failures: string[];
  seconds: number;
}

/** mulberry32: a small seeded generator, so that a failing run can be replayed with its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function visibleTree(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
}

interface RunOutcome {
  code: number | null;
  id?: string;
  killedIn?: Phase;
  phases: Array<{ phase: Phase; ms: number }>;
}

export async function runCrashTest(options: CrashOptions): Promise<CrashStats> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);
  const log = options.log ?? (() => {});
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), "maven-promote-crash-"));
  const stats: CrashStats = {
    seed,
    kills: Object.fromEntries(CRASH_PHASES.map((phase) => [phase, Object.fromEntries(KILL_METHODS.map((method) => [method, 0]))])) as CrashStats["kills"],
    totalKills: 0,
    finishedBeforeKill: 0,
    recoveries: { resume: 0, rollback: 0, none: 0 },
    failures: [],
    seconds: 0,
  };
  let server: SshServer | undefined;
  let proxy: TcpProxy | undefined;
  try {
    const example = writeExampleRepositories(join(root, "example"), { extraArtifacts: options.extraArtifacts ?? 12, extraJarBytes: 20_000 });
    server = await startSshd();
    proxy = await startTcpProxy(server.port);
    const knownHosts = join(root, "known_hosts");
    writeFileSync(knownHosts, `[127.0.0.1]:${proxy.port} ${server.hostPublicKeyLine.trim()}\n`);
    const sshArgs = ["--identity", server.clientKeyPath, "--known-hosts", knownHosts];
    const urlOf = (dir: string) => `sftp://${server!.user}@127.0.0.1:${proxy!.port}${dir}`;
    const cli = (args: string[]) =>
      run(process.execPath, [cliPath, ...args], { env: { PATH: process.env.PATH, MAVEN_PROMOTE_NOW: NOW } }).then(
        () => 0,
        (error: { code?: number; stdout?: string; stderr?: string }) => {
          throw new Error(`maven-promote ${args[0]} exited ${error.code}: ${(error.stderr ?? "").trim()} ${(error.stdout ?? "").trim().slice(0, 500)}`);
        },
      );

    // The two trees every recovery must end in.
    const original = visibleTree(example.target);
    const reference = join(root, "reference");
    cpSync(example.target, reference, { recursive: true });
    await cli(["promote", "--from", example.staging, "--to", reference]);
    const promoted = visibleTree(reference);

    // How long each phase takes here, so that kills land inside it.
    const calibration = join(root, "calibration");
    cpSync(example.target, calibration, { recursive: true });
    const timing = await promoteAndMaybeKill(example.staging, urlOf(calibration), sshArgs, undefined, proxy);
    const duration = Object.fromEntries(timing.phases.map(({ phase, ms }) => [phase, Math.max(ms, 1)])) as Record<Phase, number>;
    log(`seed ${seed}; phase durations (ms): ${CRASH_PHASES.map((phase) => `${phase} ${duration[phase]?.toFixed(0)}`).join(", ")}`);

    for (let iteration = 0; stats.totalKills < options.kills && iteration < options.kills * 4; iteration++) {
      const method = KILL_METHODS[iteration % KILL_METHODS.length]!;
      const candidates: readonly Phase[] = method === "remote" ? ["upload", "commit"] : CRASH_PHASES;
      // Aim at the phase with the fewest kills so far for this method: every phase gets hit.
      const phase = [...candidates].sort((a, b) => stats.kills[a][method] - stats.kills[b][method] || random() - 0.5)[0]!;
      const delay = random() * (duration[phase] ?? 10);
      const target = join(root, `run-${iteration}`);
      cpSync(example.target, target, { recursive: true });
      const outcome = await promoteAndMaybeKill(example.staging, urlOf(target), sshArgs, { phase, delay, method }, proxy);
      // The server may still be working through requests the client sent before it died (an
      // SFTP write, an unzip, the rename script): recovery starts once that has ended.
      await waitForServerSessions(server.pid, target);
      if (outcome.killedIn === undefined) {
        stats.finishedBeforeKill++;
        rmSync(target, { recursive: true, force: true });
        continue;
      }
      stats.kills[outcome.killedIn][method]++;
      stats.totalKills++;

      const id = outcome.id ?? promotionIdOn(target);
      const recorded = id !== undefined && existsSync(join(target, ".maven-promote", id, "journal.json"));
      let expected = original;
      let how: "resume" | "rollback" | "none" = "none";
      try {
        if (id !== undefined) {
          how = recorded && (stats.recoveries.resume + stats.recoveries.rollback) % 2 === 0 ? "resume" : "rollback";
          await cli([how, id, "--to", urlOf(target), ...sshArgs]);
          expected = how === "resume" ? promoted : original;
        } else if (outcome.code === 0) {
          expected = promoted; // it finished while the kill was on its way
        }
        stats.recoveries[how]++;
        await cli(["verify", "--to", urlOf(target), ...sshArgs]);
        const actual = visibleTree(target);
        const difference = firstDifference(actual, expected);
        if (difference !== undefined) throw new Error(`after ${how}, the target differs from the expected tree at ${difference}`);
        if (existsSync(join(target, ".maven-promote", "lock"))) throw new Error(`after ${how}, the target is still locked`);
        if (Object.keys(actual).some((path) => path.endsWith(".rip"))) throw new Error(`after ${how}, .rip items are left`);
        rmSync(target, { recursive: true, force: true });
      } catch (error) {
        stats.failures.push(`kill #${stats.totalKills} (${method} in ${outcome.killedIn}, promotion ${id ?? "-"}, recovered by ${how}): ${(error as Error).message} [kept at ${target}]`);
      }
      if (stats.totalKills % 10 === 0) log(`${stats.totalKills} kills, ${stats.failures.length} failures`);
    }
  } finally {
    await proxy?.close();
    await server?.stop();
    if (stats.failures.length === 0) rmSync(root, { recursive: true, force: true });
    stats.seconds = (Date.now() - started) / 1000;
  }
  return stats;
}

/** Runs the CLI's promote; with a plan, kills it `delay` ms into `phase` the chosen way. */
async function promoteAndMaybeKill(
  staging: string,
  to: string,
  sshArgs: string[],
  kill: { phase: Phase; delay: number; method: Method } | undefined,
  proxy: TcpProxy,
): Promise<RunOutcome> {
  const child = spawn(process.execPath, [cliPath, "promote", "--from", staging, "--to", to, ...sshArgs], {
    env: { PATH: process.env.PATH, MAVEN_PROMOTE_NOW: NOW, MAVEN_PROMOTE_EVENTS: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const outcome: RunOutcome = { code: null, phases: [] };
  let current: Phase | undefined;
  let phaseStart = 0;
  let buffer = "";
  let scheduled = false;
  let exited = false;
  child.stderr.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      let event: { type?: string; phase?: Phase; id?: string };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        continue; // the error line at the end, not an event
      }
      if (event.type === "lock:acquired") outcome.id = event.id;
      if (event.type === "phase:start") {
        current = event.phase;
        phaseStart = performance.now();
        if (kill !== undefined && event.phase === kill.phase && !scheduled) {
          scheduled = true;
          setTimeout(() => {
            if (exited) return;
            outcome.killedIn = current;
            if (kill.method === "client") child.kill("SIGKILL");
            else if (kill.method === "connection") proxy.cutAll();
            else void run("pkill", ["-KILL", "-f", current === "commit" ? "sh \\.maven-promote/.*/rename\\.sh" : "unzip -q -o \\.maven-promote"]).catch(() => undefined);
          }, kill.delay);
        }
      }
      if (event.type === "phase:end" && event.phase !== undefined) outcome.phases.push({ phase: event.phase, ms: performance.now() - phaseStart });
    }
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  outcome.code = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  exited = true;
  clearTimeout(timer);
  return outcome;
}

/** Waits until the sshd has no session processes left (its children), i.e. the server is idle. */
async function waitForServerSessions(sshdPid: number, target: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const busy = await run("pgrep", ["-P", String(sshdPid)]).then(() => true, () => false);
    if (!busy) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the server's sessions for ${target} did not end`);
}

function promotionIdOn(target: string): string | undefined {
  const state = join(target, ".maven-promote");
  if (!existsSync(state)) return undefined;
  const lock = join(state, "lock");
  if (existsSync(lock)) {
    try {
      return (JSON.parse(readFileSync(lock, "utf8")) as { id: string }).id;
    } catch {
      // fall through to the journals
    }
  }
  return readdirSync(state).find((name) => name !== "lock");
}

function firstDifference(actual: Record<string, string>, expected: Record<string, string>): string | undefined {
  for (const path of new Set([...Object.keys(actual), ...Object.keys(expected)])) {
    if (actual[path] !== expected[path]) return `${path} (${actual[path] ?? "missing"} vs expected ${expected[path] ?? "absent"})`;
  }
  return undefined;
}

export function formatCrashStats(stats: CrashStats): string {
  const lines = [`crash test: ${stats.totalKills} kills, seed ${stats.seed}, ${stats.seconds.toFixed(0)} s`];
  lines.push(`  ${"phase".padEnd(8)} ${KILL_METHODS.map((method) => method.padStart(12)).join("")}`);
  for (const phase of CRASH_PHASES) lines.push(`  ${phase.padEnd(8)} ${KILL_METHODS.map((method) => String(stats.kills[phase][method]).padStart(12)).join("")}`);
  lines.push(`  recoveries: ${stats.recoveries.resume} resume, ${stats.recoveries.rollback} rollback, ${stats.recoveries.none} with nothing to recover`);
  lines.push(`  finished before the kill landed: ${stats.finishedBeforeKill}`);
  lines.push(`  failures: ${stats.failures.length}`);
  for (const failure of stats.failures) lines.push(`    - ${failure}`);
  return lines.join("\n");
}
