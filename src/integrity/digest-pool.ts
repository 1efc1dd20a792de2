// Digests many local files on every core (worker threads, one per core, at most four): what
// the plan does with every staged byte, so a release is hashed as fast as coreutils' four tools
// in parallel would (issue 9). Each file is still read in one streaming pass per worker; when
// there are fewer files than workers, a file's algorithms are split between workers instead
// (the second read comes from the page cache).
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { PromoteError } from "../errors.js";
import type { DigestAlgorithm, DigestResult } from "./digests.js";

const WORKER_URL = new URL("./digest-worker.js", import.meta.url);
const MAX_WORKERS = 4;

interface Task {
  id: number;
  file: number;
  path: string;
  algorithms: DigestAlgorithm[];
  /** Into how many tasks the file's algorithms were split. */
  shares: number;
  /** Its size, where the caller knows it (for batching small files); else counted as large. */
  size: number;
}

/** A batch for one worker: at most this many files, and this many bytes unless it is one file. */
const BATCH_FILES = 64;
const BATCH_BYTES = 4 * 1024 * 1024;

type Answer = { id: number; result: DigestResult } | { id: number; error: { message: string; code?: string; syscall?: string } };

/** `onProgress` is told the bytes of each file (or each share of one) as it is done. */
export async function digestFiles(
  paths: readonly string[],
  algorithms: readonly DigestAlgorithm[],
  onProgress?: (bytes: number) => void,
  sizes?: readonly number[],
): Promise<DigestResult[]> {
  if (paths.length === 0) return [];
  const unique = [...new Set(algorithms)];
  const cores = Math.max(1, Math.min(MAX_WORKERS, availableParallelism()));
  // Fewer files than cores: one worker per algorithm, as the four coreutils tools would run.
  const workerCount = paths.length < cores ? Math.min(MAX_WORKERS, unique.length * paths.length) : cores;
  const tasks = splitIntoTasks(paths, unique, workerCount, sizes);
  const results: DigestResult[] = paths.map(() => ({ size: 0, digests: {} }));
  const workers = Array.from({ length: Math.min(workerCount, tasks.length) }, () => new Worker(WORKER_URL));
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            // Small files go in batches (one message for many), large ones alone (so that the
            // work stays spread when a few big jars remain).
            const send = (): void => {
              if (next >= tasks.length) return resolve();
              const batch: Task[] = [];
              let bytes = 0;
              while (next < tasks.length && batch.length < BATCH_FILES && (batch.length === 0 || bytes + tasks[next]!.size <= BATCH_BYTES)) {
                bytes += tasks[next]!.size;
                batch.push(tasks[next++]!);
              }
              worker.postMessage(batch.map(({ id, path, algorithms: share }) => ({ id, path, algorithms: share })));
            };
            worker.on("message", (answers: Answer[]) => {
              for (const answer of answers) {
                const task = tasks[answer.id]!;
                if ("error" in answer) return reject(readError(task.path, answer.error));
                results[task.file]!.size = answer.result.size;
                Object.assign(results[task.file]!.digests, answer.result.digests);
                if (answer.result.content !== undefined) results[task.file]!.content = answer.result.content;
                onProgress?.(answer.result.size / task.shares);
              }
              send();
            });
            worker.on("error", reject);
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return results;
}

/** A task per file; with fewer files than workers, each file's algorithms spread over them. */
function splitIntoTasks(paths: readonly string[], algorithms: DigestAlgorithm[], workers: number, sizes: readonly number[] | undefined): Task[] {
  const parts = Math.max(1, Math.min(algorithms.length, Math.floor(workers / paths.length)));
  const tasks: Task[] = [];
  paths.forEach((path, file) => {
    for (let part = 0; part < parts; part++) {
      const share = algorithms.filter((_, index) => index % parts === part);
      tasks.push({ id: tasks.length, file, path, algorithms: share, shares: parts, size: sizes?.[file] ?? BATCH_BYTES });
    }
  });
  return tasks;
}

function readError(path: string, error: { message: string; code?: string; syscall?: string }): Error {
  if (typeof error.syscall === "string" && typeof error.code === "string") {
    return new PromoteError("ERR_IO", `Cannot read ${path} to compute its checksums (${error.code}).`, { path });
  }
  return new Error(error.message);
}
