// The bundle as a tar stream (--unpack tar): the same entries as the zip (bundle.ts), written as
// ustar with pax headers where a name or size does not fit, and streamed into the server's
// `tar -x`, which unpacks each file as it arrives. Written here rather than by archiver: a
// bundle whose reader goes away (the connection lost, the server's tar failed) must stop
// quietly, and archiver 8's tar went on appending queued entries to its destroyed packer and
// threw outside any promise. As an async generator, a destroyed stream just stops reading.
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { bundleEntrySize, type BundleEntry } from "./bundle.js";

const BLOCK = 512;
/** Files read ahead of the stream, and the bytes they may hold between them (as the zip's). */
const READS_AHEAD = 32;
const READ_AHEAD_BYTES = 16 * 1024 * 1024;
/** ustar's size field holds 11 octal digits. */
const MAX_USTAR_SIZE = 8 ** 11 - 1;

/**
 * The tar, made while it is read. Files of READ_AHEAD_BYTES and more stream from disk as they
 * are sent; smaller ones are read ahead, a few at once. A file that is not the size planned, or
 * cannot be read, ends the stream with an error.
 */
export function tarBundleStream(entries: readonly BundleEntry[], fileMode = 0o644): Readable {
  return Readable.from(inChunksOf(CHUNK_BYTES, tarBlocks(entries, fileMode)), { objectMode: false });
}

/**
 * The tar's exact length in bytes, from the sizes planned (what `tarBundleStream` sends when no
 * file changed), or undefined when a file's size is not known beforehand.
 */
export function tarBundleLength(entries: readonly BundleEntry[]): number | undefined {
  let length = 2 * BLOCK;
  for (const entry of entries) {
    const size = entry.localPath === undefined ? Buffer.byteLength(entry.content ?? "") : entry.size;
    if (size === undefined) return undefined;
    for (const block of headerBlocks(entry.name, size, 0o644, 0)) length += block.length;
    length += Math.ceil(size / BLOCK) * BLOCK;
  }
  return length;
}

/**
 * What is sent at once: a header, a small file and its padding are three pieces of a few hundred
 * bytes, and each piece written to the SSH channel on its own costs a trip through ssh2's
 * writer; gathered, 4,500 files go as a few hundred writes.
 */
const CHUNK_BYTES = 256 * 1024;

async function* inChunksOf(bytes: number, pieces: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let gathered: Buffer[] = [];
  let size = 0;
  for await (const piece of pieces) {
    if (piece.length >= bytes && size === 0) {
      yield piece;
      continue;
    }
    gathered.push(piece);
    size += piece.length;
    if (size >= bytes) {
      yield Buffer.concat(gathered, size);
      gathered = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(gathered, size);
}

async function* tarBlocks(entries: readonly BundleEntry[], fileMode: number): AsyncGenerator<Buffer> {
  const mtime = Math.floor(Date.now() / 1000);
  const ahead = readAhead(entries);
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index]!;
    const streamed = isStreamed(entry);
    const data = streamed ? undefined : await ahead.take(index);
    const size = data?.length ?? entry.size!;
    yield* headerBlocks(entry.name, size, fileMode, mtime);
    if (data !== undefined) yield data;
    else yield* fileContents(entry.localPath!, size);
    if (size % BLOCK !== 0) yield Buffer.alloc(BLOCK - (size % BLOCK));
  }
  yield Buffer.alloc(2 * BLOCK);
}

function isStreamed(entry: BundleEntry): boolean {
  return entry.localPath !== undefined && entry.size !== undefined && entry.size >= READ_AHEAD_BYTES;
}

/** Reads the small entries ahead of the stream, in order, within READS_AHEAD and READ_AHEAD_BYTES. */
function readAhead(entries: readonly BundleEntry[]): { take(index: number): Promise<Buffer> } {
  const reads = new Map<number, Promise<Buffer>>();
  const sizeOf = (entry: BundleEntry): number => bundleEntrySize(entry, READ_AHEAD_BYTES);
  let next = 0;
  let bytesAhead = 0;
  const fill = (): void => {
    while (next < entries.length && reads.size < READS_AHEAD && (bytesAhead === 0 || bytesAhead + sizeOf(entries[next]!) <= READ_AHEAD_BYTES)) {
      const entry = entries[next]!;
      if (!isStreamed(entry)) {
        bytesAhead += sizeOf(entry);
        const read = entry.localPath === undefined ? Promise.resolve(Buffer.from(entry.content ?? "", "utf8")) : readFile(entry.localPath);
        read.catch(() => undefined); // awaited in order by take(), where a failure is reported
        reads.set(next, read);
      }
      next++;
    }
  };
  return {
    async take(index) {
      fill();
      const data = await reads.get(index)!;
      reads.delete(index);
      bytesAhead -= sizeOf(entries[index]!);
      const entry = entries[index]!;
      if (entry.size !== undefined && entry.localPath !== undefined && data.length !== entry.size) throw sizeChanged(entry.localPath, entry.size, data.length);
      fill();
      return data;
    },
  };
}

/** A large file's bytes as they are read: exactly `size` of them, or an error. */
async function* fileContents(path: string, size: number): AsyncGenerator<Buffer> {
  let read = 0;
  for await (const chunk of createReadStream(path)) {
    read += (chunk as Buffer).length;
    if (read > size) break;
    yield chunk as Buffer;
  }
  if (read !== size) throw sizeChanged(path, size, read);
}

function sizeChanged(path: string, planned: number, found: number): Error {
  return new Error(`${path}: ${found > planned ? "more" : "fewer"} bytes than the ${planned} planned: the staged file changed while it was sent`);
}

/** A ustar header, preceded by a pax header where the name or the size does not fit in one. */
function* headerBlocks(name: string, size: number, mode: number, mtime: number): Generator<Buffer> {
  const nameFits = Buffer.byteLength(name) <= 100 && /^[\x20-\x7e]*$/.test(name);
  const sizeFits = size <= MAX_USTAR_SIZE;
  if (!nameFits || !sizeFits) {
    const records = Buffer.from((nameFits ? "" : paxRecord("path", name)) + (sizeFits ? "" : paxRecord("size", String(size))), "utf8");
    yield ustarHeader("PaxHeader", records.length, 0o644, mtime, "x");
    yield records;
    if (records.length % BLOCK !== 0) yield Buffer.alloc(BLOCK - (records.length % BLOCK));
  }
  yield ustarHeader(nameFits ? name : name.replace(/[^\x20-\x7e]/g, "_").slice(-100), sizeFits ? size : 0, mode, mtime, "0");
}

/** "LEN key=value\n", where LEN counts the whole record, its own digits included. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(rest);
  while (String(length).length + Buffer.byteLength(rest) !== length) length = String(length).length + Buffer.byteLength(rest);
  return `${length}${rest}`;
}

function ustarHeader(name: string, size: number, mode: number, mtime: number, type: "0" | "x"): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, "latin1");
  octal(block, 100, 8, mode & 0o7777);
  octal(block, 108, 8, 0); // uid
  octal(block, 116, 8, 0); // gid
  octal(block, 124, 12, size);
  octal(block, 136, 12, mtime);
  block.fill(" ", 148, 156); // the checksum counts its own field as spaces
  block.write(type, 156, 1, "latin1");
  block.write("ustar\0", 257, 6, "latin1");
  block.write("00", 263, 2, "latin1");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return block;
}

function octal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, "0")}\0`, offset, width, "latin1");
}
