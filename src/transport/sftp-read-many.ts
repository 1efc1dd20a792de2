// Reading many files back over SFTP without a round trip per file (issue 18, part 3): the small
// files a plan and a verify read (metadata and its checksums), and every file a verify hashes.
// Each file is a chain `open` → (`fstat`, its reads, `close` back to back on the handle), a
// window of them as wide as the server's handles allow (sftp-many.ts has the window and how its
// round trips are counted). What they hold here is bounded: a small file's first read is at most
// FIRST_READ bytes, PROBE_BUDGET of them at once; a hashed file's pieces are sent while no more
// than READ_BUDGET bytes are asked for and not yet hashed, so that a verify of 45,000 files
// holds a few MiB, not the release (its 64 files at once, each with 1 MiB of reads in flight,
// and a promise per file kept alive by the connection's watch made 326 MiB at 3,000 artifacts).
// The reads of file contents count as requests, not as links of the chain (round-trips.ts): they
// are paced by bandwidth, and the next open goes out once a file's close is sent.
import { createHash, type Hash } from "node:crypto";
import type { Stats } from "ssh2";
import type { DigestAlgorithm, DigestResult } from "../integrity/digests.js";
import { answerDepth, sentAfter } from "./round-trips.js";
import { fileStatOf, isNoSuchFile, slidingWindow, statMany, type InFlightHost, type Slot } from "./sftp-many.js";
import { ownHandle, uploadWindow } from "./sftp-upload-many.js";
import type { DigestRequest, ProbeRequest, ProbeResult } from "./transport.js";

/** The first (and for most files only) read of a file probed: checksum files and most metadata fit. */
const FIRST_READ = 4 * 1024;
/** Bytes of first reads in flight at once, at most (4,096 files). */
const PROBE_BUDGET = 16 * 1024 * 1024;
/** Bytes asked for and not yet let go of, at most, by the reads of whole files and of hashed ones. */
const READ_BUDGET = 8 * 1024 * 1024;
/** A hashed file is read in pieces of this size at most. */
const PIECE = 64 * 1024;

/**
 * Buffers of one size, used again once let go of. Reads held while others come in outlive
 * V8's young generation, and fresh ones for every read would wait for a full collection (its
 * external-memory trigger is 64 MiB past the last): a verify's read-back of 1.3 GB held ~100 MiB
 * of them at once.
 */
class BufferPool {
  private readonly free: Buffer[] = [];
  constructor(private readonly size: number) {}
  /** A buffer of at least `length` bytes: a pooled one for a whole piece, an own one (small: from Node's slabs) for less. */
  take(length = this.size): Buffer {
    return length === this.size ? (this.free.pop() ?? Buffer.allocUnsafe(this.size)) : Buffer.allocUnsafe(length);
  }
  give(buffer: Buffer): void {
    if (buffer.length === this.size) this.free.push(buffer);
  }
}


/**
 * What probeMany (read-many.ts) returns, its requests in flight together: the stat of every
 * path, and the bytes of the `read` paths that are files of at most maxBytes. A file whose bytes
 * did not come whole is left without them (the caller reads it on its own).
 */
export async function probeInFlight(host: InFlightHost, request: ProbeRequest): Promise<Map<string, ProbeResult>> {
  const read = [...new Set(request.read)];
  const reading = new Set(read);
  const statOnly = [...new Set(request.stat)].filter((path) => !reading.has(path));
  const [stats, probed] = await Promise.all([statMany(host, statOnly), readSmall(host, read, request.maxBytes)]);
  const results = new Map<string, ProbeResult>();
  statOnly.forEach((path, index) => results.set(path, { stat: stats[index] }));
  // Opens refused for another reason than a missing file: a plain stat tells what is there.
  const refused = read.filter((_, index) => probed[index] === undefined);
  const refusedStats = await statMany(host, refused);
  refused.forEach((path, index) => results.set(path, { stat: refusedStats[index] }));
  const large: Array<{ path: string; size: number }> = [];
  read.forEach((path, index) => {
    const result = probed[index];
    if (result === undefined) return;
    results.set(path, result);
    if (result.stat?.type === "file" && result.content === undefined && result.stat.size <= request.maxBytes) large.push({ path, size: result.stat.size });
  });
  for (const { path, content } of await readWhole(host, large)) if (content !== undefined) results.get(path)!.content = content;
  return results;
}

/** Each path opened, fstat'ed and read once (FIRST_READ bytes); undefined where the open was refused for another reason than a missing file. */
async function readSmall(host: InFlightHost, paths: readonly string[], maxBytes: number): Promise<Array<ProbeResult | undefined>> {
  const { sftp } = host;
  const first = Math.max(0, Math.min(maxBytes, FIRST_READ));
  const results = new Array<ProbeResult | undefined>(paths.length);
  const limit = Math.min(uploadWindow(sftp), Math.max(1, Math.floor(PROBE_BUDGET / Math.max(1, first))));
  const buffers = new BufferPool(first);
  await slidingWindow(paths.length, limit, (index, slot) => {
    const path = paths[index]!;
    sftp.open(host.remotePath(path), "r", (openError, opened) => {
      if (openError) {
        if (isNoSuchFile(openError)) results[index] = { stat: undefined };
        return slot.end();
      }
      const handle = ownHandle(opened);
      const depth = answerDepth();
      const buffer = buffers.take();
      let stats: Stats | undefined;
      let statError: Error | undefined;
      let bytesRead: number | undefined;
      let waiting = first > 0 ? 3 : 2;
      const answered = (): void => {
        if (--waiting > 0) return;
        if (statError !== undefined) {
          if (isNoSuchFile(statError)) results[index] = { stat: undefined };
        } else {
          const stat = fileStatOf(stats!);
          results[index] = { stat };
          // Whole when it read as many bytes as the file holds; a copy, so the buffer is let go of.
          if (stat.type === "file" && stat.size <= maxBytes && bytesRead === stat.size) results[index]!.content = Buffer.from(buffer.subarray(0, bytesRead));
        }
        buffers.give(buffer);
        slot.end();
      };
      sentAfter(depth, () => {
        sftp.fstat(handle, (error, attributes) => {
          if (error) statError = error;
          else stats = attributes;
          answered();
        });
        if (first > 0) {
          sftp.read(handle, buffer, 0, first, 0, (error, count) => {
            if (!error) bytesRead = count;
            answered();
          });
        }
        sftp.close(handle, () => answered());
      });
      if (host.appliesInOrder) slot.free(depth);
    });
  });
  return results;
}

/** Files whose size is known, each read whole with one read (ssh2 splits a long one), as many at once as READ_BUDGET allows. */
async function readWhole(host: InFlightHost, files: ReadonlyArray<{ path: string; size: number }>): Promise<Array<{ path: string; content?: Buffer }>> {
  const { sftp } = host;
  const results = files.map(({ path }): { path: string; content?: Buffer } => ({ path }));
  const largest = Math.max(1, ...files.map((file) => file.size));
  await slidingWindow(files.length, Math.min(uploadWindow(sftp), Math.max(1, Math.floor(READ_BUDGET / largest))), (index, slot) => {
    const { path, size } = files[index]!;
    sftp.open(host.remotePath(path), "r", (openError, opened) => {
      if (openError) return slot.end();
      const handle = ownHandle(opened);
      const depth = answerDepth();
      const buffer = Buffer.allocUnsafe(size);
      sentAfter(depth, () =>
        sftp.read(handle, buffer, 0, size, 0, (error, count) => {
          if (!error && count === size) results[index]!.content = buffer;
          sentAfter(depth, () => sftp.close(handle, () => slot.end()));
        }),
      );
    });
  });
  return results;
}

interface Hashing {
  index: number;
  slot: Slot;
  handle: Buffer;
  /** The depth of its open's answer: what its reads and close are sent after. */
  depth: number | undefined;
  /** The size it should have: what is read. */
  size: number;
  /** The offset of the next read to send. */
  requested: number;
  /** The offset up to which the hashes have the bytes. */
  hashed: number;
  /** Pieces that came before one in front of them, by offset: a pooled buffer and the bytes of it read. */
  early: Map<number, { buffer: Buffer; length: number }>;
  hashes: Hash[];
  /** Requests sent and not answered yet; the close sent. */
  waiting: number;
  closed: boolean;
  stats?: Stats;
  /** Something went wrong in a way digest() of the file on its own must settle (an error, a short read). */
  again: boolean;
}

/**
 * digest() of every file, their reads in flight together: a file is opened, fstat'ed and read
 * for the size it should have, its pieces hashed in order as they come. A file that is not there
 * (or is no file) gives undefined; one of another size, a short read or an error is digested
 * again on its own (`again`), so that each result is exactly what digest() gives.
 */
export async function digestMany(
  host: InFlightHost,
  files: readonly DigestRequest[],
  algorithms: readonly DigestAlgorithm[],
  again: (path: string) => Promise<DigestResult | undefined>,
): Promise<Array<DigestResult | undefined>> {
  const { sftp } = host;
  const piece = Math.min(PIECE, (sftp as unknown as { _maxReadLen?: number })._maxReadLen ?? PIECE);
  const results = new Array<DigestResult | undefined>(files.length);
  const retry: number[] = [];
  const buffers = new BufferPool(piece);
  /** Open files with reads still to send, in the order they were opened. */
  const queue: Hashing[] = [];
  let asked = 0;

  const finish = (file: Hashing): void => {
    if (file.waiting > 0 || !file.closed) return;
    const stat = file.stats === undefined ? undefined : fileStatOf(file.stats);
    if (stat !== undefined && stat.type !== "file") results[file.index] = undefined;
    else if (stat === undefined || file.again || stat.size !== file.size || file.hashed !== file.size) retry.push(file.index);
    else results[file.index] = { size: file.size, digests: Object.fromEntries(algorithms.map((algorithm, at) => [algorithm, file.hashes[at]!.digest("hex")])) };
    for (const { buffer, length } of file.early.values()) {
      asked -= length;
      buffers.give(buffer);
    }
    file.early.clear();
    file.slot.end();
  };

  const hashInOrder = (file: Hashing, offset: number, buffer: Buffer, length: number): void => {
    file.early.set(offset, { buffer, length });
    for (let next = file.early.get(file.hashed); next !== undefined; next = file.early.get(file.hashed)) {
      file.early.delete(file.hashed);
      const bytes = next.buffer.subarray(0, next.length);
      for (const hash of file.hashes) hash.update(bytes);
      asked -= next.length;
      file.hashed += next.length;
      buffers.give(next.buffer);
    }
  };

  /** Sends reads while the budget allows, in the order the files were opened; a file whose reads are all sent is closed. */
  const pump = (): void => {
    while (queue.length > 0) {
      const file = queue[0]!;
      if (file.again) file.requested = file.size; // it is read again on its own: no more of it now
      if (file.requested < file.size) {
        const length = Math.min(piece, file.size - file.requested);
        if (asked > 0 && asked + length > READ_BUDGET) return;
        const offset = file.requested;
        const buffer = buffers.take(length);
        file.requested += length;
        file.waiting++;
        asked += length;
        sentAfter(file.depth, () =>
          sftp.read(file.handle, buffer, 0, length, offset, (error, count) => {
            file.waiting--;
            if (error || count !== length) {
              file.again = true;
              asked -= length;
              buffers.give(buffer);
            } else {
              hashInOrder(file, offset, buffer, length);
            }
            finish(file);
            pump();
          }),
        );
        continue;
      }
      queue.shift();
      file.waiting++;
      file.closed = true;
      sentAfter(file.depth, () =>
        sftp.close(file.handle, () => {
          file.waiting--;
          finish(file);
        }),
      );
      if (host.appliesInOrder) file.slot.free(file.depth);
    }
  };

  await slidingWindow(files.length, uploadWindow(sftp), (index, slot) => {
    const { path, size } = files[index]!;
    sftp.open(host.remotePath(path), "r", (openError, opened) => {
      if (openError) {
        if (!isNoSuchFile(openError)) retry.push(index);
        return slot.end();
      }
      const handle = ownHandle(opened);
      const depth = answerDepth();
      const file: Hashing = {
        index, slot, handle, depth, size, requested: 0, hashed: 0, early: new Map(), hashes: algorithms.map((algorithm) => createHash(algorithm)), waiting: 1, closed: false, again: false,
      };
      sentAfter(depth, () =>
        sftp.fstat(handle, (error, stats) => {
          file.waiting--;
          if (error) file.again = true;
          else file.stats = stats;
          finish(file);
        }),
      );
      queue.push(file);
      pump();
    });
  });
  retry.sort((a, b) => a - b);
  for (const index of retry) results[index] = await again(files[index]!.path);
  return results;
}
