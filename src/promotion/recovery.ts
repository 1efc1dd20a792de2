// Resume and rollback of a promotion from its journal (DESIGN.md invariant 6). Both take over
// the lock that the same promotion still holds when its process died, so recovery never needs
// `unlock`. Resume finishes from whatever phase the promotion stopped in without uploading
// again what is already there and intact; rollback returns every metadata, checksum and
// signature file to its bytes before the promotion (from the commit's backups) and removes
// what the promotion added.
import { join } from "node:path";
import { PromoteError } from "../errors.js";
import { CHECKSUM_EXTENSIONS } from "../integrity/digests.js";
import { SIGNATURE_EXTENSION, dirname } from "../maven/repository-path.js";
import type { Transport } from "../transport/transport.js";
import { journalFinished, readJournal, writeJournal, type Journal, type JournalState, type StepLogEntry } from "./journal.js";
import { describeActivity, waitUntilIdle } from "./activity.js";
import { acquireLock, breakLock, lockFor, readLock, releaseLock, stopHeartbeat, type LockInfo } from "./lock.js";
import {
  commitPhase,
  completeUpload,
  finishPhase,
  removeCreatedDirectories,
  removeRipItems,
  verifyPhase,
  type PhaseContext,
  type PromoteResult,
  type PromotionEvent,
} from "./phase-runners.js";
import type { MetadataPlan, Plan } from "../plan/plan-types.js";
import { isPromotionId } from "../plan/promotion-id.js";
import { stagedItemsOf, stateDirectory } from "./rename-list.js";
import { metadataChangedBehindPlan, sha256OnTarget } from "./target-digest.js";

export interface RecoveryInput {
  target: Transport;
  id: string;
  /** The repository root as the server's shell sees it. */
  remoteRoot: string;
  /** How long to wait for the promotion's own work to end, then for the lock (ms). */
  waitMs?: number;
  /** Stop the promotion's work still running (its client here, its processes on the server). */
  stop?: boolean;
  /** Between SIGTERM and SIGKILL when stopping (ms). */
  graceMs?: number;
  onEvent?: (event: PromotionEvent) => void;
}

export interface ResumeInput extends RecoveryInput {
  /** Where the staged files are now, if not where the promotion read them (resume only). */
  stagingDirectory?: string;
  /** Keep the lock once finished (a group's member: the group lets go of it when all are committed). */
  keepLock?: boolean;
}

export interface RollbackResult {
  id: string;
  /** The state the promotion was in before the rollback. */
  from: JournalState;
  restored: string[];
  removed: string[];
}

async function loadJournal(target: Transport, id: string): Promise<{ journal: Journal; state: JournalState; log: StepLogEntry[] }> {
  const recorded = await readJournal(target, stateDirectory(id));
  if (recorded === undefined) {
    throw new PromoteError("ERR_PROMOTION_NOT_FOUND", `promotion ${id}: no journal at ${stateDirectory(id)}/journal.json on ${target.location}`, { path: id });
  }
  return { journal: recorded.journal, state: recorded.state, log: recorded.log };
}

/**
 * Recovery never runs beside the promotion's own work (DESIGN.md invariant 6): its client still
 * alive and holding the lock, or its unzip or rename script still running on the server.
 */
async function waitForQuiet(input: RecoveryInput, purpose: string): Promise<void> {
  const { target, id } = input;
  if (!isPromotionId(id)) throw new PromoteError("ERR_USAGE", `${JSON.stringify(id)}: not a promotion id`, { path: id });
  const recorded = await readJournal(target, stateDirectory(id));
  const remote = recorded !== undefined && recorded.journal.executor === "shell" && !journalFinished(recorded.journal);
  if (remote && !target.capabilities.exec) {
    throw new PromoteError("ERR_CONFIG", `promotion ${id} ran unzip and its rename script on the server: use a connection with a shell (without --sftp-only), so that maven-promote can check they have ended`, { path: "--sftp-only" });
  }
  let busy = false;
  await waitUntilIdle(target, id, {
    remote,
    purpose,
    ...(input.waitMs === undefined ? {} : { waitMs: input.waitMs }),
    ...(input.stop === undefined ? {} : { stop: input.stop }),
    ...(input.graceMs === undefined ? {} : { graceMs: input.graceMs }),
    onBusy: (activity, action) => {
      busy = true;
      input.onEvent?.({ type: "recovery:busy", id, action, activity: describeActivity(activity) });
    },
  });
  if (busy) input.onEvent?.({ type: "recovery:idle", id });
}

/**
 * Runs a recovery once nothing of the promotion runs any more; whatever happens, this process's
 * heartbeat for the lock it took over stops (the lock itself stays for the next try on failure).
 */
async function whenQuiet<T>(input: RecoveryInput, purpose: string, recover: () => Promise<T>): Promise<T> {
  await waitForQuiet(input, purpose);
  try {
    return await recover();
  } finally {
    await stopHeartbeat(input.target, input.id);
  }
}

/** `unlock --force`: breaks the lock once its holder's work has ended (waited for, or stopped). */
export async function forceUnlock(input: Omit<RecoveryInput, "id" | "remoteRoot">): Promise<LockInfo | undefined> {
  return breakLock(input.target, async (holder) => {
    if (isPromotionId(holder.id)) await waitForQuiet({ ...input, id: holder.id, remoteRoot: "/" }, "break its lock");
  });
}

export async function resume(input: ResumeInput): Promise<PromoteResult> {
  return whenQuiet(input, "resume", () => resumeQuiet(input));
}

async function resumeQuiet(input: ResumeInput): Promise<PromoteResult> {
  const { target, id } = input;
  if ((await readLock(target))?.id === id && (await readJournal(target, stateDirectory(id))) === undefined) {
    throw new PromoteError("ERR_RECOVERY_REFUSED", `promotion ${id} stopped before it wrote anything but its lock: roll it back (which releases the lock) and promote again`, { path: id });
  }
  const { journal, state } = await loadJournal(target, id);
  const plan = input.stagingDirectory === undefined ? journal.plan : relocateStage(journal.plan, input.stagingDirectory);
  const result: PromoteResult = { plan, completed: null, state, verifyProblems: [], executor: journal.executor };
  if (state === "rolled-back") {
    throw new PromoteError("ERR_RECOVERY_REFUSED", `promotion ${id} was rolled back; promote the release again instead`, { path: id });
  }
  if (journalFinished(journal) && journal.state === "committed") {
    // Finished already; killed, perhaps, between recording that and tidying up after itself.
    await target.remove(`${stateDirectory(id)}/bundle.zip`);
    if (input.keepLock !== true) await releaseLock(target, id);
    result.completed = "finish";
    return result;
  }
  await acquireLock(target, lockFor(id), { waitMs: input.waitMs ?? 0, takeOver: true });
  const context: PhaseContext = {
    target,
    plan,
    executor: journal.executor,
    remoteRoot: input.remoteRoot,
    stateDirectory: stateDirectory(id),
    items: stagedItemsOf(plan),
    steps: journal.steps,
    journal,
    result,
    onEvent: input.onEvent ?? (() => {}),
    ...(input.keepLock === true ? { keepLock: true } : {}),
    ...(journal.group === undefined ? {} : { group: journal.group }),
  };
  if (state === "uploading" || state === "uploaded" || state === "failed") await completeUpload(context);
  if (state !== "committed") await commitPhase(context);
  await verifyPhase(context);
  await finishPhase(context);
  result.completed = "finish";
  return result;
}

function relocateStage(plan: Plan, stagingDirectory: string): Plan {
  return {
    ...plan,
    uploads: plan.uploads.map((upload) => (upload.localPath === undefined ? upload : { ...upload, localPath: join(stagingDirectory, ...upload.path.split("/")) })),
  };
}

export async function rollback(input: RecoveryInput): Promise<RollbackResult> {
  return whenQuiet(input, "roll back", () => rollbackQuiet(input));
}

async function rollbackQuiet(input: RecoveryInput): Promise<RollbackResult> {
  const { target, id } = input;
  // Killed between taking the lock and writing its journal, a promotion wrote nothing but the
  // lock: rolling it back is letting go of that lock.
  if ((await readLock(target))?.id === id && (await readJournal(target, stateDirectory(id))) === undefined) {
    await releaseLock(target, id);
    return { id, from: "uploading", restored: [], removed: [] };
  }
  const { journal, state, log } = await loadJournal(target, id);
  const result: RollbackResult = { id, from: state, restored: [], removed: [] };
  if (state === "rolled-back") {
    await releaseLock(target, id); // killed between recording the rollback and letting go
    return result;
  }
  await acquireLock(target, lockFor(id), { waitMs: input.waitMs ?? 0, takeOver: true });
  const state_ = stateDirectory(id);
  const plan = journal.plan;
  if (state === "committing" || state === "committed") {
    await refuseLaterChanges(target, plan);
    // Metadata first, last-committed first, so that no client sees metadata listing a version
    // that is about to disappear; then the versions themselves. Metadata is only touched after
    // the metadata-start mark, which comes after every backup: without the mark, the commit
    // changed no metadata, and a missing backup would not mean "the file did not exist".
    // After a power cut the mark can be lost while flips it preceded are on disk, so a flip
    // found on the target counts as the mark too.
    if (log.some((entry) => entry.op === "mark" && entry.subject === "metadata-start") || (await metadataFlipped(target, plan, state_))) {
      for (const entry of plan.metadata.filter((candidate) => candidate.changed).reverse()) {
        await restoreMetadataGroup(target, state_, entry, result);
      }
    }
    await restoreFiles(target, state_, plan, result);
  }
  await removeRipItems(target, stagedItemsOf(plan));
  await removeCreatedDirectories(target, plan);
  await target.remove(`${state_}/bundle.zip`);
  await target.appendFile(`${state_}/steps.log`, `state rolled-back ${new Date().toISOString()}\n`);
  journal.state = "rolled-back";
  await writeJournal(target, state_, journal);
  await releaseLock(target, id);
  return result;
}

/**
 * Refuses when a later promotion changed metadata this one wrote: restoring the backup would
 * drop that promotion's versions. The file must be this promotion's merge, or still the one it
 * replaced (the commit stopped before reaching it).
 */
async function refuseLaterChanges(target: Transport, plan: Plan): Promise<void> {
  const changed = await metadataChangedBehindPlan(target, plan);
  if (changed !== undefined) {
    throw new PromoteError(
      "ERR_ROLLBACK_CONFLICT",
      `promotion ${plan.id} cannot be rolled back: ${changed} has changed since it was committed (a later promotion?)`,
      { path: changed },
    );
  }
}

/**
 * Whether any metadata file the plan changes already shows the commit's hand: the new file or
 * one of its new checksums in place, or the stale signature removed. steps.log's metadata-start
 * line is appended before the first flip but made durable by nothing before it, so a power cut
 * can keep the flips and lose the line (test/integration/power-cut.test.ts). A flip is made
 * only after the versions barrier, which made every backup durable: if one is seen here, a
 * missing backup does mean "the file did not exist".
 */
async function metadataFlipped(target: Transport, plan: Plan, state: string): Promise<boolean> {
  for (const entry of plan.metadata.filter((candidate) => candidate.changed)) {
    if ((await sha256OnTarget(target, entry.path)) === entry.digests.sha256) return true;
    for (const algorithm of entry.checksums) {
      const recorded = (await target.readFile(entry.path + CHECKSUM_EXTENSIONS[algorithm], 1024 * 1024))?.toString("utf8").trim().split(/\s+/)[0];
      if (recorded !== undefined && recorded === entry.digests[algorithm]) return true;
    }
    const signature = entry.path + SIGNATURE_EXTENSION;
    if (entry.signature === "remove" && (await target.stat(signature)) === undefined && (await target.stat(`${state}/backup/${signature}`))?.type === "file") return true;
  }
  return false;
}

/** Puts a metadata file and its checksums and signature back as they were, xml last. */
async function restoreMetadataGroup(target: Transport, state: string, entry: MetadataPlan, result: RollbackResult): Promise<void> {
  const sidecars = [...Object.values(CHECKSUM_EXTENSIONS), SIGNATURE_EXTENSION].map((extension) => entry.path + extension);
  if (!entry.targetExists) {
    // A file the promotion created: the metadata goes first, so no client finds it half-removed.
    for (const path of [entry.path, ...sidecars]) if (await target.remove(path)) result.removed.push(path);
    return;
  }
  for (const path of [...sidecars, entry.path]) {
    const backup = `${state}/backup/${path}`;
    if ((await target.stat(backup))?.type === "file") {
      await restoreFromBackup(target, backup, path);
      result.restored.push(path);
    } else if (await target.remove(path)) {
      result.removed.push(path); // it did not exist before the promotion
    }
  }
}

/** Removes the version directories and SNAPSHOT files the promotion added; restores replaced ones. */
async function restoreFiles(target: Transport, state: string, plan: Plan, result: RollbackResult): Promise<void> {
  for (const version of plan.versions.filter((candidate) => candidate.state === "new")) {
    if (await target.removeTree(version.path)) result.removed.push(version.path);
  }
  const newDirectories = new Set(plan.versions.filter((candidate) => candidate.state === "new").map((version) => version.path));
  for (const upload of plan.uploads.filter((candidate) => candidate.origin !== "merged" && !newDirectories.has(dirname(candidate.path)))) {
    const backup = `${state}/backup/${upload.path}`;
    if (upload.replaces) {
      // Backups precede every move: no backup means the commit never replaced this file.
      if ((await target.stat(backup))?.type === "file") {
        await restoreFromBackup(target, backup, upload.path);
        result.restored.push(upload.path);
      }
    } else if (await target.remove(upload.path)) {
      result.removed.push(upload.path);
    }
  }
}

/**
 * Copies (or links) the backup beside the file, then renames it over the file in one step.
 * A file that already has the backup's bytes is left alone: the commit never reached it, and
 * it may even be the backup's own hard link (rename(2) between two links of one file is a
 * no-op that would leave the copy beside it).
 */
async function restoreFromBackup(target: Transport, backup: string, path: string): Promise<void> {
  const [wanted, current] = await Promise.all([target.digest(backup, ["sha256"]), target.digest(path, ["sha256"])]);
  if (current !== undefined && current.digests.sha256 === wanted?.digests.sha256) return;
  const aside = `${path}.rollback`;
  await target.remove(aside); // left by a rollback that was itself interrupted
  await target.linkOrCopy(backup, aside);
  await target.rename(aside, path, { replace: true });
}
