// The crash test (DESIGN.md invariants 6 and 9, issues 8 and 18): promotions are killed at chosen
// steps with every executor (shell over SSH: rename.pl with a zip, rename.pl with the tar stream,
// rename.sh with a zip; --sftp-only; a local directory), and recovered at once with `resume` or
// `rollback`, while the server side may still be working: the sshd's `mv`, `unzip` and `tar -x`
// are slowed and traced (test/helpers/slow-server.ts). Once the server is quiet, the target must
// verify, hold no `.rip` name and no lock, and equal byte for byte either the original tree or
// the fully promoted one.
//
// Deterministic: a seed picks every kill point and method, and kills wait on events, never on
// sleeps. A kill point is an event of the client (it stops itself there: MAVEN_PROMOTE_STOP_AT)
// or a line of the server's trace (the k-th `mv`; the start or end of unzip, or of tar for
// shell-tar). With shell-tar the upload point is inside the stream: the client stops at its k-th
// upload:progress (one per write of the tar, before that write), the server's tar -x has started
// and not ended, so the kill leaves the server reading a half-sent tar. Methods:
//   client      SIGKILL of the client; the server sees its connection close
//   orphan      the network goes silent (a frozen proxy), then SIGKILL: the server never learns,
//               and its unzip, tar or rename script runs on (recovery must wait for it or stop
//               it; a tar reading an orphaned stream never ends by itself, so while a recovery
//               waits for one the server is told at last that its client is gone)
//   connection  the TCP connection cut while the client lives on (it fails by itself: --retries 0)
//   remote      the server's unzip, tar or rename script killed (SIGKILL to its process group)
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

/**
 * shell unpacks a zip and commits with rename.pl (perl on the server), shell-tar streams a tar
 * into tar -x and commits with rename.pl, shell-sh streams a tar (the default) and commits with
 * rename.sh.
 */
export const EXECUTORS = ["shell", "shell-tar", "shell-sh", "sftp-only", "local"] as const;
export const KILL_POINTS = ["plan", "stage", "upload", "unpack-start", "unpack-end", "commit-versions", "commit-metadata", "verify", "finish"] as const;
export const KILL_METHODS = ["client", "orphan", "connection", "remote"] as const;
export type Executor = (typeof EXECUTORS)[number];
export type KillPoint = (typeof KILL_POINTS)[number];
export type Method = (typeof KILL_METHODS)[number];
type Recovery = "resume" | "rollback";

export const POINTS_OF: Record<Executor, readonly KillPoint[]> = {
  shell: KILL_POINTS,
  "shell-tar": KILL_POINTS,
  "shell-sh": KILL_POINTS,
  "sftp-only": ["plan", "stage", "upload", "commit-versions", "commit-metadata", "verify", "finish"],
  local: ["plan", "stage", "upload", "commit-versions", "commit-metadata", "verify", "finish"],
};
const METHODS_OF: Record<Executor, readonly Method[]> = {
  shell: KILL_METHODS,
  "shell-tar": KILL_METHODS,
  "shell-sh": KILL_METHODS,
  "sftp-only": ["client", "orphan", "connection"],
  local: ["client"],
};
/**
 * What the executor's options say about the unpack, explicitly: a change of --unpack's default
 * changes no executor.
 */
const ARGS_OF: Record<Executor, readonly string[]> = {
  shell: ["--unpack", "zip"],
  "shell-tar": ["--unpack", "tar"],
  "shell-sh": ["--commit-runner", "sh", "--unpack", "tar"],
  "sftp-only": ["--sftp-only"],
  local: [],
};
/** The unpacker whose trace lines ("unzip start", "tar end") mark unpack-start and unpack-end. */
const UNPACKER_OF: Record<Executor, "unzip" | "tar" | undefined> = { shell: "unzip", "shell-tar": "tar", "shell-sh": "tar", "sftp-only": undefined, local: undefined };

/**
 * The promotion's own work on the server at a point (its fence.pid's "what"), if any: only there
 * can it be killed, or outlive its client. shell-tar's upload is the server's tar reading the stream.
 */
function serverWorkAt(executor: Executor, point: KillPoint): string | undefined {
  if (point === "commit-versions" || point === "commit-metadata") return "running the rename script";
  const unpacking = executor === "shell-tar" ? "unpacking the stream" : "unpacking the bundle";
  if (point === "unpack-start" || point === "unpack-end") return unpacking;
  if (point === "upload" && executor === "shell-tar") return unpacking;
  return undefined;
}

export interface CrashOptions {
  kills: number;
  /** Starts no kill after this many minutes (a long run that must end in time): the stats say how many landed. */
  minutes?: number;
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
  action?: string;
  activity?: string;
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
    // Jars a little over the tar's 256 KiB writes (tar-bundle.ts), so that each goes in a write
    // of its own: shell-tar's stream is 5 writes, and a kill can land before any of them.
    const example = writeExampleRepositories(join(root, "example"), { extraArtifacts: options.extraArtifacts ?? 5, extraJarBytes: 270_000 });
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
    const deadline = options.minutes === undefined ? Infinity : started + options.minutes * 60_000;
    for (let iteration = 0; stats.totalKills < options.kills && iteration < options.kills * 3 && Date.now() < deadline; iteration++) {
      // Turn by turn by kills landed, not by tries: a kill that did not land is tried again with
      // the same executor, so that 45 kills over 5 executors are exactly 9 for each.
      const executor = executors[stats.totalKills % executors.length]!;
      // The point with the fewest kills so far (ties broken by the seed): every point gets hit.
      const fewest = Math.min(...POINTS_OF[executor].map((candidate) => stats.kills[executor][candidate]));
      const point = pick(POINTS_OF[executor].filter((candidate) => stats.kills[executor][candidate] === fewest));
      const methods = METHODS_OF[executor].filter((method) => method !== "remote" || serverWorkAt(executor, point) !== undefined);
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
        const outcome = await promoteAndKill(context, executor, target, point, killAt(executor, point, calibration[executor], random), method);
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
          let busy = false;
          await cli([...args, ...(how === "wait" ? ["--wait", "120s"] : ["--stop"])], { MAVEN_PROMOTE_EVENTS: "1" }, (event) => {
            if (event.type !== "recovery:busy") return;
            busy = true;
            // A tar reading an orphaned stream ends only when its input does: once the recovery
            // waits for it, the server learns that its client is gone (as sshd would, at last,
            // by TCP keepalive). --stop needs no such help.
            if (event.action === "waiting" && event.activity?.startsWith("unpacking the stream")) context.proxy.cutFrozen();
          });
          if (busy) stats.foundBusy++;
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

/**
 * Where to kill: a client event (MAVEN_PROMOTE_STOP_AT) or the n-th matching trace line of the
 * server. `inStream`: the client event comes while it streams into the server's tar, which must
 * have started and not ended when the kill lands.
 */
type Kill = { on: "client"; stopAt: string; inStream?: boolean } | { on: "server"; match: (line: string) => boolean; nth: number };

function killAt(executor: Executor, point: KillPoint, calibration: Calibration, random: () => number): Kill {
  const within = (count: number): number => 1 + Math.floor(random() * Math.max(count, 1));
  const isMv = (line: string): boolean => line.startsWith("mv ");
  switch (point) {
    case "plan":
    case "stage":
    case "verify":
    case "finish":
      return { on: "client", stopAt: `phase:start:${point}` };
    case "upload":
      return { on: "client", stopAt: `upload:progress:${within(calibration.uploadEvents)}`, ...(executor === "shell-tar" ? { inStream: true } : {}) };
    case "unpack-start":
      return { on: "server", match: (line) => line === `${UNPACKER_OF[executor]} start`, nth: 1 };
    case "unpack-end":
      return { on: "server", match: (line) => line === `${UNPACKER_OF[executor]} end`, nth: 1 };
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
  // --retries 0: a cut connection ends the client (exit 75) and leaves the recovery to `resume`
  // and `rollback`, which this test is about; reconnecting by itself is the fault test's
  // (scripts/fault-harness.ts).
  return ["promote", "--from", context.staging, "--to", url, "--identity", context.server.clientKeyPath, "--known-hosts", context.knownHosts, "--retries", "0", ...ARGS_OF[executor]];
}

async function calibrate(context: RunContext, executor: Executor, target: string): Promise<Calibration> {
  context.slow.reset();
  const events: ClientEvent[] = [];
  const child = spawnPromote(promoteArgs(context, executor, target), undefined, (event) => events.push(event));
  const code = await child.exit;
  if (code !== 0) throw new Error(`calibration (${executor}) exited ${code}: ${child.stderr()}`);
  // The executor unpacks the way it is named for (its unpack points match these trace lines).
  const unpacked = (["unzip", "tar"] as const).filter((unpacker) => context.slow.lines().includes(`${unpacker} start`));
  if (unpacked.join() !== (UNPACKER_OF[executor] ?? "")) throw new Error(`calibration (${executor}): the server ran ${unpacked.join(" and ") || "no unpacker"}, expected ${UNPACKER_OF[executor] ?? "none"}`);
  const uploadEvents = events.filter((event) => event.type === "upload:progress").length;
  // One event per write of the tar, each before its write: two at least, or no kill lands inside the stream.
  if (executor === "shell-tar" && uploadEvents < 2) throw new Error(`calibration (shell-tar): the tar went in ${uploadEvents} write(s): no kill point inside the stream (stage more bytes)`);
  const steps = events.filter((event) => event.type === "commit:step");
  const firstMark = steps.findIndex((event) => event.op === "mark");
  const mvLines = context.slow.lines().filter((line) => line.startsWith("mv "));
  return {
    uploadEvents,
    versionSteps: steps.filter((event) => event.op === "move-dir").map((event) => event.index!),
    metadataSteps: steps.filter((event, at) => event.op === "move-file" && at > firstMark).map((event) => event.index!),
    versionMoves: mvLines.filter((line) => !line.includes("maven-metadata.xml")).length,
    metadataMoves: mvLines.filter((line) => line.includes("maven-metadata.xml")).length,
  };
}

interface CliChild {
  child: ReturnType<typeof spawn>;
  exit: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/** The CLI as a child process; each JSON line on its stderr (MAVEN_PROMOTE_EVENTS=1) is an event. */
function spawnCli(args: string[], env: NodeJS.ProcessEnv, onEvent: (event: ClientEvent) => void = () => {}): CliChild {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { PATH: process.env.PATH, MAVEN_PROMOTE_NOW: NOW, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let buffer = "";
  let text = "";
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
    buffer += chunk.toString("utf8");
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      let event: ClientEvent | undefined;
      try {
        event = JSON.parse(line) as ClientEvent;
      } catch {
        // the error line at the end, not an event
      }
      if (event !== undefined) onEvent(event);
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, exit, stdout: () => out, stderr: () => text };
}

function spawnPromote(args: string[], stopAt: string | undefined, onEvent: (event: ClientEvent) => void): CliChild {
  return spawnCli(args, { MAVEN_PROMOTE_EVENTS: "1", ...(stopAt === undefined ? {} : { MAVEN_PROMOTE_STOP_AT: stopAt }) }, onEvent);
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
  if (kill.on === "client" && kill.inStream === true) {
    // The client stopped before one of its writes into the stream: the server's tar must be
    // running, and cannot have ended.
    const inside = await context.slow.waitFor((line) => line === "tar start", { timeoutMs: 120_000 }).then(() => !context.slow.lines().includes("tar end"), () => false);
    if (!inside) {
      child.kill("SIGKILL");
      await promoteChild.exit;
      throw new Error(`the kill at ${kill.stopAt} did not land inside the stream (the server's tar had not started, or had ended: ${context.slow.lines().filter((line) => !line.startsWith("mv ")).join(" | ")})`);
    }
  }
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
      await killServerWork(target, id, serverWorkAt(executor, point)!);
      if (kill.on === "client") await continueStopped(child.pid!); // it runs on, and finds its work on the server gone
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

/** Runs the CLI to its end; any exit but 0 throws, with its message. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}, onEvent?: (event: ClientEvent) => void): Promise<void> {
  const running = spawnCli(args, env, onEvent);
  const code = await running.exit;
  if (code === 0) return;
  const stderr = running.stderr().split("\n").filter((line) => !line.startsWith("{")).join(" ").trim();
  throw new Error(`maven-promote ${args[0]} exited ${code}: ${stderr} ${running.stdout().trim().slice(0, 300)}`);
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
