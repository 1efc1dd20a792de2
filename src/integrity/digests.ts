// Digests of repository files. Maven writes one checksum file per algorithm, and a promotion
// checks and writes several of them per artifact, so every digest is computed in a single pass
// over the bytes: artifacts can be large, and reading them once (and never whole) is what keeps
// a promotion's memory flat.

import { createHash, type Hash } from "node:crypto";
import { open } from "node:fs/promises";
import { PromoteError } from "../errors.js";

export type DigestAlgorithm = "md5" | "sha1" | "sha256" | "sha512";

/** Files up to this size come back with their bytes from the digest pool: no second read. */
export const SMALL_FILE_BYTES = 1024;

/** Every algorithm Maven repositories use, weakest first (the order Maven writes them in). */
export const ALL_ALGORITHMS: readonly DigestAlgorithm[] = Object.freeze(["md5", "sha1", "sha256", "sha512"]);

/** The extension of each algorithm's checksum file, e.g. `foo-1.0.jar.sha256`. */
export const CHECKSUM_EXTENSIONS: Readonly<Record<DigestAlgorithm, string>> = Object.freeze({
  md5: ".md5",
  sha1: ".sha1",
  sha256: ".sha256",
  sha512: ".sha512",
});

/** The algorithm whose checksum file `name` is (a path or a bare name), or undefined if it is none. */
export function algorithmOfChecksumFile(name: string): DigestAlgorithm | undefined {
  // Exact, case-sensitive suffix match: Maven only writes lowercase extensions, and a file
  // called just ".sha1" has no artifact to belong to.
  for (const algorithm of ALL_ALGORITHMS) {
    const extension = CHECKSUM_EXTENSIONS[algorithm];
    if (name.endsWith(extension) && name.length > extension.length && !/[/\\]$/.test(name.slice(0, -extension.length))) {
      return algorithm;
    }
  }
  return undefined;
}

export interface DigestResult {
  /** Number of bytes digested. */
  size: number;
  /**
   * The bytes themselves, as latin1 text (one byte a character), for a file of at most
   * SMALL_FILE_BYTES digested by the pool (checksum files). A string: 100,000 checksum files
   * (10,000 artifacts) held as Uint8Arrays cost about four times the memory (issue 18, part 4).
   */
  content?: string;
  /** Lowercase hex digest for each requested algorithm. */
  digests: Partial<Record<DigestAlgorithm, string>>;
}

/** Digests a stream of chunks, updating every hash with each chunk as it arrives. */
export async function digestStream(
  stream: AsyncIterable<Uint8Array>,
  algorithms: readonly DigestAlgorithm[],
): Promise<DigestResult> {
  const hashes = new Map<DigestAlgorithm, Hash>();
  for (const algorithm of algorithms) {
    if (!hashes.has(algorithm)) hashes.set(algorithm, createHash(algorithm));
  }
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    for (const hash of hashes.values()) hash.update(chunk);
  }
  const digests: Partial<Record<DigestAlgorithm, string>> = {};
  for (const [algorithm, hash] of hashes) digests[algorithm] = hash.digest("hex");
  return { size, digests };
}

/** Digests in-memory data (e.g. merged maven-metadata.xml, which is small). */
export function digestBytes(bytes: Uint8Array, algorithms: readonly DigestAlgorithm[]): Promise<DigestResult> {
  return digestStream(oneChunk(bytes), algorithms);
}

async function* oneChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** The file's bytes, a buffer at a time; each chunk is only valid until the next is read. */
export async function* readInPlace(path: string): AsyncGenerator<Uint8Array> {
  const file = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

/**
 * Digests a local file in one pass, through one reused 1 MiB buffer: a read stream's fresh
 * 64 KiB chunks cost more than the hashing itself (256 MiB: 0.58 s to read as a stream,
 * 0.08 s this way, on the benchmark machine). I/O failures become ERR_IO naming the file.
 */
export async function digestFile(path: string, algorithms: readonly DigestAlgorithm[]): Promise<DigestResult> {
  try {
    return await digestStream(readInPlace(path), algorithms);
  } catch (error) {
    // Only system-call failures (ENOENT, EACCES, EISDIR, EIO...) are about the file; anything
    // else is a bug and keeps its stack.
    const errno = error as NodeJS.ErrnoException | undefined;
    if (typeof errno?.syscall === "string" && typeof errno.code === "string") {
      throw new PromoteError("ERR_IO", `Cannot read ${path} to compute its checksums (${errno.code}).`, { path, cause: error });
    }
    throw error;
  }
}
