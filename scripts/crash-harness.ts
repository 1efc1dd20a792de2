// The crash test (DESIGN.md invariants 6 and 9, issue 8): promotions are killed at chosen steps
// with every executor (shell over SSH with rename.pl and with rename.sh, --sftp-only, a local directory), and recovered at
// once with `resume` or `rollback`, while the server side may still be working: the sshd's `mv`
// and `unzip` are slowed and traced (test/helpers/slow-server.ts). Once the server is quiet, the
// target must verify, hold no `.rip` name and no lock, and equal byte for byte either the
// original tree or the fully promoted one.
//
// Deterministic: a seed picks every kill point and method, and kills wait on events, never on
// sleeps. A kill point is an event of the client (it stops itself there: MAVEN_PROMOTE_STOP_AT)
// or a line of the server's trace (the k-th `mv`, unzip's start or end). Methods:
//   client      SIGKILL of the client; the server sees its connection close
//   orphan      the network goes silent (a frozen proxy), then SIGKILL: the server never learns,
//               and its unzip or rename script runs on (recovery must wait for it or stop it)
//   connection  the TCP connection cut while the client lives on (it fails by itself: --retries 0)
//   remote      the server's unzip or rename script killed (SIGKILL to its process group)
// Recovery alternates resume and rollback, and `--wait` and `--stop`.
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { cliPath } from "../test/helpers/paths.js";
import { continueStopped, procStat } from "../test/helpers/cli-process.js";
import { createSlowServer, type SlowServer } from "../test/helpers/slow-server.js";
import { startSshd, type SshServer } from "../test/helpers/sshd.js";
import { startTcpProxy, type TcpProxy } from "../test/helpers/tcp-proxy.js";
import { treeFingerprint } from "../test/helpers/temp-repos.js";
import { writeExampleRepositories } from "./example-repository.js";
import { seededRandom } from "../test/helpers/seeded-random.js";

const run = promisify(execFile);
const NOW = "2026-11-22T10:15:00Z";

/** shell runs the commit with rename.pl (perl on the server), shell-sh with rename.sh. */
export const EXECUTORS = ["shell", "shell-sh", "sftp-only", "local"] as const;
export const KILL_POINTS = ["plan", "stage", "upload", "unzip-start", "unzip-end", "commit-versions", "commit-metadata", "verify", "finish"] as const;
export const KILL_METHODS = ["client", "orphan", "connection", "remote"] as const;
export type Executor = (typeof EXECUTORS)[number];
export type KillPoint = (typeof KILL_POINTS)[number];
export type Method = (typeof KILL_METHODS)[number];
type Recovery = "resume" | "rollback";

export const POINTS_OF: Record<Executor, readonly KillPoint[]> = {
  shell: KILL_POINTS,
  "shell-sh": KILL_POINTS,
  "sftp-only": ["plan", "stage", "upload", "commit-versions", "commit-metadata", "verify", "finish"],
  local: ["plan", "stage", "upload", "commit-versions", "commit-metadata", "verify", "finish"],
};
const METHODS_OF: Record<Executor, readonly Method[]> = {
  shell: KILL_METHODS,
  "shell-sh": KILL_METHODS,
  "sftp-only": ["client", "orphan", "connection"],
  local: ["client"],
};
/** Points where the server's own work runs: only there can it be killed, or outlive its client. */
const SERVER_POINTS: readonly KillPoint[] = ["unzip-start", "unzip-end", "commit-versions", "commit-metadata"];

export interface CrashOptions {
  kills: number;
  seed: number;
  executors?: readonly Executor[];
  /** Artifacts in the stage beyond org.example:hello (default 5). */
  extraArtifacts?: number;
  /** Seconds each `mv` of the server lingers (default 0.05). */
  mvDelay?: number;
  log?: (line: string) => void;
}

export interface CrashStats {
  seed: number;
  kills: Record<Executor, Record<KillPoint, number>>;
  methods: Record<Method, number>;
  totalKills: number;
  finishedBeforeKill: number;
  recoveries: Record<`${Recovery} --${"wait" | "stop"}` | "none", number>;
  /** Recoveries that found the promotion's own work still running and waited for it or stopped it. */
  foundBusy: number;
  failures: string[];
  seconds: number;
}


function visibleTree(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
}

interface ClientEvent {
  type: string;
  phase?: string;
  id?: string;
  index?: number;
  op?: string;
}

/** How many of each kind of kill point one full promotion passes, per executor (from a calibration run). */
interface Calibration {
  uploadEvents: number;
  /** commit:step indexes of version moves and of metadata flips (transport executors). */
  versionSteps: number[];
  metadataSteps: number[];
  /** mv lines of the server's trace (shell). */
  versionMoves: number;
  metadataMoves: number;
}

export async function runCrashTest(options: CrashOptions): Promise<CrashStats> {
  const { seed } = options;
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const log = options.log ?? (() => {});
  const executors = options.executors ?? EXECUTORS;
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), "maven-promote-crash-"));
  const stats: CrashStats = {
    seed,
    kills: Object.fromEntries(EXECUTORS.map((executor) => [executor, Object.fromEntries(KILL_POINTS.map((point) => [point, 0]))])) as CrashStats["kills"],
    methods: Object.fromEntries(KILL_METHODS.map((method) => [method, 0])) as CrashStats["methods"],
    totalKills: 0,
    finishedBeforeKill: 0,
    recoveries: { "resume --wait": 0, "resume --stop": 0, "rollback --wait": 0, "rollback --stop": 0, none: 0 },
    foundBusy: 0,
    failures: [],
    seconds: 0,
  };
  // Slow enough that a recovery started at once often finds the server still at work.
  const slow = createSlowServer(join(root, "slow"), { mvDelay: options.mvDelay ?? 0.05, unzipDelay: 0.3 });
  let server: SshServer | undefined;
  let proxy: TcpProxy | undefined;
  try {
    const example = writeExampleRepositories(join(root, "example"), { extraArtifacts: options.extraArtifacts ?? 5, extraJarBytes: 20_000 });
    server = await startSshd({ extraConfig: slow.sshdConfig });
    proxy = await startTcpProxy(server.port);
    const knownHosts = join(root, "known_hosts");
    writeFileSync(knownHosts, `[127.0.0.1]:${proxy.port} ${server.hostPublicKeyLine.trim()}\n`);
    const context: RunContext = { staging: example.staging, server, proxy, slow, knownHosts };

    // The two trees every recovery must end in.
    const original = visibleTree(example.target);
    const reference = join(root, "reference");
    cpSync(example.target, reference, { recursive: true });
    await cli(["promote", "--from", example.staging, "--to", reference]);
    const promoted = visibleTree(reference);

    const calibration = {} as Record<Executor, Calibration>;
    for (const executor of executors) {
      const target = join(root, `calibration-${executor}`);
      cpSync(example.target, target, { recursive: true });
      calibration[executor] = await calibrate(context, executor, target);
      rmSync(target, { recursive: true, force: true });
    }
    log(`seed ${seed}; ${executors.map((executor) => `${executor}: ${JSON.stringify(calibration[executor])}`).join("; ")}`);

    // How often each method was used at each point of each executor: the next one is the least used.
    const methodCounts = new Map<string, number>();
    for (let iteration = 0; stats.totalKills < options.kills && iteration < options.kills * 3; iteration++) {
      const executor = executors[iteration % executors.length]!;
      // The point with the fewest kills so far (ties broken by the seed): every point gets hit.
      const fewest = Math.min(...POINTS_OF[executor].map((candidate) => stats.kills[executor][candidate]));
      const point = pick(POINTS_OF[executor].filter((candidate) => stats.kills[executor][candidate] === fewest));
      const methods = METHODS_OF[executor].filter((method) => method !== "remote" || SERVER_POINTS.includes(point));
      const used = (method: Method): number => methodCounts.get(`${executor}/${point}/${method}`) ?? 0;
      const fewestMethod = Math.min(...methods.map(used));
      const method = pick(methods.filter((candidate) => used(candidate) === fewestMethod));
      methodCounts.set(`${executor}/${point}/${method}`, used(method) + 1);
      const recovered = stats.recoveries["resume --wait"] + stats.recoveries["resume --stop"] + stats.recoveries["rollback --wait"] + stats.recoveries["rollback --stop"];
      const how = Math.floor(recovered / 2) % 2 === 0 ? "wait" : "stop";

      const target = join(root, `run-${iteration}`);
      cpSync(example.target, target, { recursive: true });
      slow.reset();
      const label = `${executor}, ${method} at ${point}`;
      let id: string | undefined;
      let expected = original;
      let recoveredBy: keyof CrashStats["recoveries"] = "none";
      try {
        const outcome = await promoteAndKill(context, executor, target, point, killAt(point, calibration[executor], random), method);
        id = outcome.id;
        if (!outcome.killed) {
          // It ended before the kill point: only a success is a reason to (and then it is whole).
          if (outcome.code !== 0) throw new Error(`promote failed by itself before the kill: exit ${outcome.code}: ${outcome.stderr}`);
          stats.finishedBeforeKill++;
          const difference = firstDifference(visibleTree(target), promoted);
          if (difference !== undefined) throw new Error(`promote finished, but the target differs from the promoted tree at ${difference}`);
          rmSync(target, { recursive: true, force: true });
          continue;
        }
        stats.kills[executor][point]++;
        stats.methods[method]++;
        stats.totalKills++;
        if (id === undefined) {
          if (outcome.code === 0) expected = promoted;
        } else {
          // At once: the server (or the client, for a cut connection) may still be at work. A
          // promotion killed before its journal holds only its lock: rollback releases it.
          const journaled = existsSync(join(target, ".maven-promote", id, "journal.json"));
          const recovery: Recovery = journaled && recovered % 2 === 0 ? "resume" : "rollback";
          const to = executor === "local" ? target : `sftp://${server.user}@127.0.0.1:${proxy.port}${target}`;
          const args = [recovery, id, "--to", to, ...(executor === "local" ? [] : ["--identity", server.clientKeyPath, "--known-hosts", knownHosts]), ...(executor === "sftp-only" ? ["--sftp-only"] : [])];
          const result = await cli([...args, ...(how === "wait" ? ["--wait", "120s"] : ["--stop"])], { MAVEN_PROMOTE_EVENTS: "1" });
          if (result.stderr.includes('"type":"recovery:busy"')) stats.foundBusy++;
          recoveredBy = `${recovery} --${how}`;
          expected = recovery === "resume" ? promoted : original;
        }
        stats.recoveries[recoveredBy]++;
        // Once the server is quiet: what clients can read must be whole.
        proxy.cutAll();
        await waitForServerSessions(server.pid, target);
        await cli(["verify", "--to", target]);
        const actual = visibleTree(target);
        const difference = firstDifference(actual, expected);
        if (difference !== undefined) throw new Error(`the target differs from the ${expected === promoted ? "promoted" : "original"} tree at ${difference}`);
        if (existsSync(join(target, ".maven-promote", "lock"))) throw new Error("the target is still locked");
        const rip = Object.keys(treeFingerprint(target)).find((path) => /\.rip(\/|$)/.test(path));
        if (rip !== undefined) throw new Error(`a .rip name is left: ${rip}`);
        rmSync(target, { recursive: true, force: true });
      } catch (error) {
        stats.failures.push(`kill #${stats.totalKills} (${label}, promotion ${id ?? "-"}, recovered by ${recoveredBy}): ${(error as Error).message.split("\n")[0]} [kept at ${target}]`);
        proxy.cutAll();
      }
      if (stats.totalKills % 25 === 0) log(`${stats.totalKills} kills, ${stats.failures.length} failures, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    await proxy?.close();
    await server?.stop();
    slow.close();
    if (stats.failures.length === 0) rmSync(root, { recursive: true, force: true });
    stats.seconds = (Date.now() - started) / 1000;
  }
  return stats;
}

interface RunContext {
  staging: string;
  server: SshServer;
  proxy: TcpProxy;
  slow: SlowServer;
  knownHosts: string;
}

/** Where to kill: a client event (MAVEN_PROMOTE_STOP_AT) or the n-th matching trace line of the server. */
type Kill = { on: "client"; stopAt: string } | { on: "server"; match: (line: string) => boolean; nth: number };

function killAt(point: KillPoint, calibration: Calibration, random: () => number): Kill {
  const within = (count: number): number => 1 + Math.floor(random() * Math.max(count, 1));
  const isMv = (line: string): boolean => line.startsWith("mv ");
  switch (point) {
    case "plan":
    case "stage":
    case "verify":
    case "finish":
      return { on: "client", stopAt: `phase:start:${point}` };
    case "upload":
      return { on: "client", stopAt: `upload:progress:${within(calibration.uploadEvents)}` };
    case "unzip-start":
      return { on: "server", match: (line) => line === "unzip start", nth: 1 };
    case "unzip-end":
      return { on: "server", match: (line) => line === "unzip end", nth: 1 };
    case "commit-versions":
      if (calibration.versionSteps.length > 0) return { on: "client", stopAt: `commit:step:${calibration.versionSteps[within(calibration.versionSteps.length) - 1]}` };
      return { on: "server", match: (line) => isMv(line) && !line.includes("maven-metadata.xml"), nth: within(calibration.versionMoves) };
    case "commit-metadata":
      if (calibration.metadataSteps.length > 0) return { on: "client", stopAt: `commit:step:${calibration.metadataSteps[within(calibration.metadataSteps.length) - 1]}` };
      return { on: "server", match: (line) => isMv(line) && line.includes("maven-metadata.xml"), nth: within(calibration.metadataMoves) };
  }
}

function promoteArgs(context: RunContext, executor: Executor, target: string): string[] {
  if (executor === "local") return ["promote", "--from", context.staging, "--to", target];
  const url = `sftp://${context.server.user}@127.0.0.1:${context.proxy.port}${target}`;
  const only = executor === "sftp-only" ? ["--sftp-only"] : executor === "shell-sh" ? ["--commit-runner", "sh"] : [];
  // --retries 0: a cut connection ends the client (exit 75) and leaves the recovery to `resume`
  // and `rollback`, which this test is about; reconnecting by itself is the fault test's
  // (scripts/fault-harness.ts).
  return ["promote", "--from", context.staging, "--to", url, "--identity", context.server.clientKeyPath, "--known-hosts", context.knownHosts, "--retries", "0", ...only];
}

async function calibrate(context: RunContext, executor: Executor, target: string): Promise<Calibration> {
  context.slow.reset();
  const events: ClientEvent[] = [];
  const child = spawnPromote(promoteArgs(context, executor, target), undefined, (event) => events.push(event));
  const code = await child.exit;
  if (code !== 0) throw new Error(`calibration (${executor}) exited ${code}: ${child.stderr()}`);
  const steps = events.filter((event) => event.type === "commit:step");
  const firstMark = steps.findIndex((event) => event.op === "mark");
  const mvLines = context.slow.lines().filter((line) => line.startsWith("mv "));
  return {
    uploadEvents: events.filter((event) => event.type === "upload:progress").length,
    versionSteps: steps.filter((event) => event.op === "move-dir").map((event) => event.index!),
    metadataSteps: steps.filter((event, at) => event.op === "move-file" && at > firstMark).map((event) => event.index!),
    versionMoves: mvLines.filter((line) => !line.includes("maven-metadata.xml")).length,
    metadataMoves: mvLines.filter((line) => line.includes("maven-metadata.xml")).length,
  };
}

interface PromoteChild {
  child: ReturnType<typeof spawn>;
  exit: Promise<number | null>;
  stderr(): string;
}

function spawnPromote(args: string[], stopAt: string | undefined, onEvent: (event: ClientEvent) => void): PromoteChild {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { PATH: process.env.PATH, MAVEN_PROMOTE_NOW: NOW, MAVEN_PROMOTE_EVENTS: "1", ...(stopAt === undefined ? {} : { MAVEN_PROMOTE_STOP_AT: stopAt }) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let buffer = "";
  let text = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
    buffer += chunk.toString("utf8");
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        onEvent(JSON.parse(line) as ClientEvent);
      } catch {
        // the error line at the end, not an event
      }
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, exit, stderr: () => text };
}

/** Runs promote and kills it at the chosen point the chosen way; resolves once the kill is done. */
async function promoteAndKill(context: RunContext, executor: Executor, target: string, point: KillPoint, kill: Kill, method: Method): Promise<{ id?: string; killed: boolean; code: number | null; stderr?: string }> {
  let id: string | undefined;
  let reached: () => void = () => {};
  const atPoint = new Promise<void>((resolve) => (reached = resolve));
  const stopAt = kill.on === "client" ? kill.stopAt : undefined;
  const [type, key] = stopAt === undefined ? [] : [stopAt.slice(0, stopAt.lastIndexOf(":")), stopAt.slice(stopAt.lastIndexOf(":") + 1)];
  let counted = 0;
  const promoteChild = spawnPromote(promoteArgs(context, executor, target), stopAt, (event) => {
    if (event.type === "lock:acquired") id = event.id;
    if (stopAt === undefined || event.type !== type) return;
    counted++;
    const eventKey = event.phase ?? (event.type === "commit:step" ? String(event.index) : String(counted));
    if (eventKey === key) reached(); // the client has stopped itself right after this event
  });
  const serverReached = kill.on === "server" ? waitForNth(context.slow, kill.match, kill.nth) : undefined;
  const outcome = await Promise.race([
    (serverReached ?? atPoint).then(() => "reached" as const),
    promoteChild.exit.then(() => "exited" as const),
  ]);
  if (outcome === "exited") {
    const stderr = promoteChild.stderr().split("\n").filter((line) => line !== "" && !line.startsWith("{")).join(" ");
    return { ...(id === undefined ? {} : { id }), killed: false, code: await promoteChild.exit, stderr };
  }
  const { child } = promoteChild;
  switch (method) {
    case "client":
      child.kill("SIGKILL");
      await promoteChild.exit;
      break;
    case "orphan":
      context.proxy.freezeAll();
      child.kill("SIGKILL");
      await promoteChild.exit;
      break;
    case "connection":
      context.proxy.cutAll();
      if (kill.on === "client") await continueStopped(child.pid!); // it runs on into the cut connection
      break;
    case "remote":
      await killServerWork(target, id, point.startsWith("unzip") ? "unpacking the bundle" : "running the rename script");
      break;
  }
  return { ...(id === undefined ? {} : { id }), killed: true, code: null };
}

/** Resolves when the trace holds `nth` lines that match (counting from the start of this run). */
async function waitForNth(slow: SlowServer, match: (line: string) => boolean, nth: number): Promise<void> {
  let from = 0;
  for (let seen = 0; seen < nth; seen++) from = (await slow.waitFor(match, { from, timeoutMs: 120_000 })) + 1;
}

/**
 * SIGKILL to the process group of the promotion's fenced work on the server (this machine), once
 * its fence.pid names it: the trace line comes from the work itself, a moment before the fence
 * records its pid. The start time is checked, so a reused pid is never signalled.
 */
async function killServerWork(target: string, id: string | undefined, what: string): Promise<void> {
  if (id === undefined) return;
  const info = join(target, ".maven-promote", id, "fence.pid");
  for (let attempt = 0; attempt < 500; attempt++) {
    const [pid = "", start = "", , ...doing] = existsSync(info) ? readFileSync(info, "utf8").trim().split(" ") : [];
    if (doing.join(" ") === what && /^\d+$/.test(pid) && Number(pid) > 1) {
      if (procStat(Number(pid))?.[19] !== start) return; // it ended already
      // process.kill, not /usr/bin/kill: procps-ng 4.0.2 turns `kill -KILL -PGID` into kill(-1, SIGKILL).
      for (const victim of [-Number(pid), Number(pid)]) {
        try {
          process.kill(victim, "SIGKILL");
          break;
        } catch {
          // no such group (no setsid on the server): the process alone, next
        }
      }
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [cliPath, ...args], { env: { PATH: process.env.PATH, MAVEN_PROMOTE_NOW: NOW, ...env }, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { code?: number; stdout?: string; stderr?: string }) => {
      const stderr = (error.stderr ?? "").split("\n").filter((line) => !line.startsWith("{")).join(" ").trim();
      throw new Error(`maven-promote ${args[0]} exited ${error.code}: ${stderr} ${(error.stdout ?? "").trim().slice(0, 300)}`);
    },
  );
}

/** Waits until the sshd has no session processes left (its children): the server is quiet. */
async function waitForServerSessions(sshdPid: number, target: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const busy = await run("pgrep", ["-P", String(sshdPid)]).then(() => true, () => false);
    if (!busy) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the server's sessions for ${target} did not end`);
}

function firstDifference(actual: Record<string, string>, expected: Record<string, string>): string | undefined {
  for (const path of new Set([...Object.keys(actual), ...Object.keys(expected)])) {
    if (actual[path] !== expected[path]) return `${path} (${actual[path] ?? "missing"} vs expected ${expected[path] ?? "absent"})`;
  }
  return undefined;
}

export function formatCrashStats(stats: CrashStats): string {
  const lines = [`crash test: ${stats.totalKills} kills, seed ${stats.seed}, ${stats.seconds.toFixed(0)} s`];
  lines.push(`  ${"point".padEnd(16)} ${EXECUTORS.map((executor) => executor.padStart(10)).join("")}`);
  for (const point of KILL_POINTS) lines.push(`  ${point.padEnd(16)} ${EXECUTORS.map((executor) => String(stats.kills[executor][point]).padStart(10)).join("")}`);
  lines.push(`  methods: ${KILL_METHODS.map((method) => `${method} ${stats.methods[method]}`).join(", ")}`);
  lines.push(`  recoveries: ${Object.entries(stats.recoveries).map(([how, count]) => `${how} ${count}`).join(", ")}`);
  lines.push(`  recoveries that found the promotion still at work (and waited or stopped it): ${stats.foundBusy}`);
  lines.push(`  finished before the kill landed: ${stats.finishedBeforeKill}`);
  lines.push(`  failures: ${stats.failures.length}`);
  for (const failure of stats.failures) lines.push(`    - ${failure}`);
  return lines.join("\n");
}
