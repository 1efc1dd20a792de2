// What a target holds of maven-promote's own: its lock and the promotions on record.
import type { Transport } from "../transport/transport.js";
import { readJournal, type Journal, type JournalState } from "./journal.js";
import { LOCK_EXPIRY_MS, STATE_ROOT, readLock, type LockInfo } from "./lock.js";
import { stateDirectory } from "./rename-list.js";

export interface PromotionRecord extends Pick<Journal, "id" | "createdAt" | "updatedAt" | "user" | "host" | "source" | "error"> {
  /** The journal's state, or a later one from its steps log. */
  state: JournalState;
  /** `group:artifact:version` of every version the promotion adds. */
  versions: string[];
}

export interface TargetStatus {
  lock: (LockInfo & { expired: boolean }) | null;
  promotions: PromotionRecord[];
  /** Directories under .maven-promote/ without a readable journal. */
  unreadable: string[];
}

export async function readTargetStatus(target: Transport): Promise<TargetStatus> {
  const lock = await readLock(target);
  const status: TargetStatus = {
    lock: lock === undefined ? null : { ...lock, expired: Date.parse(lock.start) + LOCK_EXPIRY_MS < Date.now() },
    promotions: [],
    unreadable: [],
  };
  for (const entry of (await target.list(STATE_ROOT)) ?? []) {
    if (entry.type !== "directory") continue;
    const recorded = await readJournal(target, stateDirectory(entry.name)).catch(() => undefined);
    if (recorded === undefined) {
      status.unreadable.push(`${STATE_ROOT}/${entry.name}`);
      continue;
    }
    const { journal, state } = recorded;
    status.promotions.push({
      id: journal.id,
      state,
      createdAt: journal.createdAt,
      updatedAt: journal.updatedAt,
      user: journal.user,
      host: journal.host,
      source: journal.source,
      versions: journal.plan.versions
        .filter((version) => version.state !== "identical")
        .map((version) => `${version.groupId}:${version.artifactId}:${version.version}`),
      ...(journal.error === undefined ? {} : { error: journal.error }),
    });
  }
  status.promotions.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  return status;
}
