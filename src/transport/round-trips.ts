// Counts what a promotion waits on over the network: every SFTP request and remote command
// (`requests`), and the round trips on its longest chain of waits (`roundTrips`): a request sent
// before any answer came is one round trip deep; one sent after the answer to a request n deep
// is n + 1 deep. Requests in flight together share their wait, so pipelining and batching lower
// roundTrips, never requests; a window of 64 requests over 3,000 stats is ~47 deep, not 1. This
// is what a slow link multiplies by its delay. Reads and writes of file contents count as
// requests but not as links of the chain: they go out in windows (fastPut, uploadStream) and
// are paced by bandwidth, or by how fast the bundle is zipped, rather than by the link's delay.
// The depth of a request is the deepest answer so far plus one: what it may have waited on. A
// pipeline that knows which answer a request waited on says so (`sentAfter`, with the depth
// `answerDepth` gave in that answer's callback), and the request is one deeper than that answer
// alone: a window of open/write/close chains (sftp-upload-many.ts) sends the next file's open
// after one earlier open's answer, not after every answer that came in the meantime, and over a
// stream that never stops, "every answer so far" would count the run's length, not its waits.
import { AsyncLocalStorage } from "node:async_hooks";
import type { SFTPWrapper } from "ssh2";

const background = new AsyncLocalStorage<boolean>();
/** In a counted request's callback: that request's depth. */
const answering = new AsyncLocalStorage<number>();
/** Around a send: the depth of the answer it waited on, as the sender says. */
const cause = new AsyncLocalStorage<number>();

/** In the callback of a counted request: its depth (for `sentAfter`); undefined elsewhere. */
export function answerDepth(): number | undefined {
  return answering.getStore();
}

/**
 * Sends within `send` count as sent after the answer of depth `depth` alone (undefined: after
 * every answer so far, the default). Only for a sender that waited on that answer and nothing
 * else of the network (bulk writes and local reads aside).
 */
export function sentAfter<T>(depth: number | undefined, send: () => T): T {
  return depth === undefined ? send() : cause.run(depth, send);
}

/**
 * Runs `work` as background work (the lock's heartbeat): its requests are counted, but nothing
 * of the promotion waits on them, so they add no round trip to the chain. Without this a slower
 * run (more beats) would count more round trips for the same promotion.
 */
export function asBackground<T>(work: () => T): T {
  return background.run(true, work);
}

export interface NetworkStats {
  /** SFTP requests and remote commands sent. */
  requests: number;
  /** The depth of the longest chain of requests each sent after the answer to the one before. */
  roundTrips: number;
  /** SSH channels opened on the target's connection (SFTP, the shell session, any exec). */
  channels: number;
}

export class RoundTripCounter {
  /** The deepest request answered so far: what a request sent now has waited on. */
  private answeredDepth = 0;
  readonly stats: NetworkStats = { requests: 0, roundTrips: 0, channels: 0 };

  /**
   * Records a request sent now; call the returned function once its answer has come. A bulk
   * request (a read or write of file contents) is counted, but adds no round trip to the chain.
   */
  begin(bulk = false): () => void {
    return this.beginAt(bulk).end;
  }

  /** begin(), also giving the request's depth. */
  beginAt(bulk = false): { depth: number; end: () => void } {
    this.stats.requests++;
    const after = cause.getStore();
    const depth = Math.min(after ?? this.answeredDepth, this.answeredDepth) + 1;
    let ended = false;
    return {
      depth,
      end: () => {
        if (ended || bulk) return;
        ended = true;
        this.answeredDepth = Math.max(this.answeredDepth, depth);
        this.stats.roundTrips = this.answeredDepth;
      },
    };
  }
}

/**
 * ssh2's SFTP methods that send exactly one request and take a callback last. Composite methods
 * (readdir of a path, fastPut, fastGet, streams) are built from these through `this`, so they
 * are counted request by request.
 */
const SINGLE_REQUEST_METHODS = [
  "open", "close", "read", "write", "fstat", "stat", "lstat", "opendir", "mkdir", "rmdir", "unlink", "rename",
  "setstat", "fsetstat", "readlink", "symlink", "realpath",
  "ext_openssh_rename", "ext_openssh_statvfs", "ext_openssh_hardlink", "ext_openssh_fsync",
] as const;

/** Makes `sftp` report every request it sends to `counter` (patches the instance, not ssh2). */
export function countSftpRequests(sftp: SFTPWrapper, counter: RoundTripCounter): void {
  const instance = sftp as unknown as Record<string, unknown> & { readdir: (...args: unknown[]) => unknown };
  for (const name of SINGLE_REQUEST_METHODS) {
    const original = instance[name];
    if (typeof original !== "function") continue;
    const bulk = name === "read" || name === "write";
    instance[name] = function (this: unknown, ...args: unknown[]) {
      return withCountedCallback(counter, args, (counted) => original.apply(this, counted), bulk);
    };
  }
  // readdir(handle) is one request; readdir(path) is opendir + readdir(handle)... + close.
  const readdir = instance.readdir;
  instance.readdir = function (this: unknown, ...args: unknown[]) {
    if (typeof args[0] === "string") return readdir.apply(this, args);
    return withCountedCallback(counter, args, (counted) => readdir.apply(this, counted));
  };
}

function withCountedCallback(counter: RoundTripCounter, args: unknown[], send: (args: unknown[]) => unknown, bulk = false): unknown {
  const last = args.length - 1;
  const callback = args[last];
  if (typeof callback !== "function") return send(args);
  const { depth, end } = counter.beginAt(bulk || background.getStore() === true);
  const counted = [...args];
  counted[last] = (...results: unknown[]) => {
    end();
    return answering.run(depth, () => (callback as (...results: unknown[]) => unknown)(...results));
  };
  try {
    return send(counted);
  } catch (error) {
    end();
    throw error;
  }
}
