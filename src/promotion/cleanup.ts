// `cleanup`: removes what promotions left behind, guided by their journals: the .rip items and
// bundles of promotions that never reached their commit, and the records (journal, script,
// backups) of finished ones, once older than the threshold. It never touches anything while a
// promotion holds the lock, and never a promotion stopped mid-commit: that one needs `resume`
// or `rollback`, and its backups are what rollback restores from. `--scan` also walks the whole
// target for .rip names that no journal explains.
import { PromoteError } from "../errors.js";
import { RIP_SUFFIX, joinPath } from "../maven/repository-path.js";
import type { Transport } from "../transport/transport.js";
import { readTargetStatus } from "./history.js";
import { describeActivity, findActivity, waitUntilIdle } from "./activity.js";
import { readJournal } from "./journal.js";
import { LOCK_PATH, STATE_ROOT, acquireLock, describeLock, lockFor, readLock, releaseLock } from "./lock.js";
import { removeCreatedDirectories, removeRipItems, topLevelRipName } from "./phase-runners.js";
import { stagedItemsOf, stateDirectory } from "./rename-list.js";

export interface CleanupInput {
  target: Transport;
  olderThanMs: number;
  dryRun: boolean;
  scan: boolean;
  now?: Date;
  /** How long to wait for a promotion's work still running on the server (ms; default 0: keep it). */
  waitMs?: number;
  /** Stop a promotion's work still running on the server, then clean up after it. */
  stop?: boolean;
  graceMs?: number;
}

export interface CleanupAction {
  path: string;
  what: "rip item" | "bundle" | "promotion record" | "orphan rip item" | "lock heartbeat leftover";
  /** The promotion it belonged to, if a journal names it. */
  id?: string;
}

export interface CleanupResult {
  actions: CleanupAction[];
  /** Promotions left alone, and why. */
  kept: Array<{ id: string; reason: string }>;
  dryRun: boolean;
}

export async function cleanup(input: CleanupInput): Promise<CleanupResult> {
  const { target } = input;
  // Cleanup holds the lock itself while it works, so no promotion can start under its feet.
  const id = `cleanup-${process.pid}-${Date.now()}`;
  if (!input.dryRun) {
    try {
      await acquireLock(target, lockFor(id));
    } catch (error) {
      if (!(error instanceof PromoteError) || error.code !== "ERR_LOCK_HELD") throw error;
      throw new PromoteError("ERR_LOCK_HELD", `${error.message}; cleanup touches nothing while a promotion holds the lock`, { path: LOCK_PATH, hint: error.hint });
    }
  } else {
    const lock = await readLock(target);
    if (lock !== undefined) {
      throw new PromoteError("ERR_LOCK_HELD", `${target.location} is locked by ${describeLock(lock)}; cleanup touches nothing while a promotion holds the lock`, { path: LOCK_PATH });
    }
  }
  try {
    return await cleanupLocked(input);
  } finally {
    if (!input.dryRun) await releaseLock(target, id);
  }
}

async function cleanupLocked(input: CleanupInput): Promise<CleanupResult> {
  const { target } = input;
  const now = (input.now ?? new Date()).getTime();
  const result: CleanupResult = { actions: [], kept: [], dryRun: input.dryRun };
  const status = await readTargetStatus(target);
  const named = new Set<string>();

  for (const promotion of status.promotions) {
    const state = stateDirectory(promotion.id);
    const recorded = (await readJournal(target, state))!;
    const items = stagedItemsOf(recorded.journal.plan);
    for (const item of items) named.add(topLevelRipName(item.ripPath));
    const age = now - Date.parse(promotion.updatedAt);
    if (promotion.state === "committing") {
      result.kept.push({ id: promotion.id, reason: "stopped mid-commit: resume or roll it back first" });
      continue;
    }
    if (age < input.olderThanMs) {
      result.kept.push({ id: promotion.id, reason: "newer than the threshold" });
      continue;
    }
    const busy = await stillRunning(input, promotion.id, recorded.journal.executor === "shell");
    if (busy !== undefined) {
      result.kept.push({ id: promotion.id, reason: busy });
      continue;
    }
    if (promotion.state === "uploading" || promotion.state === "uploaded" || promotion.state === "failed") {
      // Never committed: its .rip items are invisible to Maven and can only be resumed; past
      // the threshold they are taken back, and the journal says so.
      for (const path of new Set(items.map((item) => topLevelRipName(item.ripPath)))) {
        if ((await target.stat(path)) !== undefined) result.actions.push({ path, what: "rip item", id: promotion.id });
      }
      if ((await target.stat(`${state}/bundle.zip`)) !== undefined) result.actions.push({ path: `${state}/bundle.zip`, what: "bundle", id: promotion.id });
      if (!input.dryRun) {
        await removeRipItems(target, items);
        await removeCreatedDirectories(target, recorded.journal.plan);
        await target.remove(`${state}/bundle.zip`);
      }
    }
    result.actions.push({ path: state, what: "promotion record", id: promotion.id });
    if (!input.dryRun) await target.removeTree(state);
  }

  // A holder killed between writing its next beat aside and renaming it over the lock leaves
  // `lock.<pid>.tmp` behind; cleanup holds the lock, so none of them is in flight but its own.
  for (const entry of (await target.list(STATE_ROOT)) ?? []) {
    const leftover = /^lock\.(\d+)\.tmp$/.exec(entry.name);
    if (leftover === null || Number(leftover[1]) === process.pid) continue;
    result.actions.push({ path: `${STATE_ROOT}/${entry.name}`, what: "lock heartbeat leftover" });
    if (!input.dryRun) await target.remove(`${STATE_ROOT}/${entry.name}`);
  }

  if (input.scan) {
    for (const path of await findRipNames(target, "")) {
      if (named.has(path)) continue;
      const info = await target.stat(path);
      if (info?.mtimeMs !== undefined && now - info.mtimeMs < input.olderThanMs) continue;
      result.actions.push({ path, what: "orphan rip item" });
      if (!input.dryRun) {
        if (info?.type === "directory") await target.removeTree(path);
        else await target.remove(path);
      }
    }
  }
  return result;
}

/**
 * Why a promotion must be left alone because its own work still runs on the server (cleanup
 * holds the lock, so its client is gone), or undefined once it is quiet (waited for or stopped).
 */
async function stillRunning(input: CleanupInput, id: string, remote: boolean): Promise<string | undefined> {
  if (!remote) return undefined;
  if (!input.target.capabilities.exec) return "ran on the server's shell: clean it up over a connection with a shell, so that its processes can be checked";
  try {
    if (input.dryRun) {
      const activity = await findActivity(input.target, id, { remote });
      return activity === undefined ? undefined : `still running: ${describeActivity(activity)}`;
    }
    await waitUntilIdle(input.target, id, {
      remote,
      purpose: "clean up after it",
      ...(input.waitMs === undefined ? {} : { waitMs: input.waitMs }),
      ...(input.stop === undefined ? {} : { stop: input.stop }),
      ...(input.graceMs === undefined ? {} : { graceMs: input.graceMs }),
    });
    return undefined;
  } catch (error) {
    if (error instanceof PromoteError && (error.code === "ERR_PROMOTION_BUSY" || error.code === "ERR_WAIT_EXPIRED")) return error.message.replace(/^promotion \S+ is /, "");
    throw error;
  }
}

/** Every `.rip` name in the target, outside .maven-promote/ (a .rip directory is not entered). */
async function findRipNames(target: Transport, directory: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of (await target.list(directory)) ?? []) {
    const path = joinPath(directory, entry.name);
    if (path === STATE_ROOT) continue;
    if (entry.name.endsWith(RIP_SUFFIX)) found.push(path);
    else if (entry.type === "directory") found.push(...(await findRipNames(target, path)));
  }
  return found;
}
