// Many files up over SFTP without a round trip per file (issue 18, part 3). The directories are
// stat'ed all at once and the missing ones made with their requests pipelined; then each file is
// one chain `open` → (`write`s, `fsetstat`, `close` sent back to back on its handle), with a
// window of such chains in flight that never drains between waves. What bounds the window:
// - the server's open handles: OpenSSH's sftp-server keeps one descriptor per handle and refuses
//   an open past its RLIMIT_NOFILE with a bare SSH_FX_FAILURE; it says how many it allows
//   (limits@openssh.com "max-open-handles", RLIMIT_NOFILE - 5, sftp-server.c
//   process_extended_limits), which ssh2 reads into `maxOpenHandles`. A few are kept back for
//   what runs beside the upload (the lock's heartbeat). A refused open is taken for that limit
//   while other handles are open: the window shrinks and the file waits its turn again; refused
//   with none open, it is the file's own error. No file is dropped either way.
// - OpenSSH's sftp-server reads the requests of a session one at a time and answers each before
//   it reads the next, so a handle whose `close` has been sent is closed before any later `open`
//   is carried out: with such a server a slot is free as soon as the close is sent, and the next
//   file's open goes out in the same callback, never a round trip later. Other servers free a
//   slot when the close is answered. Requests on one handle are carried out in the order sent by
//   every server (draft-ietf-secsh-filexfer-02, 6.1), so write, fsetstat and close need no wait.
// - the bytes held here: a file's open goes out before its bytes are read; small files are read
//   whole, no more than BYTES_IN_FLIGHT at once (read and not yet acknowledged); a larger file
//   takes a slot and goes up with fastPut's own window of writes, LARGE_AT_ONCE of them at most.
// Round trips (round-trips.ts): a file's writes and close are sent after its open's answer, and
// the next file's open after that same answer (its slot was freed by the close), so they are
// counted one deeper than that answer (sentAfter), not than every answer of the stream so far:
// the upload is about files / window round trips deep, plus its directories' three.
import { readFile } from "node:fs/promises";
import { posix } from "node:path";
import type { SFTPWrapper } from "ssh2";
import { PromoteError } from "../errors.js";
import { answerDepth, sentAfter } from "./round-trips.js";
import type { UploadFile } from "./transport.js";

/** What the pipelined upload needs of the SFTP transport. */
export interface ManyUploadHost {
  sftp: SFTPWrapper;
  /** The absolute server path of a repository path. */
  remotePath(path: string): string;
  /** Whether the server carries out requests one at a time in the order sent (OpenSSH). */
  appliesInOrder: boolean;
  fileMode: number;
  /** The mode for directories made (a settings.xml server's), set after mkdir as the umask cuts it. */
  directoryMode?: number;
  /** Server paths known to be directories; those made or found here are added. */
  knownDirectories: Set<string>;
  /** A large file, on its own (fastPut), its directory made already. */
  uploadLarge(localPath: string, path: string, onProgress: (sent: number) => void): Promise<void>;
  /** The one-line error for a failed request on `path` (translated, a full disk told apart). */
  failure(error: unknown, path: string, verb: string): Promise<unknown>;
}

/** What makeDirectories needs of the host. */
export type DirectoryHost = Pick<ManyUploadHost, "sftp" | "remotePath" | "appliesInOrder" | "directoryMode" | "knownDirectories" | "failure">;

/** Files up to this size are read whole and written with requests sent back to back. */
const SMALL_FILE_BYTES = 1024 * 1024;
/**
 * Bytes read ahead and written but not yet acknowledged, at most: a 40 ms, 100 Mbit/s link needs
 * 0.5 MB. No more, as sftp-server reads all it is sent into one buffer that it grows by copying
 * (sshbuf_allocate, recallocarray) while it carries out one request per poll: 16 MiB in flight
 * made a loopback upload of 4,500 files 2 to 20 times slower than 1 MiB.
 */
const BYTES_IN_FLIGHT = 2 * 1024 * 1024;
/** Local reads at once. */
const LOCAL_READS = 16;
/** Handles left to what runs beside the upload (the heartbeat's appends, a journal write). */
const RESERVED_HANDLES = 16;
/** The window where the server does not say its limit (no limits@openssh.com). */
const DEFAULT_WINDOW = 64;
/** The window at most, whatever the server allows (sftp-server's default limit, 1,024 descriptors, gives 1,003). */
const MAX_WINDOW = 4096;
/** Large files going up at once, each with fastPut's 1 MiB of writes in flight and a local descriptor. */
const LARGE_AT_ONCE = 8;
/** What one write may carry where the server does not say (ssh2 splits longer ones, one after another's answer). */
const DEFAULT_WRITE_BYTES = 32 * 1024;
const SSH_FX_NO_SUCH_FILE = 2;
const SSH_FX_FAILURE = 4;

/**
 * ssh2 gives a handle as a view into the packet it came in (a chunk of up to 256 KiB holding many
 * answers): held while its file waits its turn, 4,000 of them kept ~90 MiB of chunks alive in a
 * verify. A copy of its few bytes lets the chunk go.
 */
export function ownHandle(handle: Buffer): Buffer {
  return Buffer.from(handle);
}

/** How many chains of open, write, close may be in flight at once on this session. */
export function uploadWindow(sftp: SFTPWrapper): number {
  const allowed = (sftp as unknown as { maxOpenHandles?: number }).maxOpenHandles;
  if (allowed === undefined || !Number.isFinite(allowed)) return allowed === Infinity ? MAX_WINDOW : DEFAULT_WINDOW;
  return Math.max(1, Math.min(MAX_WINDOW, allowed - RESERVED_HANDLES));
}

/** Uploads every file to its path, its directories made first; the first failure is thrown once nothing is in flight. */
export async function uploadMany(host: ManyUploadHost, files: readonly UploadFile[], onProgress: (sent: number) => void): Promise<void> {
  await makeDirectories(host, [...new Set(files.map((file) => posix.dirname(file.path)))]);
  await uploadFiles(host, files, onProgress);
}

type Kind = "directory" | "other" | undefined;

function statKind(host: DirectoryHost, path: string): Promise<{ kind: Kind; error?: Error }> {
  return new Promise((resolve) =>
    host.sftp.stat(host.remotePath(path), (error, stats) => {
      if (!error) return resolve({ kind: stats.isDirectory() ? "directory" : "other" });
      resolve((error as { code?: number }).code === SSH_FX_NO_SUCH_FILE ? { kind: undefined } : { kind: undefined, error });
    }),
  );
}

function request(send: (callback: (error?: Error | null) => void) => void): Promise<Error | undefined> {
  return new Promise((resolve) => send((error) => resolve(error ?? undefined)));
}

/**
 * mkdir -p of every directory given, in a constant number of round trips: one stat of each
 * directory not known yet (all at once), the missing ones made top-down (all at once where the
 * server applies requests in order, else a level at a time), their modes set, and a second look
 * at any that failed (a racing promotion may have made it).
 */
export async function makeDirectories(host: DirectoryHost, directories: readonly string[]): Promise<void> {
  const known = (path: string): boolean => path === "" || path === "." || host.knownDirectories.has(host.remotePath(path));
  const wanted = new Set<string>();
  for (const directory of directories) for (let path = directory; !known(path) && !wanted.has(path); path = posix.dirname(path)) wanted.add(path);
  const depth = (path: string): number => path.split("/").length;
  const ordered = [...wanted].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0));
  const found = await Promise.all(ordered.map((path) => statKind(host, path)));
  for (const [index, path] of ordered.entries()) {
    const { kind, error } = found[index]!;
    if (error !== undefined) throw await host.failure(error, path, "create");
    if (kind === "other") throw new PromoteError("ERR_IO", `${path}: is in the way of a directory`, { path });
  }
  const missing = ordered.filter((_, index) => found[index]!.kind === undefined);
  const mkdir = (path: string): Promise<Error | undefined> => request((done) => host.sftp.mkdir(host.remotePath(path), done));
  const made: string[] = [];
  const failed: Array<{ path: string; error: Error }> = [];
  const levels = host.appliesInOrder ? [missing] : [...new Set(missing.map(depth))].map((level) => missing.filter((path) => depth(path) === level));
  for (const level of levels) {
    const answers = await Promise.all(level.map(mkdir));
    level.forEach((path, index) => (answers[index] === undefined ? made.push(path) : failed.push({ path, error: answers[index]! })));
    if (failed.length > 0) break;
  }
  if (failed.length > 0) {
    // Made meanwhile by another client (racing promotions), or a real refusal: the shallowest
    // one is what the user must hear about (those under it failed only for want of it).
    const again = await Promise.all(failed.map(({ path }) => statKind(host, path)));
    const refused = failed.find((_, index) => again[index]!.kind !== "directory");
    if (refused !== undefined) {
      if (!host.appliesInOrder) return retryLevels(host, missing);
      throw await host.failure(refused.error, refused.path, "create");
    }
  }
  if (host.directoryMode !== undefined) {
    const mode = host.directoryMode;
    const answers = await Promise.all(made.map((path) => request((done) => host.sftp.setstat(host.remotePath(path), { mode }, done))));
    const index = answers.findIndex((answer) => answer !== undefined);
    if (index >= 0) throw await host.failure(answers[index], made[index]!, "create");
  }
  for (const path of ordered) host.knownDirectories.add(host.remotePath(path));
}

/** A server that does not apply requests in order, after a refusal: a level at a time, each directory checked. */
async function retryLevels(host: DirectoryHost, missing: readonly string[]): Promise<void> {
  for (const path of missing) {
    if ((await statKind(host, path)).kind === "directory") continue;
    const error = await request((done) => host.sftp.mkdir(host.remotePath(path), done));
    if (error !== undefined && (await statKind(host, path)).kind !== "directory") throw await host.failure(error, path, "create");
    if (error === undefined && host.directoryMode !== undefined) {
      const modeError = await request((done) => host.sftp.setstat(host.remotePath(path), { mode: host.directoryMode! }, done));
      if (modeError !== undefined) throw await host.failure(modeError, path, "create");
    }
  }
  for (const path of missing) host.knownDirectories.add(host.remotePath(path));
}

function isLarge(file: UploadFile): boolean {
  return file.localPath !== undefined && file.size > SMALL_FILE_BYTES;
}

interface Pending {
  /** Its place in the list: slots are freed in this order. */
  index: number;
  file: UploadFile;
  /** Where its bytes are: not read yet, waiting for the budget, being read, here (`data`), or gone (sent or dropped). */
  bytes: "unread" | "queued" | "reading" | "here" | "gone";
  data?: Buffer;
  /** The remote file's handle, once open. */
  handle?: Buffer;
  /** The round-trip depth of the open's answer (round-trips.ts): what the close waits on. */
  openDepth?: number;
  /** Refused opens so far (each with other handles open: taken for the server's limit). */
  refusals: number;
  /** Its open failed while its bytes were being read: they are let go of when they come. */
  dropped?: boolean;
}

/** Refusals of one file's open taken for the handle limit, at most: then the refusal is its own. */
const MAX_REFUSALS = 16;

/**
 * The files' open/write/close chains, a window of them in flight (see the header). A file's
 * open goes out once a slot is free; its bytes are read here meanwhile (as many as the budget
 * allows); once both the handle and the bytes are there, its writes, fsetstat and close go out
 * at once, and the slot is free for the next open.
 */
function uploadFiles(host: ManyUploadHost, files: readonly UploadFile[], onProgress: (sent: number) => void): Promise<void> {
  const { sftp } = host;
  const writeBytes = (sftp as unknown as { _maxWriteLen?: number })._maxWriteLen ?? DEFAULT_WRITE_BYTES;
  let window = uploadWindow(sftp);
  /** Opens sent whose handle may still be open on the server. */
  let held = 0;
  /** Files started and not yet settled. */
  let active = 0;
  /** Bytes read here and not yet acknowledged by the server. */
  let buffered = 0;
  let reading = 0;
  let large = 0;
  let next = 0;
  /**
   * The first file whose slot is not free yet. A file is opened only within `window` of it, so
   * that slots pass on in the list's order: a slot whose files are ready at once (metadata made
   * here) would otherwise open one file after another while the others wait for their bytes, a
   * chain as long as the upload lasts instead of files / window.
   */
  let low = 0;
  const freed = new Uint8Array(files.length);
  /** The depth each freed slot's file was answered at: what the opens it lets go waited on. */
  const freedAfter = new Float64Array(files.length);
  /** Files whose open the server refused for its handle limit, to open again first. */
  const again: Pending[] = [];
  /** Started files waiting for the budget to read their bytes, in order. */
  const toRead: Pending[] = [];
  let failed: { error: unknown; path: string; verb: string } | undefined;
  let settled = false;
  let settle!: (error?: unknown) => void;
  const done = new Promise<void>((resolve, reject) => (settle = (error) => (error === undefined ? resolve() : reject(error))));

  const fail = (error: unknown, path: string, verb = "write"): void => {
    failed ??= { error, path, verb };
    readAhead();
  };
  const finishIfIdle = (): void => {
    if (settled || active > 0 || reading > 0) return;
    if (failed !== undefined) {
      settled = true;
      const { error, path, verb } = failed;
      void host.failure(error, path, verb).then(settle, settle);
    } else if (next >= files.length && again.length === 0) {
      settled = true;
      settle();
    }
  };

  /** Opens as many files as the window allows; `cause`: the depth of the answer that freed the slot. */
  const pump = (cause?: number): void => {
    while (failed === undefined && held < window) {
      if (again.length > 0) start(again.shift()!, cause);
      else if (next < files.length && next < low + window && (large < LARGE_AT_ONCE || !isLarge(files[next]!))) {
        start({ index: next, file: files[next]!, bytes: "unread", refusals: 0 }, cause);
        next++;
      } else break;
    }
    finishIfIdle();
  };

  /** The file's handle is closed (or never opened): its slot goes to the next file; `depth` is what it was answered at. */
  const free = (pending: Pending, depth: number | undefined): void => {
    held--;
    freed[pending.index] = 1;
    freedAfter[pending.index] = depth ?? Number.NaN;
    let cause: number | undefined = -1;
    for (; low < next && freed[low] === 1; low++) {
      const after = freedAfter[low]!;
      cause = cause === undefined || Number.isNaN(after) ? undefined : Math.max(cause, after);
    }
    pump(cause === -1 ? depth : cause);
  };

  const start = (pending: Pending, cause: number | undefined): void => {
    active++;
    held++;
    const { file } = pending;
    if (isLarge(file)) return startLarge(pending);
    if (pending.bytes === "unread") {
      if (file.localPath === undefined) {
        pending.data = Buffer.from(file.content ?? "");
        pending.bytes = "here";
        buffered += pending.data.length;
      } else {
        pending.bytes = "queued";
        toRead.push(pending);
        readAhead();
      }
    }
    const othersOpen = held - 1;
    sentAfter(cause, () =>
      sftp.open(host.remotePath(file.path), "w", { mode: host.fileMode }, (openError, handle) => {
        const depth = answerDepth();
        if (!openError) {
          pending.handle = ownHandle(handle); // held while its bytes are read: not the packet it came in
          pending.openDepth = depth;
          if (pending.bytes === "here") send(pending);
          return;
        }
        active--;
        // FAILURE with other handles open: perhaps the server's descriptor limit. Fewer at
        // once, and this file again once some are closed; with none open it is its own error.
        if ((openError as { code?: number }).code === SSH_FX_FAILURE && othersOpen > 0 && pending.refusals < MAX_REFUSALS && failed === undefined) {
          window = Math.max(1, Math.min(window, Math.floor(othersOpen / 2)));
          pending.refusals++;
          again.unshift(pending);
          held--;
          pump(depth);
        } else {
          fail(openError, file.path);
          drop(pending);
          free(pending, depth);
        }
      }),
    );
  };

  /** Lets go of a file's bytes: it will not be written. */
  const drop = (pending: Pending): void => {
    if (pending.bytes === "here") buffered -= pending.data!.length;
    if (pending.bytes === "queued") toRead.splice(toRead.indexOf(pending), 1);
    if (pending.bytes === "reading") pending.dropped = true;
    else pending.bytes = "gone";
    pending.data = undefined;
  };

  /** Reads the bytes of started files, in order, while the budget allows. */
  const readAhead = (): void => {
    // After a failure nothing more is read: the files opened meanwhile are closed empty.
    while (failed !== undefined && toRead.length > 0) {
      const pending = toRead.shift()!;
      pending.data = Buffer.alloc(0);
      pending.bytes = "here";
      if (pending.handle !== undefined) send(pending);
    }
    while (toRead.length > 0 && reading < LOCAL_READS && (buffered === 0 || buffered + toRead[0]!.file.size <= BYTES_IN_FLIGHT)) {
      const pending = toRead.shift()!;
      pending.bytes = "reading";
      reading++;
      buffered += pending.file.size;
      const arrived = (data: Buffer | undefined, error?: unknown): void => {
        reading--;
        buffered -= pending.file.size;
        if (error !== undefined) fail(error, pending.file.path, "read");
        if (pending.dropped === true) {
          pending.bytes = "gone"; // its open failed meanwhile
        } else {
          pending.data = data ?? Buffer.alloc(0);
          pending.bytes = "here";
          buffered += pending.data.length;
          if (pending.handle !== undefined) send(pending);
        }
        readAhead();
        finishIfIdle();
      };
      readFile(pending.file.localPath!).then(arrived, (error: unknown) => arrived(undefined, error));
    }
  };

  /** The writes, fsetstat and close of an open file whose bytes are here, back to back. */
  const send = (pending: Pending): void => {
    const { file, handle } = pending;
    const data = failed === undefined ? pending.data! : Buffer.alloc(0);
    buffered -= pending.data!.length - data.length;
    pending.data = undefined;
    pending.bytes = "gone";
    let unacknowledged = data.length;
    let firstError: { error: Error; verb: string } | undefined;
    sentAfter(pending.openDepth, () => {
      for (let offset = 0; offset < data.length; offset += writeBytes) {
        const length = Math.min(writeBytes, data.length - offset);
        sftp.write(handle!, data, offset, length, offset, (error) => {
          const released = Math.min(length, unacknowledged);
          unacknowledged -= released;
          buffered -= released;
          if (error) firstError ??= { error, verb: "write" };
          else onProgress(length);
          readAhead();
        });
      }
      // The mode exactly, whatever the server's umask did to open's (as fastPut's fchmod).
      sftp.fchmod(handle!, host.fileMode, (error) => {
        if (error) firstError ??= { error, verb: "set the mode of" };
      });
      sftp.close(handle!, (error) => {
        buffered -= unacknowledged; // writes never answered (the session closed)
        unacknowledged = 0;
        const problem = firstError ?? (error ? { error, verb: "write" } : undefined);
        if (problem !== undefined) fail(problem.error, file.path, problem.verb);
        active--;
        readAhead();
        if (host.appliesInOrder) pump(answerDepth());
        else free(pending, answerDepth());
      });
    });
    // The server closes the handle before it reads the next open (see the header).
    if (host.appliesInOrder) free(pending, pending.openDepth);
  };

  const startLarge = (pending: Pending): void => {
    const { file } = pending;
    large++;
    const finished = (error?: unknown): void => {
      large--;
      active--;
      // Already one line (upload() translated it): kept as it is.
      if (error !== undefined) fail(error, file.path);
      free(pending, undefined);
    };
    host.uploadLarge(file.localPath!, file.path, onProgress).then(() => finished(), finished);
  };

  pump();
  return done;
}
