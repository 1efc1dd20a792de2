// A worker thread of the digest pool (digest-pool.ts): digests the files it is sent, one at a
// time, so that hashing a release uses every core instead of the main thread's one.
import { parentPort } from "node:worker_threads";
import { digestFile, type DigestAlgorithm } from "./digests.js";

interface Task {
  id: number;
  path: string;
  algorithms: DigestAlgorithm[];
}

parentPort!.on("message", (task: Task) => {
  digestFile(task.path, task.algorithms).then(
    (result) => parentPort!.postMessage({ id: task.id, result }),
    (error: Error & { cause?: NodeJS.ErrnoException }) =>
      parentPort!.postMessage({ id: task.id, error: { message: error.message, code: error.cause?.code, syscall: error.cause?.syscall } }),
  );
});
