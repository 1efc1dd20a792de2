// Many SFTP requests of one kind in flight together (issue 18, part 3): what --sftp-only's plan,
// commit and verify ask of the target for every file (a stat, a rename, a hard link, an fsync),
// without a round trip per file. As for the upload (sftp-upload-many.ts):
// - requests that hold no handle (stat, rename, hardlink@openssh.com) go out REQUESTS_IN_FLIGHT
//   at a time, each answer letting the next one go;
// - a request on a file (fsync@openssh.com, reads) needs the file open: each file is a chain
//   `open` → (its requests and `close`, sent back to back on the handle), with a window of such
//   chains as wide as the server's handles allow (uploadWindow). OpenSSH's sftp-server carries
//   out one request at a time in the order sent, so a handle whose close has been sent is closed
//   before any later open: there the slot is free once the close is sent (else once it is
//   answered), and the next file's open goes out in the same callback.
// Round trips (round-trips.ts): the request that takes a freed slot is counted as sent after the
// answer that freed it (sentAfter), and a file's requests after its open's answer: a window of
// W over N files is about N / W round trips deep, as a slow link would make it wait.
import type { SFTPWrapper, Stats } from "ssh2";
import { PromoteError } from "../errors.js";
import { answerDepth, sentAfter } from "./round-trips.js";
import { makeDirectories, ownHandle, uploadWindow, type DirectoryHost } from "./sftp-upload-many.js";
import type { BatchOperation, FileStat } from "./transport.js";

/** What the pipelined requests need of the SFTP transport. */
export interface InFlightHost extends DirectoryHost {
  /** A request's error as one line (ERR_IO, ERR_PERMISSION, ...), naming `path`. */
  translate(error: unknown, path: string, verb: string): PromoteError;
  /** Forgets known directories at or under a server path (it is renamed away). */
  forgetDirectories(remote: string): void;
  /** A copy of a file, where the server cannot hard-link it (server paths). */
  copy(fromRemote: string, toRemote: string): Promise<void>;
}

/** Requests that hold no handle, in flight at once: about 0.6 MB of paths, well within what sftp-server takes in at a time. */
const REQUESTS_IN_FLIGHT = 4096;
/** Files copied at once where hard links fail (each is a read and a write of the whole file). */
const COPIES_AT_ONCE = 8;
const SSH_FX_NO_SUCH_FILE = 2;

export function isNoSuchFile(error: unknown): boolean {
  const code = (error as { code?: number | string } | undefined)?.code;
  const message = error instanceof Error ? error.message : "";
  return code === SSH_FX_NO_SUCH_FILE || code === "ENOENT" || /No such file/i.test(message);
}

export function fileStatOf(stats: Stats): FileStat {
  return { type: stats.isFile() ? "file" : stats.isDirectory() ? "directory" : "other", size: stats.size, mtimeMs: stats.mtime * 1000 };
}

/** A job's hold on its place in the window (slidingWindow). */
export interface Slot {
  /** Lets the next job start; `depth`: the depth of the answer that let it go (round-trips.ts). */
  free(depth: number | undefined): void;
  /** The job is over (frees the slot too, if it has not). */
  end(): void;
}

/**
 * Starts job(0), job(1), ... with at most `limit` holding a slot at once; a job's first requests
 * are counted as sent after the answer that freed its slot. Jobs never throw (a throw ends the
 * job). Resolves once every job has ended.
 */
export function slidingWindow(count: number, limit: number, job: (index: number, slot: Slot) => void): Promise<void> {
  return new Promise((resolve) => {
    let next = 0;
    let ended = 0;
    /** Causes of freed slots waiting to start a job; a loop, not recursion: a job may end at once. */
    const freed: Array<number | undefined> = [];
    let pumping = false;
    const pump = (): void => {
      if (pumping) return;
      pumping = true;
      while (freed.length > 0) {
        const cause = freed.shift();
        if (next < count) start(next++, cause);
      }
      pumping = false;
      if (ended === count) resolve();
    };
    const start = (index: number, cause: number | undefined): void => {
      let isFree = false;
      let isOver = false;
      const slot: Slot = {
        free(depth) {
          if (isFree) return;
          isFree = true;
          freed.push(depth);
          pump();
        },
        end() {
          if (isOver) return;
          isOver = true;
          ended++;
          if (!isFree) slot.free(answerDepth());
          else pump();
        },
      };
      try {
        sentAfter(cause, () => job(index, slot));
      } catch {
        slot.end();
      }
    };
    for (let index = 0; index < Math.min(limit, count); index++) freed.push(undefined);
    pump();
  });
}

/** Throws the first of `errors` in their order, if any. */
function throwFirst(errors: ReadonlyArray<unknown>): void {
  for (const error of errors) if (error !== undefined) throw error;
}

/** stat() of every path, REQUESTS_IN_FLIGHT at a time: undefined where there is none; any other error is thrown (the first in order) once all are answered. */
export async function statMany(host: InFlightHost, paths: readonly string[]): Promise<Array<FileStat | undefined>> {
  const results = new Array<FileStat | undefined>(paths.length);
  const errors = new Array<unknown>(paths.length);
  await slidingWindow(paths.length, REQUESTS_IN_FLIGHT, (index, slot) => {
    const path = paths[index]!;
    try {
      host.sftp.stat(host.remotePath(path), (error, stats) => {
        if (!error) results[index] = fileStatOf(stats);
        else if (!isNoSuchFile(error)) errors[index] = host.translate(error, path, "read");
        slot.end();
      });
    } catch (error) {
      errors[index] = error instanceof PromoteError ? error : host.translate(error, path, "read");
      slot.end();
    }
  });
  throwFirst(errors);
  return results;
}

/**
 * Moves and hard links, all in flight at once, in no particular order; the directories they go
 * into made first (a constant number of round trips, sftp-upload-many.ts). A move with replace
 * is rename(2) (posix-rename@openssh.com); without, SSH_FXP_RENAME, which refuses an existing
 * destination (draft-ietf-secsh-filexfer-02, 6.5). A link the server refuses becomes a copy,
 * as linkOrCopy does. The first failure (in the order given) is thrown once all are answered.
 */
export async function applyAll(host: InFlightHost, operations: readonly BatchOperation[]): Promise<void> {
  const made = operations.filter((operation) => operation.op === "link" || !operation.replace).map((operation) => parentOf(operation.to));
  await makeDirectories(host, [...new Set(made)].filter((directory) => directory !== ""));
  const errors = new Array<unknown>(operations.length);
  const copies: number[] = [];
  const sftp = host.sftp as SFTPWrapper & { ext_openssh_hardlink(from: string, to: string, callback: (error?: Error | null) => void): void };
  const verb = (operation: BatchOperation): string => (operation.op === "link" ? "copy" : "rename");
  await slidingWindow(operations.length, REQUESTS_IN_FLIGHT, (index, slot) => {
    const operation = operations[index]!;
    try {
      const from = host.remotePath(operation.from);
      const to = host.remotePath(operation.to);
      const answered = (error?: Error | null): void => {
        if (error && operation.op === "link") copies.push(index);
        else if (error) errors[index] = error;
        slot.end();
      };
      if (operation.op === "link") {
        try {
          sftp.ext_openssh_hardlink(from, to, answered);
        } catch {
          answered(new Error("no hardlink@openssh.com")); // the server does not offer it: a copy
        }
      } else {
        host.forgetDirectories(from);
        if (operation.replace) sftp.ext_openssh_rename(from, to, answered);
        else sftp.rename(from, to, answered);
      }
    } catch (error) {
      errors[index] = error;
      slot.end();
    }
  });
  await Promise.all(
    Array.from({ length: Math.min(COPIES_AT_ONCE, copies.length) }, async () => {
      for (let index = copies.shift(); index !== undefined; index = copies.shift()) {
        const { from, to } = operations[index]!;
        await host.copy(host.remotePath(from), host.remotePath(to)).catch((error: unknown) => void (errors[index] = error));
      }
    }),
  );
  for (const [index, error] of errors.entries()) {
    if (error === undefined) continue;
    const operation = operations[index]!;
    throw error instanceof PromoteError ? error : await host.failure(error, operation.to, verb(operation));
  }
}

/**
 * fsync@openssh.com of every path (files and directories: OpenSSH's sftp-server opens a
 * directory read-only like a file, and fsync of it makes its entries durable), each an open
 * followed by its fsync and close back to back, a window of them as wide as the server's
 * handles allow. A path that is not there is skipped. An open refused for another reason (a
 * server that cannot open a directory, or its descriptor limit reached after all) is tried
 * again on its own, `again`, once the window is done.
 */
export async function syncMany(host: InFlightHost, paths: readonly string[], again: (path: string) => Promise<void>): Promise<void> {
  const { sftp } = host;
  const errors = new Array<unknown>(paths.length);
  const retry: string[] = [];
  await slidingWindow(paths.length, uploadWindow(sftp), (index, slot) => {
    const path = paths[index]!;
    try {
      sftp.open(host.remotePath(path), "r", (openError, opened) => {
        if (openError) {
          if (!isNoSuchFile(openError)) retry.push(path);
          return slot.end();
        }
        const handle = ownHandle(opened);
        const depth = answerDepth();
        let answers = 0;
        const answered = (): void => {
          if (++answers === 2) slot.end();
        };
        sentAfter(depth, () => {
          try {
            sftp.ext_openssh_fsync(handle, (error?: Error | null) => {
              if (error) errors[index] = host.translate(error, path, "sync");
              answered();
            });
          } catch (error) {
            errors[index] = host.translate(error, path, "sync"); // the server took fsync@openssh.com back?
            answered();
          }
          sftp.close(handle, answered);
        });
        if (host.appliesInOrder) slot.free(depth);
      });
    } catch (error) {
      errors[index] = error instanceof PromoteError ? error : host.translate(error, path, "sync");
      slot.end();
    }
  });
  throwFirst(errors);
  for (const path of retry) await again(path);
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}
