// What each phase of a promotion does once the plan is made: stage, upload, commit, verify,
// finish. promote() walks them from the PHASES table; resume() re-enters them from a journal.
import { createHash } from "node:crypto";
import { PromoteError } from "../errors.js";
import { digestFile } from "../integrity/digests.js";
import { dirname } from "../maven/repository-path.js";
import { probeMany } from "../transport/read-many.js";
import { mapLimit } from "../util/map-limit.js";
import type { NetworkStats } from "../transport/round-trips.js";
import type { ExecResult, Transport } from "../transport/transport.js";
import { bundleEntries, bundleEntrySize, bundleStream, estimatedBundleSize, type BundleEntry } from "./bundle.js";
import { tarBundleLength, tarBundleStream } from "./tar-bundle.js";
import { umaskFor } from "../transport/permissions.js";
import { describeFreeSpace, looksFull, NO_SPACE_TEXT, noSpaceError } from "../transport/no-space.js";
import { executeSteps } from "./execute-steps.js";
import { FENCE_HELD_EXIT, fencedCommand, fencedStreamCommand, STREAM_UNPACK } from "./fence.js";
import { serverTar, tarExtractCommand, type UnpackChoice } from "./server-tar.js";
import type { PublicCheckReport } from "./public-check.js";
import { commitDurable, journalPath, metadataWindow, newJournal, readCommitRecord, readJournal, writeJournal, type GroupRecord, type HookStop, type Journal, type JournalState, type MetadataWindow } from "./journal.js";
import { releaseLock } from "./lock.js";
import type { PhaseName } from "./phases.js";
import type { Plan, UploadPlan } from "../plan/plan-types.js";
import type { RenameStep, StagedItem } from "./rename-list.js";
import { renderPerlScript, renderRenameScript } from "./render-script.js";
import { verifyPromotion } from "./verify-promotion.js";
import { metadataChangedBehindPlan } from "./target-digest.js";

export type PromotionEvent =
  | { type: "lock:acquired"; id: string }
  | { type: "phase:start"; phase: PhaseName }
  | { type: "phase:end"; phase: PhaseName }
  | { type: "upload:progress"; loaded: number; total: number }
  /** Planning: how many of the staged bytes are digested. */
  | { type: "digest:progress"; loaded: number; total: number }
  /** A step of the rename list done by the transport executor (the shell runs on the server). */
  | { type: "commit:step"; index: number; op: string }
  /** Recovery found the promotion's own work still running, and waits for it or stops it. */
  | { type: "recovery:busy"; id: string; action: "waiting" | "stopping"; activity: string }
  /** ... and that work has ended: the recovery goes on. */
  | { type: "recovery:idle"; id: string }
  /** A hook stopped the promotion before a phase. */
  | { type: "hook:stopped"; id: string; phase: PhaseName; hook: string }
  /** The connection to the target was lost; the promotion connects again (attempt of at most `of`) and carries on. */
  | { type: "connection:lost"; phase: string; attempt: number; of: number; reason: string };

export interface PromoteResult {
  plan: Plan;
  /** The last phase that ran to its end. */
  completed: PhaseName | null;
  state: JournalState | "planned" | "stopped";
  verifyProblems: string[];
  /** The longest time any metadata file and its checksums were out of step (ms). */
  metadataWindowMs?: number;
  metadataWindow?: MetadataWindow;
  /** Whether the commit's renames were made durable (fsync/sync) before it was recorded. */
  durable?: boolean;
  executor: "shell" | "transport";
  /** How long each phase took (ms), in the order they ran. */
  timings?: Partial<Record<PhaseName, number>>;
  /**
   * What the promotion waited on over the network (SFTP targets only); `byPhase`: the round
   * trips each phase that ran to its end added to the chain.
   */
  network?: NetworkStats & { byPhase?: Partial<Record<PhaseName, number>> };
  /** What ran the shell executor's rename list on the server: one perl process, or sh. */
  runner?: "perl" | "sh";
  /** How the shell executor's bundle was unpacked: streamed into `tar -x`, or uploaded whole and unzipped. */
  unpack?: "tar" | "zip";
  /** The hook that stopped the promotion before a phase (state "stopped"). */
  stoppedBy?: HookStop;
  /** After-phase and on-failure hooks that failed: reported, nothing undone. */
  hookFailures?: HookStop[];
  /** How many times the connection was lost and opened again (the promotion carried on each time). */
  reconnects?: number;
  /** What users download through the public URL after the commit (--public-url). */
  public?: PublicCheckReport;
}

/** Which script runs the rename list over a shell: perl where the server has it, or sh. */
export type CommitRunner = "auto" | "perl" | "sh";

export interface PhaseContext {
  target: Transport;
  plan: Plan;
  executor: "shell" | "transport";
  commitRunner?: CommitRunner;
  /** With the shell executor: stream a tar into `tar -x` (where the server has one: auto), or upload a zip and unzip it. */
  unpack?: UnpackChoice;
  /** The repository root as the server's shell sees it. */
  remoteRoot: string;
  stateDirectory: string;
  items: StagedItem[];
  steps: RenameStep[];
  script?: string;
  /** What the shell executor's bundle holds (made by stagePhase, zipped while uploaded). */
  bundle?: BundleEntry[];
  /** The shell executor's large files, uploaded beside the zip bundle rather than in it. */
  directItems?: StagedItem[];
  /** How the bundle is unpacked on the server (chosen by stagePhase). */
  unpackWith?: "tar" | "zip";
  journal?: Journal;
  result: PromoteResult;
  onEvent: (event: PromotionEvent) => void;
  /** A member of a group promotion: the group, named in its journal. */
  group?: GroupRecord;
  /** Keep the lock after the finish (a group lets go of every member's lock once all are committed). */
  keepLock?: boolean;
}

export const PHASE_RUNNERS: Record<Exclude<PhaseName, "plan">, (context: PhaseContext) => Promise<void>> = {
  stage: stagePhase,
  upload: uploadPhase,
  commit: commitPhase,
  verify: verifyPhase,
  finish: finishPhase,
};

/**
 * Each phase again on a new connection, after the old one was lost in the middle of it: every
 * one is idempotent (the commit's steps skip what is done, DESIGN.md) but the upload, which
 * sends only what is not there yet.
 */
export const CONTINUE_AFTER_RECONNECT: Record<Exclude<PhaseName, "plan">, (context: PhaseContext) => Promise<void>> = {
  stage: stagePhase,
  upload: continueUpload,
  commit: commitPhase,
  verify: verifyPhase,
  finish: finishPhase,
};

/**
 * Renders the rename scripts and, for the shell executor, lists what the bundle holds; the zip
 * itself is made while it is uploaded. Nothing leaves the machine. The script goes to the target
 * with every executor: it is the readable record of the commit, and what finishes it by hand on
 * a server with a shell.
 */
export async function stagePhase(context: PhaseContext): Promise<void> {
  context.script = renderScript(context);
  if (context.executor !== "shell") return;
  context.unpackWith = await chooseUnpack(context);
  // With a zip, large files go up on their own, beside the bundle: zipping them buys no round
  // trip, and unzip would write their bytes on the server a second time. A tar streams them.
  const large = new Set(context.unpackWith === "tar" ? [] : context.plan.uploads.filter((upload) => upload.localPath !== undefined && upload.size >= DIRECT_UPLOAD_BYTES).map((upload) => upload.path));
  context.directItems = context.items.filter((item) => large.has(item.path));
  context.bundle = bundleEntries(context.plan, context.items.filter((item) => !large.has(item.path)), [
    { name: `${context.stateDirectory}/rename.sh`, content: context.script },
    { name: `${context.stateDirectory}/rename.pl`, content: renderPerl(context) },
  ]);
}

export function renderScript(context: PhaseContext): string {
  return renderRenameScript({ id: context.plan.id, root: context.remoteRoot, stateDirectory: context.stateDirectory, steps: context.steps });
}

export function renderPerl(context: PhaseContext): string {
  return renderPerlScript({ id: context.plan.id, root: context.remoteRoot, stateDirectory: context.stateDirectory, steps: context.steps });
}

/**
 * Runs rename.pl where the server has a perl that loads its modules (and the promotion has the
 * script: one made before it existed has not), else rename.sh. Both run the same rename list;
 * the script logs which one ran ("runner perl" / "runner sh").
 */
const CHOOSE_RUNNER = [
  'state=$1 want=$2',
  'if [ "$want" != sh ] && [ -f "$state/rename.pl" ] && perl -MFile::Path -MPOSIX -MIO::Handle -e 1 >/dev/null 2>&1; then exec perl "$state/rename.pl"; fi',
  'if [ "$want" = perl ]; then echo "maven-promote: no usable perl on the server for --commit-runner perl" >&2; exit 127; fi',
  'exec sh "$state/rename.sh"',
].join("\n");

export function commitCommand(state: string, runner: CommitRunner = "auto"): string {
  return fencedCommand(state, "running the rename script", ["sh", "-c", CHOOSE_RUNNER, "maven-promote-commit", state, runner]);
}

async function uploadPhase(context: PhaseContext): Promise<void> {
  const { target, plan, stateDirectory: state } = context;
  await refuseStaleRipItems(context);
  // The journal goes first: a promotion killed at any later instant can be found and resumed.
  context.journal = newJournal(plan, context.executor, context.steps, context.group);
  await target.mkdirp(state);
  await writeJournal(target, state, context.journal);

  if (context.executor === "shell") context.result.unpack = context.unpackWith ?? "zip";
  if (context.executor === "shell" && context.unpackWith === "tar") {
    await streamBundle(context);
  } else if (context.executor === "shell") {
    const entries = context.bundle!;
    const direct = context.directItems ?? [];
    const directPaths = new Set(direct.map((item) => item.path));
    const directBytes = totalSize(plan.uploads.filter((upload) => directPaths.has(upload.path)));
    const progress = progressReporter(context, directBytes + estimatedBundleSize(entries));
    const bundle = `${state}/bundle.zip`;
    // Zipped as it goes up: the upload starts at once, and no copy of the release is written
    // here. The large files go up at the same time; a failure waits for the other to settle.
    // unzip gives each file the mode stored in the zip (filePermissions, else 0644) whatever the
    // umask, and each directory it makes 0777 less the umask: directoryPermissions set the umask.
    const sent = await Promise.allSettled([target.uploadStream(bundleStream(entries, target.permissions?.file), bundle, progress), uploadItems(context, direct, progress)]);
    const failed = sent.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    // -o: the entries are this promotion's own .rip names (checked absent above); -q: quiet.
    await runRemote(target, fencedCommand(state, "unpacking the bundle", unzipCommand(bundle, target.permissions?.directory)), "unpacking the bundle", UNZIP_FAILURES);
  } else {
    await target.writeFile(`${state}/rename.sh`, context.script ?? renderScript(context));
    await uploadItems(context, context.items, progressReporter(context, totalSize(plan.uploads)));
  }
  context.journal.state = "uploaded";
  await writeJournal(target, state, context.journal);
  // Sent: a list of every file and both rename scripts (about 25 MB at 10,000 artifacts) need
  // not stay through the commit and the verify. After a lost connection from here on, the
  // upload is continued (continueUpload) from the items and the plan, not from these.
  context.bundle = undefined;
  context.script = undefined;
}

/**
 * Which way the bundle goes: a tar streamed into the server's `tar -x` where it has a tar that
 * reads a stream (GNU tar, bsdtar) and the transport can stream into a command; else the zip.
 */
async function chooseUnpack(context: PhaseContext): Promise<"tar" | "zip"> {
  const choice = context.unpack ?? "auto";
  if (choice === "zip") return "zip";
  const tar = context.target.execWithInput === undefined ? undefined : await serverTar(context.target);
  if (tar !== undefined) return "tar";
  if (choice === "tar") {
    const why = context.target.execWithInput === undefined ? "this target cannot stream into a command" : "the server has no GNU tar or bsdtar";
    throw new PromoteError("ERR_CONFIG", `--unpack tar: ${why} (${context.target.location})`, { path: "--unpack", hint: "Use --unpack auto (or zip) to upload a zip and unzip it." });
  }
  return "zip";
}

/**
 * The tar, made as it goes, streamed into `tar -x` under the fence in the target root: the
 * server unpacks each file as it arrives, every one under its .rip name. A stream cut half-way
 * leaves only .rip items (the last one short), which resume completes and rollback or cleanup
 * withdraw, as after a cut upload.
 */
async function streamBundle(context: PhaseContext): Promise<void> {
  const { target, stateDirectory: state } = context;
  const entries = context.bundle!;
  const total = entries.reduce((sum, entry) => sum + bundleEntrySize(entry), 0);
  const progress = progressReporter(context, total);
  // Progress counts the tar's bytes (headers too): close enough for a bar, never over 100%.
  let sent = 0;
  const command = fencedStreamCommand(state, STREAM_UNPACK, tarExtractCommand(target.permissions?.directory));
  await runRemote(target, command, STREAM_UNPACK, TAR_FAILURES, (line) =>
    target.execWithInput!(
      line,
      tarBundleStream(entries, target.permissions?.file),
      (bytes) => {
        const counted = Math.min(bytes, Math.max(0, total - sent));
        sent += counted;
        if (counted > 0) progress(counted);
      },
      tarBundleLength(entries),
    ),
  );
}

/** Uploads what is missing or damaged among the promotion's .rip items; keeps what is intact. */
export async function completeUpload(context: PhaseContext): Promise<void> {
  const { target, plan, journal } = context;
  const uploads = new Map(plan.uploads.map((upload) => [upload.path, upload]));
  const onServer = await target.sha256OnServer?.(context.items.map((item) => item.ripPath));
  const missing = [];
  for (const item of context.items) {
    if (!(await itemIsIntact(target, uploads.get(item.path)!, item.ripPath, onServer))) missing.push(item);
  }
  for (const item of missing) {
    const upload = uploads.get(item.path)!;
    if (!(await localSourceIsIntact(upload))) {
      throw new PromoteError(
        "ERR_RESUME_SOURCE",
        `promotion ${plan.id}: the staged file ${item.path} is no longer at ${upload.localPath} as planned, and the target lacks it`,
        { path: item.path },
      );
    }
  }
  await uploadItems(context, missing, progressReporter(context, missing.reduce((sum, item) => sum + uploads.get(item.path)!.size, 0)));
  await target.writeFile(`${context.stateDirectory}/rename.sh`, renderScript(context));
  if (context.executor === "shell") await target.writeFile(`${context.stateDirectory}/rename.pl`, renderPerl(context));
  await target.remove(`${context.stateDirectory}/bundle.zip`);
  journal!.state = "uploaded";
  delete journal!.error;
  await writeJournal(target, context.stateDirectory, journal!);
}

/**
 * The upload again on a new connection after the old one was lost: from the start if its
 * journal never reached the target (then nothing else did), else what is not there yet.
 */
export async function continueUpload(context: PhaseContext): Promise<void> {
  const recorded = await readJournal(context.target, context.stateDirectory);
  if (recorded === undefined) return uploadPhase(context);
  context.journal = recorded.journal;
  await completeUpload(context);
}

/** unzip in the target root; under the umask that makes new directories `directoryMode`, when one is given. */
export function unzipCommand(bundle: string, directoryMode: number | undefined): string[] {
  if (directoryMode === undefined) return ["unzip", "-q", "-o", bundle];
  return ["sh", "-c", 'umask "$1" && exec unzip -q -o "$2"', "maven-promote-unzip", umaskFor(directoryMode), bundle];
}

/** Uploads staged items one by one to their .rip names (no shell, or a resumed upload). */
export async function uploadItems(context: PhaseContext, items: readonly StagedItem[], progress: (sent: number) => void): Promise<void> {
  const uploads = new Map(context.plan.uploads.map((upload) => [upload.path, upload]));
  if (context.target.uploadMany !== undefined) {
    // The transport's own window (SFTP: open/write/close chains pipelined, issue 18).
    const files = items.map((item) => {
      const { localPath, content, size } = uploads.get(item.path)!;
      return { path: item.ripPath, size, ...(localPath === undefined ? { content: content ?? "" } : { localPath }) };
    });
    return context.target.uploadMany(files, progress);
  }
  // The directories first, a level at a time, each level at once; then the files, many in
  // flight: over a network each request waits a round trip, so one at a time costs one per file.
  const directories = [...new Set(items.map((item) => dirname(item.ripPath)))];
  const byDepth = new Map<number, string[]>();
  for (const directory of directories) {
    const level = byDepth.get(depthOf(directory));
    if (level === undefined) byDepth.set(depthOf(directory), [directory]);
    else level.push(directory);
  }
  for (const depth of [...byDepth.keys()].sort((a, b) => a - b)) await mapLimit(byDepth.get(depth)!, UPLOADS_IN_FLIGHT, (directory) => context.target.mkdirp(directory));
  await mapLimit(items, UPLOADS_IN_FLIGHT, async (item) => {
    const upload = uploads.get(item.path)!;
    if (upload.localPath !== undefined) await context.target.upload(upload.localPath, item.ripPath, progress);
    else {
      await context.target.writeFile(item.ripPath, upload.content ?? "");
      progress(upload.size);
    }
  });
}

/** Files of at least this size skip the shell executor's bundle and go up on their own. */
const DIRECT_UPLOAD_BYTES = 4 * 1024 * 1024;

/** Files uploaded at once with --sftp-only (and copied at once to a local directory). */
const UPLOADS_IN_FLIGHT = 64;

function depthOf(path: string): number {
  return path.split("/").length;
}

export function progressReporter(context: PhaseContext, total: number): (sent: number) => void {
  let loaded = 0;
  return (sent) => {
    loaded += sent;
    context.onEvent({ type: "upload:progress", loaded, total });
  };
}

function totalSize(uploads: readonly UploadPlan[]): number {
  return uploads.reduce((sum, upload) => sum + upload.size, 0);
}

export async function commitPhase(context: PhaseContext): Promise<void> {
  const { target, stateDirectory: state } = context;
  await refuseChangedTarget(context);
  try {
    if (context.executor === "shell") {
      await runRemote(target, commitCommand(state, context.commitRunner), "running the rename script", {
        [FENCE_HELD_EXIT]: FENCE_HELD,
        127: { reason: "perl is not available on the server", hint: "Use --commit-runner auto (or sh) to let rename.sh run the commit." },
      });
    } else {
      await executeSteps({
        transport: target,
        stateDirectory: state,
        steps: context.steps,
        onStep: (index, step) => context.onEvent({ type: "commit:step", index, op: step.op }),
      });
    }
  } catch (error) {
    throw withResumeHint(error, context, "The commit is on record and the target stays locked");
  }
  // The journal in memory, with the log the commit wrote: the journal file is not read back (a second plan in memory).
  const recorded = context.journal === undefined ? await readJournal(target, state) : await readCommitRecord(target, state, context.journal);
  context.result.state = recorded?.state ?? "committed";
  const runner = recorded?.log.filter((entry) => entry.op === "runner").pop()?.subject;
  if (runner === "perl" || runner === "sh") context.result.runner = runner;
  const durable = recorded === undefined ? undefined : commitDurable(recorded.log);
  if (durable !== undefined) context.result.durable = durable;
  const window = recorded === undefined ? undefined : metadataWindow(recorded.log);
  if (window !== undefined) {
    context.result.metadataWindow = window;
    context.result.metadataWindowMs = window.maxMs;
  }
}

/**
 * A commit (or the finish after it) that the disk stopped is on record; its steps are idempotent,
 * so once there is space again `resume` finishes it where it stopped: the hint says so, with the
 * command, instead of "run the promotion again".
 */
function withResumeHint(error: unknown, context: PhaseContext, situation: string): unknown {
  if (!(error instanceof PromoteError) || error.code !== "ERR_NO_SPACE") return error;
  const { id } = context.plan;
  const to = context.target.location;
  return new PromoteError("ERR_NO_SPACE", error.message, {
    ...(error.path === undefined ? {} : { path: error.path }),
    cause: error,
    hint: `${situation}: free space on ${to} (\`df -h\`, \`df -i\`), then \`maven-promote resume ${id} --to ${to}\` finishes it (or \`rollback ${id}\` undoes it).`,
  });
}

export async function verifyPhase(context: PhaseContext): Promise<void> {
  context.result.verifyProblems = await verifyPromotion(context.plan, context.target);
}

export async function finishPhase(context: PhaseContext): Promise<void> {
  const { target, stateDirectory: state, journal } = context;
  if (journal === undefined) return;
  journal.state = "committed";
  journal.verify = { ok: context.result.verifyProblems.length === 0, problems: context.result.verifyProblems };
  if (context.result.metadataWindow !== undefined) journal.metadataWindow = context.result.metadataWindow;
  if (context.result.durable !== undefined) journal.durable = context.result.durable;
  await writeJournal(target, state, journal).catch((error: unknown) => {
    throw withResumeHint(error, context, "The promotion is live; only its journal could not record that");
  });
  await target.remove(`${state}/bundle.zip`);
  if (!context.keepLock) await releaseLock(target, context.plan.id);
  context.result.state = "committed";
  if (context.result.verifyProblems.length > 0) {
    const [first] = context.result.verifyProblems;
    const more = context.result.verifyProblems.length - 1;
    throw new PromoteError("ERR_VERIFY_FAILED", `the target does not read back as planned: ${first}${more > 0 ? ` (and ${more} more)` : ""}`);
  }
}

/**
 * An upload that failed (a full disk, a permission, a server error) takes back what it wrote,
 * so that the target holds no half-uploaded .rip items, marks its journal failed and lets go
 * of the lock. Best effort: if the connection is gone this fails too, and the first error is
 * the one reported (the lock then stays, and `resume`/`rollback`/`cleanup` finish the job).
 */
export async function withdrawUpload(context: PhaseContext, error: unknown, stoppedBy?: HookStop): Promise<void> {
  if (context.journal === undefined) {
    // Nothing was uploaded yet (a stale .rip refused, or a hook's stop before the upload). A
    // hook's stop is still put on record, so that `status` says which hook and why (issue 17).
    if (stoppedBy !== undefined) await recordStop(context, error, stoppedBy).catch(() => undefined);
    return;
  }
  const { target, stateDirectory: state } = context;
  // Each part on its own, errors ignored (the first error is the one the user must see): on a
  // full disk the failed journal may not fit, and the lock must be released all the same.
  const attempt = (action: () => Promise<unknown>): Promise<boolean> => action().then(() => true, () => false);
  const withdrawn = await attempt(async () => {
    await removeRipItems(target, context.items);
    await removeCreatedDirectories(target, context.plan);
    await target.remove(`${state}/bundle.zip`);
  });
  // A journal that never reached the target (the disk filled as it was written) puts nothing on
  // record: its state directory goes too, and the target is left exactly as it was.
  const onRecord = await target.stat(journalPath(state)).then((info) => info !== undefined, () => true);
  if (!onRecord) {
    await attempt(() => target.removeTree(state));
  } else {
    context.journal.state = "failed";
    context.journal.error = error instanceof Error ? error.message : String(error);
    if (stoppedBy !== undefined) context.journal.stoppedBy = stoppedBy;
    await attempt(() => writeJournal(target, state, context.journal!));
  }
  // With its .rip items gone, nothing of the promotion can show: the target is free again.
  if (withdrawn) await attempt(() => releaseLock(target, context.plan.id));
}

/** A journal that only records why the promotion stopped before its upload: state failed, nothing else written. */
async function recordStop(context: PhaseContext, error: unknown, stoppedBy: HookStop): Promise<void> {
  const journal = newJournal(context.plan, context.executor, context.steps, context.group);
  journal.state = "failed";
  journal.error = error instanceof Error ? error.message : String(error);
  journal.stoppedBy = stoppedBy;
  await context.target.mkdirp(context.stateDirectory);
  await writeJournal(context.target, context.stateDirectory, journal);
}

export async function removeRipItems(target: Transport, items: readonly StagedItem[]): Promise<void> {
  for (const path of new Set(items.map((item) => topLevelRipName(item.ripPath)))) {
    if ((await target.stat(path))?.type === "directory") await target.removeTree(path);
    else await target.remove(path);
  }
}

/** Removes the directories the promotion created, deepest first, where they are empty again. */
export async function removeCreatedDirectories(target: Transport, plan: Plan): Promise<void> {
  for (const directory of plan.createdDirectories ?? []) await target.removeEmptyDirectory(directory);
}

/** `a/b/1.0.rip/x.jar` → `a/b/1.0.rip`; `a/b/m.xml.rip` → itself. */
export function topLevelRipName(ripPath: string): string {
  const inDirectory = ripPath.indexOf(".rip/");
  return inDirectory >= 0 ? ripPath.slice(0, inDirectory + 4) : ripPath;
}

/** A `.rip` name already on the target belongs to an unfinished promotion: never write over it. */
async function refuseStaleRipItems(context: PhaseContext): Promise<void> {
  const names = [...new Set(context.items.map((item) => topLevelRipName(item.ripPath)))];
  const found = await probeMany(context.target, { stat: names, read: [], maxBytes: 0 });
  const path = names.find((name) => found.get(name)?.stat !== undefined);
  if (path !== undefined) throw new PromoteError("ERR_STALE_RIP", `${path}: already on the target, left by an unfinished promotion`, { path });
}

/**
 * Each metadata file the commit replaces must still be the one the plan merged with (or, on a
 * resumed commit, already the new one). Under the lock this always holds; it guards against
 * writers that ignore the lock, so that their versions are never silently dropped.
 */
async function refuseChangedTarget(context: PhaseContext): Promise<void> {
  const changed = await metadataChangedBehindPlan(context.target, context.plan);
  if (changed !== undefined) {
    throw new PromoteError("ERR_TARGET_CHANGED", `${changed}: changed on the target since this promotion was planned`, { path: changed });
  }
}

/** The fence refused: a process this promotion started earlier still runs on the server. */
const FENCE_HELD = {
  reason: "an earlier process of this promotion still runs on the server",
  hint: "Wait for it to end (`maven-promote status` shows it), or stop it: resume or roll back with --stop.",
};

/** unzip's exit codes that mean "could not write" (unzip(1), DIAGNOSTICS), and a command not found. */
const UNZIP_FAILURES: Record<number, KnownExit> = {
  [FENCE_HELD_EXIT]: FENCE_HELD,
  // unzip(1) says "the disk is (or was) full", but a directory it may not write to gives 50 too.
  50: { reason: "could not write (no permission, or the disk is full)", hint: "Check that the SSH user can write to the repository and that its disk has space.", whenFull: "unzip exit 50" },
  127: { reason: "unzip is not installed on the server", hint: "Install unzip on the server, or use --sftp-only." },
};

/** tar's exit codes: 2 is any fatal error (its words say which: a full disk is found by them). */
const TAR_FAILURES: Record<number, KnownExit> = {
  [FENCE_HELD_EXIT]: FENCE_HELD,
  2: { reason: "tar could not unpack the stream", hint: "Check that the SSH user can write to the repository and that its disk has space; --unpack zip uploads a zip instead.", whenFull: "tar exit 2", firstLine: true },
};

/** What a command's exit code means; `whenFull`: what it is called when the target's disk is found full (then ERR_NO_SPACE). */
type KnownExit = { reason: string; hint: string; whenFull?: string; firstLine?: boolean };

export async function runRemote(
  target: Transport,
  command: string,
  what: string,
  known: Record<number, KnownExit> = { [FENCE_HELD_EXIT]: FENCE_HELD },
  run: (command: string) => Promise<ExecResult> = (line) => target.exec!(line),
): Promise<void> {
  const result = await run(command);
  if (result.code !== 0) {
    const explained = known[result.code];
    // The line that says what went wrong: tar's first (it goes on past a failed file, and ends
    // with "Exiting with failure status…"), others' last.
    const said = result.stderr.trim().split("\n").filter((text) => text !== "" && !/Exiting with failure status/.test(text));
    const detail = (explained?.firstLine === true ? said[0] : said.pop())?.replace(/\s+/g, " ").slice(0, 300) ?? "";
    // A full disk, in the command's own words (mkdir, cp, perl: strerror(ENOSPC)), or an exit
    // code that may mean it (unzip's 50) on a disk that statvfs shows full.
    const line = result.stderr.split("\n").find((text) => NO_SPACE_TEXT.test(text))?.replace(/\s+/g, " ").trim().slice(0, 300);
    if (line !== undefined) throw noSpaceError(target.location, `${what}: exit ${result.code}: ${line}`);
    if (explained?.whenFull !== undefined) {
      const space = await target.freeSpace?.().catch(() => undefined);
      if (space !== undefined && looksFull(space)) throw noSpaceError(target.location, `${what}: ${explained.whenFull}; ${describeFreeSpace(space)}`);
    }
    const reason = explained?.reason ?? `exit ${result.code}`;
    throw new PromoteError("ERR_REMOTE_COMMAND", `${what} failed on ${target.location}: ${reason}${detail ? ` (${detail})` : ""}`, {
      ...(explained === undefined ? {} : { hint: explained.hint }),
    });
  }
}

/** Whether the staged item at its .rip name on the target is intact (for a resumed upload). */
export async function itemIsIntact(target: Transport, upload: UploadPlan, ripPath: string, onServer: Map<string, string> | undefined): Promise<boolean> {
  const expected = upload.sha256 ?? (upload.content === undefined ? undefined : createHash("sha256").update(upload.content).digest("hex"));
  if (expected === undefined) return false;
  const hashed = onServer?.get(ripPath);
  if (hashed !== undefined) return hashed === expected;
  // A file cut short by a lost connection is told by its size, without reading it back.
  if ((await target.stat(ripPath))?.size !== upload.size) return false;
  return (await target.digest(ripPath, ["sha256"]))?.digests.sha256 === expected;
}

/** The staged bytes of an upload must still be the ones planned (resume reads them again). */
export async function localSourceIsIntact(upload: UploadPlan): Promise<boolean> {
  if (upload.localPath === undefined) return true;
  try {
    return (await digestFile(upload.localPath, ["sha256"])).digests.sha256 === upload.sha256;
  } catch {
    return false;
  }
}
