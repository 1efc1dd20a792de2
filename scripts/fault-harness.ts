// The fault test (issue 17): promotions over the real sshd through our fault proxy, each with a
// link that, by seed, is cut (a reset or a clean EOF) or stalled once N bytes have gone one way,
// N anywhere in a clean run's conversation, on every remote executor. A promotion must then
// either finish by itself (--retries: it reconnects and carries on) or end with exit 75 and a
// journal that `resume` completes; a stall must be found by keepalives (ServerAliveInterval 1,
// ServerAliveCountMax 2 here) or simply outlasted. What users can read must end as the whole
// promoted release: no .rip name, no lock, `verify` clean; and never a silent exit, an exit
// other than 0 or 75, or a success reported without its commit.
//
// Deterministic in what it checks; the seed picks each fault (executor, direction, byte offset,
// kind), so a failure is replayed with `npm run fault-test -- --seed S` and the same --cuts and --stalls.
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { cliPath } from "../test/helpers/paths.js";
import { faultFromSeed, startFaultProxy, type Fault, type FaultDirection } from "../test/helpers/fault-proxy.js";
import { seededRandom } from "../test/helpers/seeded-random.js";
import { startSshd, type SshServer } from "../test/helpers/sshd.js";
import { treeFingerprint } from "../test/helpers/temp-repos.js";
import { writeExampleRepositories } from "./example-repository.js";
import { mapLimit } from "../src/util/map-limit.js";

const run = promisify(execFile);
const NOW = "2026-11-22T10:15:00Z";

export const FAULT_EXECUTORS = ["shell", "shell-sh", "sftp-only"] as const;
export type FaultExecutor = (typeof FAULT_EXECUTORS)[number];

export interface FaultOptions {
  /** Cuts (resets and EOFs) to run. */
  cuts: number;
  /** Stalls to run: half for good (found by keepalives), half for less than keepalives allow. */
  stalls: number;
  seed: number;
  executors?: readonly FaultExecutor[];
  /** Promotions run at once (each with its own proxy and target); default 1. */
  concurrency?: number;
  log?: (line: string) => void;
}

export interface FaultStats {
  seed: number;
  runs: number;
  /** By executor, then kind ("reset", "eof", "stall", "stall (brief)"), then direction. */
  faults: Record<string, number>;
  /** How the runs ended: finished by themselves, after how many reconnects; or 75 then resume. */
  finishedAlone: number;
  reconnected: number;
  resumedAfter75: number;
  /** Faults that never fired: the run's conversation ended before the byte offset. */
  notFired: number;
  failures: string[];
  seconds: number;
}

function visibleTree(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
}

export async function runFaultTest(options: FaultOptions): Promise<FaultStats> {
  const started = Date.now();
  const random = seededRandom(options.seed);
  const executors = options.executors ?? FAULT_EXECUTORS;
  const log = options.log ?? (() => {});
  const stats: FaultStats = { seed: options.seed, runs: 0, faults: {}, finishedAlone: 0, reconnected: 0, resumedAfter75: 0, notFired: 0, failures: [], seconds: 0 };
  const root = mkdtempSync(join(tmpdir(), "fault-test-"));
  let sshd: SshServer | undefined;
  try {
    const example = writeExampleRepositories(join(root, "example"), { extraArtifacts: 3, extraJarBytes: 300_000 });
    sshd = await startSshd();
    const sshConfig = join(root, "ssh_config");
    writeFileSync(sshConfig, "Host *\n  ServerAliveInterval 1\n  ServerAliveCountMax 2\n");
    const reference = join(root, "reference");
    cpSync(example.target, reference, { recursive: true });
    await cli(["promote", "--from", example.staging, "--to", reference, "--quiet"]);
    const promoted = visibleTree(reference);
    const context: Context = { root, staging: example.staging, original: example.target, sshd, sshConfig, promoted };

    // How many bytes a clean promotion sends each way, per executor: faults fall within them.
    const clean = {} as Record<FaultExecutor, Record<FaultDirection, number>>;
    for (const executor of executors) clean[executor] = (await promoteThrough(context, executor, undefined, `clean-${executor}`)).bytes;
    log(`seed ${options.seed}; clean runs (bytes up/down): ${executors.map((executor) => `${executor} ${clean[executor].up}/${clean[executor].down}`).join(", ")}`);

    // Every fault is drawn from the seed first, so that running several at once changes nothing.
    const total = options.cuts + options.stalls;
    const faults = Array.from({ length: total }, (_, index) => {
      const executor = executors[index % executors.length]!;
      const stall = index >= options.cuts;
      // Stalls alternate between for good (keepalives must end the link) and brief (it comes back).
      const fault = faultFromSeed(Math.floor(random() * 2 ** 31), clean[executor], { stallShare: stall ? 1 : 0, stallMs: index % 2 === 0 ? Infinity : 1500 });
      return { index, executor, fault };
    });
    let done = 0;
    await mapLimit(faults, options.concurrency ?? 1, async ({ index, executor, fault }) => {
      const kind = fault.kind === "stall" && fault.stallMs !== Infinity ? "stall (brief)" : fault.kind;
      const key = `${executor} ${kind} ${fault.direction}`;
      stats.faults[key] = (stats.faults[key] ?? 0) + 1;
      stats.runs++;
      const label = `#${index} ${executor}: ${kind} ${fault.direction} after ${fault.afterBytes} bytes`;
      try {
        const outcome = await promoteThrough(context, executor, fault, `run-${index}`);
        if (!outcome.fired) stats.notFired++;
        if (outcome.resumed) stats.resumedAfter75++;
        else if (outcome.reconnects > 0) stats.reconnected++;
        else stats.finishedAlone++;
        rmSync(outcome.target, { recursive: true, force: true });
      } catch (error) {
        stats.failures.push(`${label}: ${(error as Error).message.split("\n")[0]} [kept at ${join(root, `run-${index}`)}]`);
        log(`failure: ${stats.failures.at(-1)!}`);
      }
      if (++done % 25 === 0) log(`${done} faults, ${stats.failures.length} failures, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    });
  } finally {
    await sshd?.stop();
    if (stats.failures.length === 0) rmSync(root, { recursive: true, force: true });
    stats.seconds = (Date.now() - started) / 1000;
  }
  return stats;
}

interface Context {
  root: string;
  staging: string;
  original: string;
  sshd: SshServer;
  sshConfig: string;
  promoted: Record<string, string>;
}

/**
 * One promotion through a proxy with the fault (none for a clean run); checks how it ended,
 * resumes it after an exit 75, and checks the target. Throws what went wrong.
 */
async function promoteThrough(context: Context, executor: FaultExecutor, fault: Fault | undefined, name: string) {
  const target = join(context.root, name);
  cpSync(context.original, target, { recursive: true });
  const proxy = await startFaultProxy(context.sshd.port, fault);
  try {
    const knownHosts = join(context.root, `${name}.known_hosts`);
    writeFileSync(knownHosts, `[127.0.0.1]:${proxy.port} ${context.sshd.hostPublicKeyLine}\n`);
    const to = ["--to", `sftp://${context.sshd.user}@127.0.0.1:${proxy.port}${target}`, "--identity", context.sshd.clientKeyPath, "--known-hosts", knownHosts, "--ssh-config", context.sshConfig, "--retry-backoff", "10ms"];
    const only = executor === "sftp-only" ? ["--sftp-only"] : executor === "shell-sh" ? ["--commit-runner", "sh"] : [];
    const promoted = await cliOutcome(["promote", "--from", context.staging, ...to, ...only, "--retries", "3", "--json", "--quiet"]);
    let resumed = false;
    let reconnects = 0;
    if (promoted.code === 0) {
      const report = JSON.parse(promoted.stdout) as { state: string; reconnects: number };
      if (report.state !== "committed") throw new Error(`exit 0, but the state is ${report.state}`);
      reconnects = report.reconnects;
    } else if (promoted.code === 75) {
      // The error is the last line of its kind: the notices of earlier reconnects come first.
      const line = promoted.stderr.split("\n").filter((text) => text.startsWith("maven-promote: ")).pop();
      const id = /promotion (\S+) stopped during/.exec(line ?? "")?.[1];
      if (id === undefined) throw new Error(`exit 75 without naming the promotion: ${line ?? promoted.stderr.slice(0, 300)}`);
      const again = await cliOutcome(["resume", id, ...to, ...only, "--wait", "60s", "--retries", "3"]);
      if (again.code !== 0) throw new Error(`exit 75, then resume exited ${again.code}: ${again.stderr.split("\n")[0]}`);
      resumed = true;
    } else {
      const line = promoted.stderr.split("\n").find((text) => text.startsWith("maven-promote: ")) ?? `(nothing on stderr) ${promoted.stdout.slice(0, 200)}`;
      throw new Error(`exit ${promoted.code} (${promoted.signal ?? "no signal"}): ${line}`);
    }
    const bytes = proxy.bytes();
    const fired = proxy.fired().length > 0;
    await checkTarget(target, context.promoted);
    return { target, bytes, fired, resumed, reconnects };
  } finally {
    await proxy.close();
  }
}

/** What users read is the whole release; nothing of the promotion is left behind. */
async function checkTarget(target: string, promoted: Record<string, string>): Promise<void> {
  const actual = visibleTree(target);
  for (const path of new Set([...Object.keys(actual), ...Object.keys(promoted)])) {
    if (actual[path] !== promoted[path]) throw new Error(`the target differs from the promoted tree at ${path}`);
  }
  if (existsSync(join(target, ".maven-promote", "lock"))) throw new Error("the target is still locked");
  const rip = Object.keys(treeFingerprint(target)).find((path) => /\.rip(\/|$)/.test(path));
  if (rip !== undefined) throw new Error(`a .rip name is left: ${rip}`);
  await cli(["verify", "--to", target]);
}

function cliOutcome(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { PATH: process.env.PATH, MAVEN_PROMOTE_NOW: NOW }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function cli(args: string[]): Promise<void> {
  await run(process.execPath, [cliPath, ...args], { env: { PATH: process.env.PATH, MAVEN_PROMOTE_NOW: NOW }, maxBuffer: 64 * 1024 * 1024 }).catch((error: { code?: number; stderr?: string }) => {
    throw new Error(`maven-promote ${args[0]} exited ${error.code}: ${(error.stderr ?? "").split("\n")[0]}`);
  });
}

export function formatFaultStats(stats: FaultStats): string {
  const lines = [`fault test: ${stats.runs} faults, seed ${stats.seed}, ${stats.seconds.toFixed(0)} s`];
  for (const [key, count] of Object.entries(stats.faults).sort()) lines.push(`  ${key.padEnd(36)} ${String(count).padStart(5)}`);
  lines.push(`  finished by themselves: ${stats.finishedAlone} without a reconnect, ${stats.reconnected} after reconnecting; exit 75 then resume: ${stats.resumedAfter75}`);
  lines.push(`  faults that never fired (the conversation ended first): ${stats.notFired}`);
  lines.push(`  failures: ${stats.failures.length}`);
  for (const failure of stats.failures) lines.push(`    - ${failure}`);
  return lines.join("\n");
}
