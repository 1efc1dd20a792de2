// The target's lock (DESIGN.md invariant 7): one promotion writes to a target at a time. It is a
// file made by exclusive create, so two promotions can never both believe they hold it. A lock
// whose holder died stays until `resume`/`rollback` of that same promotion takes it over, or a
// user breaks it with `unlock --force`: maven-promote never breaks a lock on its own.
//
// Whether a lock's holder still lives is known exactly on the machine that took it (pid and the
// kernel's start time of that process); seen from another machine, a holder lives while its
// heartbeat advances: every holder rewrites the lock with a new beat count every few seconds.
// Only the count is compared, never two machines' clocks.
import { userInfo } from "node:os";
import { PromoteError } from "../errors.js";
import { asBackground } from "../transport/round-trips.js";
import type { Transport } from "../transport/transport.js";
import { formatDuration } from "../util/duration.js";
import { localProcessAlive, processStart, thisHost } from "../util/process-identity.js";

export const STATE_ROOT = ".maven-promote";
export const LOCK_PATH = `${STATE_ROOT}/lock`;
/** After this, `status` calls a lock stale; it is still only broken on request. */
export const LOCK_EXPIRY_MS = 60 * 60 * 1000;
/** How often a holder rewrites its lock's beat; another machine calls it dead after three missed. */
export const HEARTBEAT_MS = 2000;

export interface LockInfo {
  id: string;
  user: string;
  host: string;
  pid: number;
  /** The kernel's identity of the holder's process (boot id and start time), where it has one. */
  pidStart?: string;
  start: string;
  expiry: string;
  /** The heartbeat: rewritten every HEARTBEAT_MS while the holder lives. */
  beat?: number;
}

export function lockFor(id: string, now = new Date()): LockInfo {
  let user = process.env.USER ?? "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry: keep $USER
  }
  const pidStart = processStart(process.pid);
  return {
    id,
    user,
    host: thisHost(),
    pid: process.pid,
    ...(pidStart === undefined ? {} : { pidStart }),
    start: now.toISOString(),
    expiry: new Date(now.getTime() + LOCK_EXPIRY_MS).toISOString(),
  };
}

const TORN_LOCK_ID = "(unreadable lock file)";

export async function readLock(target: Transport): Promise<LockInfo | undefined> {
  const bytes = await target.readFile(LOCK_PATH, 64 * 1024);
  return bytes === undefined ? undefined : parseLock(bytes);
}

/**
 * The lock as its holder wrote it. A lock just taken by exclusive create is empty until its
 * holder's write lands (over SFTP: open, then write, then close), so an empty file is read again
 * for up to a second before it is reported as unreadable.
 */
async function readSettledLock(target: Transport): Promise<LockInfo | undefined> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const bytes = await target.readFile(LOCK_PATH, 64 * 1024);
    if (bytes === undefined || bytes.length > 0) return bytes === undefined ? undefined : parseLock(bytes);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return readLock(target);
}

function parseLock(bytes: Buffer): LockInfo {
  try {
    return JSON.parse(bytes.toString("utf8")) as LockInfo;
  } catch {
    // A torn or foreign lock file still locks: show what there is.
    return { id: TORN_LOCK_ID, user: "?", host: "?", pid: 0, start: "?", expiry: "?" };
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
  /** How often the heartbeat beats (tests shorten it). */
  heartbeatMs?: number;
}

export async function acquireLock(target: Transport, lock: LockInfo, options: AcquireOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  const body = JSON.stringify(lock, null, 2) + "\n";
  for (;;) {
    await target.mkdirp(STATE_ROOT);
    const created = await target.createExclusive(LOCK_PATH, body).catch(async (error: unknown) => {
      // No lock could be written (a full disk): leave no empty .maven-promote/ behind either.
      await target.removeEmptyDirectory(STATE_ROOT).catch(() => undefined);
      throw error;
    });
    if (created) return startHeartbeat(target, lock, options.heartbeatMs);
    const holder = await readSettledLock(target);
    if (holder === undefined) continue; // released between our two calls: try again at once
    if (options.takeOver && holder.id === lock.id) {
      await writeLockAside(target, lock);
      return startHeartbeat(target, lock, options.heartbeatMs);
    }
    if (Date.now() >= deadline) {
      // After a --wait that ran out the lock may be free next time (75); without one, it is 3.
      if ((options.waitMs ?? 0) > 0) {
        throw new PromoteError("ERR_WAIT_EXPIRED", `${target.location} is still locked by ${describeLock(holder)} after waiting ${formatDuration(options.waitMs!)}`, { path: LOCK_PATH });
      }
      throw new PromoteError("ERR_LOCK_HELD", `${target.location} is locked by ${describeLock(holder)}`, {
        path: LOCK_PATH,
        hint: `Wait for it (--wait 10m), or if its process is gone: \`maven-promote resume ${holder.id}\` or \`rollback ${holder.id}\`; \`unlock --force\` only as a last resort.`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.pollMs ?? 500, Math.max(0, deadline - Date.now()))));
  }
}

/**
 * On a new connection after the old one was lost: takes back the lock this process holds for
 * `id` and beats on the new connection. A lock gone meanwhile (released by the finish the cut
 * interrupted) is taken again; one another process holds now is not: ERR_LOCK_LOST (or, given
 * waitMs, while the lock is still being taken, it is waited for like any held lock).
 */
export async function reclaimLock(target: Transport, lock: LockInfo, options: Pick<AcquireOptions, "heartbeatMs" | "waitMs"> = {}): Promise<void> {
  await stopHeartbeat(target, lock.id);
  const holder = await readSettledLock(target);
  // Cut between its exclusive create and its write, our own lock is an empty file: no one
  // else's (a live holder's write lands within readSettledLock's second).
  const torn = holder?.id === TORN_LOCK_ID && (await target.stat(LOCK_PATH))?.size === 0;
  if (holder === undefined || torn) {
    if (torn) await target.remove(LOCK_PATH);
    return acquireLock(target, lock, { ...options, waitMs: 0 });
  }
  if (holder.id !== lock.id || holder.host !== lock.host || holder.pid !== lock.pid) {
    // Still taking it (the cut came before our create landed): another holder is waited for as usual.
    if (options.waitMs !== undefined) return acquireLock(target, lock, options);
    throw new PromoteError("ERR_LOCK_LOST", `promotion ${lock.id}: while its connection was down, ${describeLock(holder)} took the target's lock; stopping here`, { path: LOCK_PATH });
  }
  await writeLockAside(target, lock);
  startHeartbeat(target, lock, options.heartbeatMs);
}

/** Releases the lock if `id` holds it; a lock someone else holds is never touched. */
export async function releaseLock(target: Transport, id: string): Promise<void> {
  await stopHeartbeat(target, id);
  const holder = await readLock(target);
  if (holder?.id !== id) return;
  await target.remove(LOCK_PATH);
  // A run that wrote nothing else leaves the target as it found it: no empty .maven-promote/.
  // (Non-recursive: if another promotion's lock or journal is in there, it stays.)
  await target.removeEmptyDirectory(STATE_ROOT);
}

/** `unlock --force`: removes whatever lock there is and says whose it was. */
export async function breakLock(target: Transport, guard: (holder: LockInfo) => Promise<void> = async () => {}): Promise<LockInfo | undefined> {
  const holder = await readLock(target);
  if (holder !== undefined) {
    await guard(holder);
    await target.remove(LOCK_PATH);
    await target.removeEmptyDirectory(STATE_ROOT);
  }
  return holder;
}

/** Replaces the lock file in one rename, so that a reader never sees half of it. */
async function writeLockAside(target: Transport, lock: LockInfo): Promise<void> {
  const aside = `${LOCK_PATH}.${process.pid}.tmp`;
  await target.writeFile(aside, JSON.stringify(lock, null, 2) + "\n").catch(async (error: unknown) => {
    await target.remove(aside).catch(() => undefined); // half written (a full disk): not left behind
    throw error;
  });
  await target.rename(aside, LOCK_PATH, { replace: true });
}

function isSameHolder(a: LockInfo | undefined, b: LockInfo): boolean {
  return a !== undefined && a.id === b.id && a.host === b.host && a.pid === b.pid && a.start === b.start;
}

interface Heartbeat {
  timer?: NodeJS.Timeout;
  stopped: boolean;
  /** The lock was taken over by another process (a recovery that found this one silent). */
  lost: boolean;
  beating: Promise<void>;
}

const heartbeats = new Map<string, Heartbeat>();
const heartbeatKey = (target: Transport, id: string): string => `${target.location}\0${id}`;

function startHeartbeat(target: Transport, lock: LockInfo, intervalMs = HEARTBEAT_MS): void {
  const key = heartbeatKey(target, lock.id);
  const previous = heartbeats.get(key);
  if (previous !== undefined) clearInterval(previous.timer);
  let beat = 0;
  const heartbeat: Heartbeat = { stopped: false, lost: false, beating: Promise.resolve() };
  const beatOnce = async (): Promise<void> => {
    if (heartbeat.stopped) return;
    const holder = await readLock(target).catch(() => lock);
    if (heartbeat.stopped) return;
    if (!isSameHolder(holder, lock)) {
      heartbeat.lost = true;
      heartbeat.stopped = true;
      clearInterval(heartbeat.timer);
      return;
    }
    beat += 1;
    await writeLockAside(target, { ...lock, beat }).catch(() => undefined); // a lost connection: the next beat tries again
  };
  heartbeat.timer = setInterval(() => {
    heartbeat.beating = asBackground(() => heartbeat.beating.then(beatOnce));
  }, intervalMs);
  heartbeat.timer.unref();
  heartbeats.set(key, heartbeat);
}

/** Stops this process's heartbeat for the lock (and waits for a beat in flight); the lock stays. */
export async function stopHeartbeat(target: Transport, id: string): Promise<void> {
  const key = heartbeatKey(target, id);
  const heartbeat = heartbeats.get(key);
  if (heartbeat === undefined) return;
  heartbeat.stopped = true;
  clearInterval(heartbeat.timer);
  heartbeats.delete(key);
  await heartbeat.beating;
}

/** Whether another process took over the lock this process held (it must stop writing). */
export function lockLost(target: Transport, id: string): boolean {
  return heartbeats.get(heartbeatKey(target, id))?.lost === true;
}

/**
 * Whether the process that holds a lock still lives. On its own machine: exactly, from its pid
 * and start time. From another machine: it lives if its heartbeat advances within three beats
 * (a lock that changes hands or goes away meanwhile no longer has this holder).
 */
export async function lockHolderAlive(target: Transport, holder: LockInfo, heartbeatMs = HEARTBEAT_MS): Promise<boolean> {
  if (holder.host === thisHost()) return localProcessAlive(holder.pid, holder.pidStart);
  const deadline = Date.now() + 3 * heartbeatMs;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, heartbeatMs / 4)));
    const now = await readLock(target);
    if (!isSameHolder(now, holder)) return false;
    if ((now!.beat ?? 0) !== (holder.beat ?? 0)) return true;
  }
  return false;
}
