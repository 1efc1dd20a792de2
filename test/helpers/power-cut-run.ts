// The power-cut test's workbench (DESIGN.md invariant 9, issue 17 part 3): a target stopped just
// before its commit, the commit recorded under strace with each executor, every crash state of
// the recording checked against the invariants, and a sample of them recovered with the real CLI.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Journal } from "../../src/promotion/journal.js";
import type { RenameStep } from "../../src/promotion/rename-list.js";
import { renderPerlScript, renderRenameScript } from "../../src/promotion/render-script.js";
import { runCliProcess } from "./cli.js";
import { checkCrashState } from "./crash-invariants.js";
import { enumerateCrashStates, type CrashState } from "./crash-states.js";
import { seededRandom } from "./seeded-random.js";
import { applyChanges, cloneState, compileOps, listTree, loadTree, materialize, type CompiledOp, type FsState } from "./fs-model.js";
import { cliPath } from "./paths.js";
import { recordFileOps, sortConcurrentFsyncs } from "./strace-ops.js";
import { treeFingerprint } from "./temp-repos.js";

/**
 * local: the local executor, whose barrier is one `sync -f` (syncfs); local-fsync: the same
 * where there is no `sync -f`, so it fsyncs each path the rename list's sync step names (the
 * list that --sftp-only sends as fsync@openssh.com); perl and sh: the rendered scripts.
 */
export const EXECUTORS = ["local", "local-fsync", "perl", "sh"] as const;
export type Executor = (typeof EXECUTORS)[number];

const NOW = "2026-11-22T10:15:00Z";
const METADATA_NAME = /(^|\/)maven-metadata\.xml(\.(md5|sha1|sha256|sha512|asc))?$/;

/**
 * Runs `promote` until the commit phase starts (MAVEN_PROMOTE_STOP_AT: it stops itself there),
 * then SIGKILLs it: the target holds the uploaded `.rip` items, the journal (`uploaded`) and the
 * lock of a dead process, exactly what the commit starts from.
 */
export async function stopBeforeCommit(staging: string, target: string): Promise<string> {
  const child = spawn(process.execPath, [cliPath, "promote", "--from", staging, "--to", target], {
    env: { PATH: process.env.PATH, MAVEN_PROMOTE_NOW: NOW, MAVEN_PROMOTE_EVENTS: "1", MAVEN_PROMOTE_STOP_AT: "phase:start:commit" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let text = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (text.includes('{"type":"phase:start","phase":"commit"}')) resolve();
    });
    void exited.then(() => reject(new Error(`promote ended before its commit: ${text}`)));
  });
  // The event line is written just before the SIGSTOP: wait until the kernel shows it stopped.
  while (readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]?.[0] !== "T") await new Promise((resolve) => setImmediate(resolve));
  child.kill("SIGKILL");
  await exited;
  const id = /"type":"lock:acquired","id":"([^"]+)"/.exec(text)?.[1];
  if (id === undefined) throw new Error("no promotion id in the events");
  return id;
}

/** A promotion ready for the power-cut test: stopped before its commit, with the trees a recovery must end in. */
export interface PreparedPromotion {
  preCommit: string;
  id: string;
  promoted: FsState;
  facts: PlanFacts;
  expected: { original: Record<string, string>; promoted: Record<string, string> };
}

/** A real promotion run to its end on one copy of `target` (the reference), and stopped before its commit on another. */
export async function preparePromotion(root: string, staging: string, target: string): Promise<PreparedPromotion> {
  const reference = join(root, "promoted");
  cpSync(target, reference, { recursive: true });
  const promotion = await runCliProcess(["promote", "--from", staging, "--to", reference]);
  if (promotion.code !== 0) throw new Error(`the reference promotion exited ${promotion.code}: ${promotion.stderr}`);
  const preCommit = join(root, "pre-commit");
  cpSync(target, preCommit, { recursive: true });
  const id = await stopBeforeCommit(staging, preCommit);
  return {
    preCommit,
    id,
    promoted: loadTree(reference),
    facts: planFacts(preCommit, id),
    expected: { original: visibleFingerprint(target), promoted: visibleFingerprint(reference) },
  };
}

export interface Recorded {
  executor: Executor;
  initial: FsState;
  ops: CompiledOp[];
  /** The state the replay of every operation reaches, checked against the disk after the run. */
  replayMatchesDisk: boolean;
  /** Index of the first metadata flip, and of the first barrier after the last one (or the end). */
  window: { start: number; end: number };
}

/**
 * Records the commit of promotion `id` on a copy of the pre-commit tree: `local` is the real CLI's
 * `resume` (the local executor's commit, verify and finish), `perl` and `sh` the rename scripts
 * rendered from the journal's rename list and run by perl and sh. `withoutBarrier` drops that
 * sync step from the list first (in the journal too, which resume reads its steps from).
 */
export async function recordCommit(preCommit: string, workDir: string, id: string, executor: Executor, withoutBarrier?: "backups" | "versions" | "metadata"): Promise<Recorded> {
  const target = join(workDir, "target");
  cpSync(preCommit, target, { recursive: true });
  const journalPath = join(target, ".maven-promote", id, "journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as Journal;
  const steps: RenameStep[] = journal.steps.filter((step) => !(step.op === "sync" && step.label === withoutBarrier));
  if (withoutBarrier !== undefined) writeFileSync(journalPath, JSON.stringify({ ...journal, steps }, null, 2) + "\n");
  const initial = loadTree(target);
  let env: NodeJS.ProcessEnv = { PATH: process.env.PATH, MAVEN_PROMOTE_NOW: NOW };
  let command: string[];
  if (executor === "local" || executor === "local-fsync") {
    command = [process.execPath, cliPath, "resume", id, "--to", target];
    // A PATH that finds strace and nothing else: no `sync`, so LocalTransport fsyncs path by path.
    if (executor === "local-fsync") env = { ...env, PATH: binWithOnly(workDir, "strace") };
  } else {
    const script = join(workDir, `rename.${executor === "perl" ? "pl" : "sh"}`);
    const input = { id, root: target, stateDirectory: `.maven-promote/${id}`, steps };
    writeFileSync(script, executor === "perl" ? renderPerlScript(input) : renderRenameScript(input));
    command = [executor, script];
  }
  const recording = await recordFileOps(target, command, { env, traceFile: join(workDir, "strace.txt") });
  if (recording.code !== 0) throw new Error(`${executor} commit exited ${recording.code}: ${recording.stderr}`);
  const { ops, final } = compileOps(initial, sortConcurrentFsyncs(recording.ops));
  const replayMatchesDisk = fingerprintOf(final) === fingerprintOf(loadTree(target));
  return { executor, initial, ops, replayMatchesDisk, window: metadataWindowOf(ops) };
}

function binWithOnly(workDir: string, command: string): string {
  const bin = join(workDir, "bin");
  mkdirSync(bin, { recursive: true });
  const found = (process.env.PATH ?? "").split(":").map((dir) => join(dir, command)).find((path) => existsSync(path));
  if (found === undefined) throw new Error(`${command} is not on PATH`);
  symlinkSync(found, join(bin, command));
  return bin;
}

function metadataWindowOf(ops: readonly CompiledOp[]): { start: number; end: number } {
  const flips = ops.filter((op) => op.changes.length > 0 && op.label.match(/^(rename|unlink) /) !== null && isMetadataTarget(op));
  if (flips.length === 0) return { start: ops.length + 1, end: ops.length + 1 };
  const last = flips[flips.length - 1]!.index;
  // The barrier step after the last flip: one syncfs, or a run of fsyncs (it returns with the last).
  let end = ops.find((op) => op.index > last && op.barrier !== undefined)?.index;
  while (end !== undefined && ops[end + 1]?.barrier !== undefined) end++;
  return { start: flips[0]!.index, end: end ?? Number.POSITIVE_INFINITY };
}

function isMetadataTarget(op: CompiledOp): boolean {
  const path = op.renamedTo ?? op.label.replace(/^unlink /, "");
  return !path.startsWith(".maven-promote") && METADATA_NAME.test(path);
}

export interface CheckedState {
  state: CrashState;
  fingerprint: string;
  tree: FsState;
  problems: string[];
}

/** Every crash state of the recording (see crash-states.ts) with what it breaks; one per distinct tree and window. */
export function checkAllStates(recorded: Recorded, promoted: FsState, facts: PlanFacts, seed: number, perCrashPoint: number): { checked: CheckedState[]; enumerated: number; exhaustive: boolean } {
  const { states, exhaustive } = enumerateCrashStates(recorded.ops, { seed, perCrashPoint });
  const promotedTree = listTree(promoted);
  const original = listTree(recorded.initial);
  const seen = new Map<string, CheckedState>();
  const built = new Set<string>(); // the same operations on disk give the same tree: build it once
  for (const state of states) {
    const inMetadataWindow = state.crashAt > recorded.window.start && state.crashAt <= recorded.window.end;
    const key = `${inMetadataWindow}:${state.persisted.join(",")}`;
    if (built.has(key)) continue;
    built.add(key);
    const tree = cloneState(recorded.initial);
    for (const index of state.persisted) applyChanges(tree, recorded.ops[index]!.changes);
    const fingerprint = `${fingerprintOf(tree)}:${inMetadataWindow}`;
    if (seen.has(fingerprint)) continue;
    seen.set(fingerprint, { state, fingerprint, tree, problems: checkCrashState(listTree(tree), { original, promoted: promotedTree, ...facts, inMetadataWindow }) });
  }
  return { checked: [...seen.values()], enumerated: states.length, exhaustive };
}

export function fingerprintOf(state: FsState): string {
  const hash = createHash("sha256");
  for (const [path, entry] of listTree(state)) hash.update(`${path}\0${entry.type}\0${entry.mode}\0`).update(entry.data).update("\0");
  return hash.digest("hex");
}

/** A seeded, spread-out choice: round robin over (before the window, in it, after it) × (prefix, reordered). */
export function pickForRecovery(checked: readonly CheckedState[], recorded: Recorded, count: number, seed: number): CheckedState[] {
  const random = seededRandom(seed);
  const strata = new Map<string, CheckedState[]>();
  for (const entry of checked) {
    const at = entry.state.crashAt;
    const segment = at <= recorded.window.start ? "before" : at <= recorded.window.end ? "window" : "after";
    const key = `${segment}/${entry.state.kind}`;
    strata.set(key, [...(strata.get(key) ?? []), entry]);
  }
  const queues = [...strata.keys()].sort().map((key) => shuffle(strata.get(key)!, random));
  const picked: CheckedState[] = [];
  while (picked.length < count && queues.some((queue) => queue.length > 0)) {
    for (const queue of queues) if (queue.length > 0 && picked.length < count) picked.push(queue.shift()!);
  }
  return picked;
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

/**
 * Puts the state on disk twice and recovers it with the real CLI, `resume` on one copy and
 * `rollback` on the other; then `verify`, and the trees: resume must give the promoted tree,
 * rollback the original one, neither may leave a `.rip` name or the lock.
 */
export async function recoverState(entry: CheckedState, id: string, workDir: string, expected: { original: Record<string, string>; promoted: Record<string, string> }): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(
    (["resume", "rollback"] as const).map(async (command) => {
      const target = join(workDir, command);
      materialize(entry.tree, target);
      const result = await runCliProcess([command, id, "--to", target]);
      if (result.code !== 0) return void problems.push(`${command} exited ${result.code}: ${firstLine(result.stderr)}`);
      const verify = await runCliProcess(["verify", "--to", target]);
      if (verify.code !== 0) problems.push(`verify after ${command} exited ${verify.code}: ${firstLine(verify.stdout + verify.stderr)}`);
      const tree = treeFingerprint(target);
      const visible = Object.fromEntries(Object.entries(tree).filter(([path]) => !path.startsWith(".maven-promote")));
      const want = command === "resume" ? expected.promoted : expected.original;
      const difference = [...new Set([...Object.keys(visible), ...Object.keys(want)])].find((path) => visible[path] !== want[path]);
      if (difference !== undefined) problems.push(`after ${command}, ${difference} is not as in the ${command === "resume" ? "promoted" : "original"} tree`);
      if (Object.keys(tree).some((path) => /\.rip(\/|$)/.test(path))) problems.push(`${command} left a .rip name`);
      if (tree[".maven-promote/lock"] !== undefined) problems.push(`${command} left the lock`);
    }),
  );
  return problems;
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "" && !line.startsWith("{")) ?? "";
}

/** The visible tree (no .maven-promote) of a directory on disk. */
export function visibleFingerprint(dir: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(dir)).filter(([path]) => !path.startsWith(".maven-promote")));
}

/** What the invariants need from the promotion's plan (its journal): the metadata it changes, the versions it adds. */
export function planFacts(preCommit: string, id: string): PlanFacts {
  const journal = JSON.parse(readFileSync(join(preCommit, ".maven-promote", id, "journal.json"), "utf8")) as Journal;
  return {
    changedMetadata: new Set(journal.plan.metadata.filter((entry) => entry.changed).map((entry) => entry.path)),
    newVersionDirectories: journal.plan.versions.filter((version) => version.state === "new").map((version) => version.path),
  };
}

export interface PlanFacts {
  changedMetadata: ReadonlySet<string>;
  newVersionDirectories: readonly string[];
}

export function freshDir(parent: string, name: string): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
