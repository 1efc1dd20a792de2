// The target's lock (DESIGN.md invariant 7): one promotion writes to a target at a time. It is a
// file made by exclusive create, so two promotions can never both believe they hold it. A lock
// whose holder died stays until `resume`/`rollback` of that same promotion takes it over, or a
// user breaks it with `unlock --force`: maven-promote never breaks a lock on its own.
import { hostname, userInfo } from "node:os";
import { PromoteError } from "../errors.js";
import type { Transport } from "../transport/transport.js";
import { formatDuration } from "../util/duration.js";

export const STATE_ROOT = ".maven-promote";
export const LOCK_PATH = `${STATE_ROOT}/lock`;
/** After this, `status` calls a lock stale; it is still only broken on request. */
export const LOCK_EXPIRY_MS = 60 * 60 * 1000;

export interface LockInfo {
  id: string;
  user: string;
  host: string;
  pid: number;
  start: string;
  expiry: string;
}

export function lockFor(id: string, now = new Date()): LockInfo {
  let user = process.env.USER ?? "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry: keep $USER
  }
  return { id, user, host: hostname(), pid: process.pid, start: now.toISOString(), expiry: new Date(now.getTime() + LOCK_EXPIRY_MS).toISOString() };
}

export async function readLock(target: Transport): Promise<LockInfo | undefined> {
  const bytes = await target.readFile(LOCK_PATH, 64 * 1024);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8")) as LockInfo;
  } catch {
    // A torn or foreign lock file still locks: show what there is.
    return { id: "(unreadable lock file)", user: "?", host: "?", pid: 0, start: "?", expiry: "?" };
  }
}

export function describeLock(lock: LockInfo): string {
  const age = Date.parse(lock.start);
  const since = Number.isNaN(age) ? lock.start : `${lock.start}, ${formatDuration(Date.now() - age)} ago`;
  return `promotion ${lock.id} (${lock.user}@${lock.host}, pid ${lock.pid}, since ${since})`;
}

export interface AcquireOptions {
  /** How long to wait for a held lock (ms); 0 fails at once. */
  waitMs?: number;
  /** Take the lock over if this same promotion holds it (resume and rollback after a crash). */
  takeOver?: boolean;
  pollMs?: number;
}

export async function acquireLock(target: Transport, lock: LockInfo, options: AcquireOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  const body = JSON.stringify(lock, null, 2) + "\n";
  for (;;) {
    await target.mkdirp(STATE_ROOT);
    if (await target.createExclusive(LOCK_PATH, body)) return;
    const holder = await readLock(target);
    if (holder === undefined) continue; // released between our two calls: try again at once
    if (options.takeOver && holder.id === lock.id) {
      await target.writeFile(LOCK_PATH, body);
      return;
    }
    if (Date.now() >= deadline) {
      throw new PromoteError("ERR_LOCK_HELD", `${target.location} is locked by ${describeLock(holder)}`, {
        path: LOCK_PATH,
        hint: `Wait for it (--wait 10m), or if its process is gone: \`maven-promote resume ${holder.id}\` or \`rollback ${holder.id}\`; \`unlock --force\` only as a last resort.`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.pollMs ?? 500, Math.max(0, deadline - Date.now()))));
  }
}

/** Releases the lock if `id` holds it; a lock someone else holds is never touched. */
export async function releaseLock(target: Transport, id: string): Promise<void> {
  const holder = await readLock(target);
  if (holder?.id !== id) return;
  await target.remove(LOCK_PATH);
  // A run that wrote nothing else leaves the target as it found it: no empty .maven-promote/.
  // (Non-recursive: if another promotion's lock or journal is in there, it stays.)
  await target.removeEmptyDirectory(STATE_ROOT);
}

/** `unlock --force`: removes whatever lock there is and says whose it was. */
export async function breakLock(target: Transport): Promise<LockInfo | undefined> {
  const holder = await readLock(target);
  if (holder !== undefined) {
    await target.remove(LOCK_PATH);
    await target.removeEmptyDirectory(STATE_ROOT);
  }
  return holder;
}
