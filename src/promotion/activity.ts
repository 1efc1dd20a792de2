// Is any part of a promotion still at work? Its client, while it holds the target's lock and
// lives (exactly on its own machine, by heartbeat from another), and its processes on the server
// (the fence). Recovery, cleanup and `unlock --force` ask this before they change anything
// (DESIGN.md invariant 6): with --wait they wait for the work to end, with --stop they stop it
// (SIGTERM, then SIGKILL after a grace period), and otherwise they refuse with exit code 3.
import { PromoteError } from "../errors.js";
import type { Transport } from "../transport/transport.js";
import { localProcessAlive, thisHost } from "../util/process-identity.js";
import { readRemoteWork, signalRemoteWork, STREAM_UNPACK, type RemoteWork } from "./fence.js";
import { HEARTBEAT_MS, lockHolderAlive, readLock } from "./lock.js";
import { stateDirectory } from "./rename-list.js";

export type Activity = ({ kind: "remote" } & RemoteWork) | { kind: "client"; pid: number; host: string; since: string; what: string };

export interface IdleOptions {
  /** How long to wait for the work to end (ms; 0: refuse at once). */
  waitMs?: number;
  /** Stop the work instead of waiting for it. */
  stop?: boolean;
  /** Stop the work found instead of waiting for it when this says so (work that can never end by itself). */
  stopWhen?: (activity: Activity) => boolean;
  /** Between SIGTERM and SIGKILL, and after SIGKILL (ms). */
  graceMs?: number;
  /** Whether the promotion ran processes on the server (the shell executor). */
  remote: boolean;
  /** What the caller is about to do, for the message ("roll back", "resume"...). */
  purpose: string;
  pollMs?: number;
  heartbeatMs?: number;
  /** Told once when the work is found running and the caller waits for it or stops it. */
  onBusy?: (activity: Activity, action: "waiting" | "stopping") => void;
}

/** The promotion's client, if it holds the lock and lives, else its live work on the server. */
export async function findActivity(target: Transport, id: string, options: Pick<IdleOptions, "remote" | "heartbeatMs">): Promise<Activity | undefined> {
  const holder = await readLock(target);
  const holderIsUs = holder?.host === thisHost() && holder.pid === process.pid;
  if (holder?.id === id && !holderIsUs && (await lockHolderAlive(target, holder, options.heartbeatMs ?? HEARTBEAT_MS))) {
    return { kind: "client", pid: holder.pid, host: holder.host, since: holder.start, what: `its client (${holder.user}@${holder.host}) holds the lock` };
  }
  if (!options.remote) return undefined;
  const work = await readRemoteWork(target, stateDirectory(id));
  return work === undefined ? undefined : { kind: "remote", ...work };
}

/**
 * The server's `tar -x` of an upload whose client is not at work (found as remote work, not as
 * the client): nothing writes to its stream any more, and it ends only when the server notices
 * that the connection is gone, which after a link that hung (rather than closed) can take hours.
 */
export function readsALostStream(activity: Activity): boolean {
  return activity.kind === "remote" && activity.what === STREAM_UNPACK;
}

export function describeActivity(activity: Activity): string {
  return activity.kind === "remote"
    ? `${activity.what} (pid ${activity.pid} on ${activity.host}, since ${activity.since})`
    : `${activity.what} (pid ${activity.pid}, since ${activity.since})`;
}

/** Returns once nothing of the promotion runs any more; waits, stops or refuses as asked. */
export async function waitUntilIdle(target: Transport, id: string, options: IdleOptions): Promise<void> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  const pollMs = options.pollMs ?? 200;
  let activity = await findActivity(target, id, options);
  if (activity !== undefined && (options.stop || options.stopWhen?.(activity))) {
    options.onBusy?.(activity, "stopping");
    activity = await stopActivity(target, id, activity, options);
  } else if (activity !== undefined && Date.now() < deadline) {
    options.onBusy?.(activity, "waiting");
  }
  while (activity !== undefined) {
    if (Date.now() >= deadline) {
      const expired = (options.waitMs ?? 0) > 0;
      const hint = readsALostStream(activity)
        ? "Its stream's connection is gone: waiting (--wait) lasts until the server notices, hours after a link that hung; stop it (--stop)."
        : expired
          ? "It did not end in time: wait longer, or stop it (--stop)."
          : undefined;
      throw new PromoteError(expired ? "ERR_WAIT_EXPIRED" : "ERR_PROMOTION_BUSY", `promotion ${id} is still running: ${describeActivity(activity)}; not going to ${options.purpose} beside it`, {
        path: id,
        hint,
      });
    }
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
    activity = await findActivity(target, id, options);
  }
}

/** SIGTERM, a grace period, then SIGKILL: what is left running after that is reported. */
async function stopActivity(target: Transport, id: string, first: Activity, options: IdleOptions): Promise<Activity | undefined> {
  const graceMs = options.graceMs ?? 5000;
  let activity: Activity | undefined = first;
  for (const signal of ["TERM", "KILL"] as const) {
    if (activity === undefined) return undefined;
    await sendSignal(target, id, activity, signal);
    const until = Date.now() + graceMs;
    do {
      await sleep(Math.min(options.pollMs ?? 100, graceMs));
      activity = await findActivity(target, id, options);
      // The client gone, its server work may still be winding down: signal that next.
      if (activity !== undefined && activity.kind !== first.kind) await sendSignal(target, id, activity, signal);
    } while (activity !== undefined && Date.now() < until);
  }
  return activity;
}

async function sendSignal(target: Transport, id: string, activity: Activity, signal: "TERM" | "KILL"): Promise<void> {
  if (activity.kind === "remote") {
    await signalRemoteWork(target, stateDirectory(id), signal);
    return;
  }
  if (activity.host !== thisHost()) {
    throw new PromoteError("ERR_PROMOTION_BUSY", `promotion ${id} is still running: ${describeActivity(activity)}, on another machine: --stop cannot reach it`, {
      path: id,
      hint: `Stop it on ${activity.host}, or wait for it (--wait 10m).`,
    });
  }
  // Never 0 or 1, nor this process: kill(2) with those reaches whole groups, or everything.
  if (activity.pid <= 1 || activity.pid === process.pid || !localProcessAlive(activity.pid, undefined)) return;
  process.kill(activity.pid, `SIG${signal}`);
  // A stopped process (^Z, SIGSTOP) acts on SIGTERM only once it runs again.
  if (signal === "TERM") process.kill(activity.pid, "SIGCONT");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
