// What a target holds of maven-promote's own: its lock and the promotions on record.
import type { Transport } from "../transport/transport.js";
import { localProcessAlive, thisHost } from "../util/process-identity.js";
import { readRemoteWork, type RemoteWork } from "./fence.js";
import { journalFinished, readJournal, type Journal, type JournalState } from "./journal.js";
import { LOCK_EXPIRY_MS, STATE_ROOT, readLock, type LockInfo } from "./lock.js";
import { stateDirectory } from "./rename-list.js";

export interface PromotionRecord extends Pick<Journal, "id" | "createdAt" | "updatedAt" | "user" | "host" | "source" | "error" | "executor" | "durable" | "stoppedBy" | "group"> {
  /** The journal's state, or a later one from its steps log. */
  state: JournalState;
  /**
   * A process of the promotion still running on the server (its unzip or rename script), null
   * when none runs; absent when it was not checked (finished promotions, or no shell to ask).
   */
  remote?: RemoteWork | null;
  /** `group:artifact:version` of every version the promotion adds. */
  versions: string[];
}

export interface TargetStatus {
  /**
   * `alive`: whether the holder's process still runs, known exactly on the machine that took
   * the lock; null from another machine (there, recovery watches the lock's heartbeat).
   */
  lock: (LockInfo & { expired: boolean; alive: boolean | null }) | null;
  promotions: PromotionRecord[];
  /** Directories under .maven-promote/ without a readable journal. */
  unreadable: string[];
  /**
   * How a commit to this target makes its renames durable: "sync -f" (the shell executor),
   * "fsync" (a local target), "fsync@openssh.com" (SFTP only), or null: the SFTP server offers
   * no fsync, and nothing is promised after a power loss.
   */
  sync: string | null;
}

export async function readTargetStatus(target: Transport): Promise<TargetStatus> {
  const lock = await readLock(target);
  const status: TargetStatus = {
    lock:
      lock === undefined
        ? null
        : { ...lock, expired: Date.parse(lock.start) + LOCK_EXPIRY_MS < Date.now(), alive: lock.host === thisHost() ? localProcessAlive(lock.pid, lock.pidStart) : null },
    promotions: [],
    unreadable: [],
    sync: target.capabilities.exec ? "sync -f" : target.syncMethod(),
  };
  for (const entry of (await target.list(STATE_ROOT)) ?? []) {
    if (entry.type !== "directory") continue;
    const recorded = await readJournal(target, stateDirectory(entry.name)).catch(() => undefined);
    if (recorded === undefined) {
      status.unreadable.push(`${STATE_ROOT}/${entry.name}`);
      continue;
    }
    const { journal, state } = recorded;
    const checkRemote = journal.executor === "shell" && !journalFinished(journal) && target.capabilities.exec;
    status.promotions.push({
      id: journal.id,
      state,
      createdAt: journal.createdAt,
      updatedAt: journal.updatedAt,
      user: journal.user,
      host: journal.host,
      source: journal.source,
      executor: journal.executor,
      ...(journal.durable === undefined ? {} : { durable: journal.durable }),
      ...(checkRemote ? { remote: (await readRemoteWork(target, stateDirectory(journal.id))) ?? null } : {}),
      versions: journal.plan.versions
        .filter((version) => version.state !== "identical")
        .map((version) => `${version.groupId}:${version.artifactId}:${version.version}`),
      ...(journal.error === undefined ? {} : { error: journal.error }),
      ...(journal.stoppedBy === undefined ? {} : { stoppedBy: journal.stoppedBy }),
      ...(journal.group === undefined ? {} : { group: journal.group }),
    });
  }
  status.promotions.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  return status;
}
