// A worker thread of the digest pool (digest-pool.ts): digests the files it is sent, a batch at
// a time. Synchronous reads through one reused 1 MiB buffer: in a worker they block nothing
// else, and they spare each small file the thread-pool hops of asynchronous I/O.
import { closeSync, openSync, readSync } from "node:fs";
import { createHash, type Hash } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { SMALL_FILE_BYTES, type DigestAlgorithm, type DigestResult } from "./digests.js";

interface Task {
  id: number;
  path: string;
  algorithms: DigestAlgorithm[];
}

const buffer = Buffer.allocUnsafe(1024 * 1024);

function digest(task: Task): DigestResult {
  const hashes: Array<[DigestAlgorithm, Hash]> = task.algorithms.map((algorithm) => [algorithm, createHash(algorithm)]);
  const file = openSync(task.path, "r");
  let size = 0;
  try {
    for (;;) {
      const read = readSync(file, buffer, 0, buffer.length, null);
      if (read === 0) break;
      size += read;
      const chunk = buffer.subarray(0, read);
      for (const [, hash] of hashes) hash.update(chunk);
    }
  } finally {
    closeSync(file);
  }
  const digests = Object.fromEntries(hashes.map(([algorithm, hash]) => [algorithm, hash.digest("hex")]));
  // Text, not a slice of the buffer: a Buffer would drag its whole slab across to the main
  // thread (45,000 checksum files cost 281 MiB that way), and a Uint8Array of its own costs an
  // ArrayBuffer and a backing store a file.
  return size <= SMALL_FILE_BYTES ? { size, digests, content: buffer.toString("latin1", 0, size) } : { size, digests };
}

parentPort!.on("message", (batch: Task[]) => {
  const answers = batch.map((task): { id: number; result: DigestResult } | { id: number; error: { message: string; code?: string; syscall?: string } } => {
    try {
      return { id: task.id, result: digest(task) };
    } catch (error) {
      const errno = error as NodeJS.ErrnoException;
      return { id: task.id, error: { message: errno.message, code: errno.code, syscall: errno.syscall } };
    }
  });
  parentPort!.postMessage(answers);
});
