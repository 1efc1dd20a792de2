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
  // A copy in an ArrayBuffer of its own: a pooled Buffer would drag its whole 8 KiB slab across
  // to the main thread (45,000 checksum files cost 281 MiB that way).
  return size <= SMALL_FILE_BYTES ? { size, digests, content: new Uint8Array(buffer.subarray(0, size)) } : { size, digests };
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
  // Transferred, not copied: the contents change threads without a second copy.
  const contents = answers.flatMap((answer) => ("result" in answer && answer.result.content !== undefined ? [answer.result.content.buffer as ArrayBuffer] : []));
  parentPort!.postMessage(answers, contents);
});
