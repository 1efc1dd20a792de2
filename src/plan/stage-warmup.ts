// The stage's scan and digests, begun while the target's connection is still being opened: an
// SSH login (a handshake, then the server's login shell for the SFTP subsystem) takes about as
// long as digesting a release of 130 MiB, and the two need nothing of each other. The plan then
// takes the warm result instead of starting over (issue 18: the fixed costs of a promotion).
import type { DigestAlgorithm, DigestResult } from "../integrity/digests.js";
import { digestStagedFiles } from "./check-staged.js";
import { scanStagingDirectory, type StagingScan } from "./staging-scan.js";

export interface WarmStage {
  scan: StagingScan;
  digests: Map<string, DigestResult>;
}

interface Warming {
  key: string;
  result: Promise<WarmStage>;
  loaded: number;
  total: number;
  onProgress: ((loaded: number, total: number) => void) | undefined;
}

/** At most one, taken by the first plan of the same directory and checksums. */
let warming: Warming | undefined;

const keyOf = (directory: string, checksums: readonly DigestAlgorithm[]): string => `${directory}\0${[...checksums].sort().join(",")}`;

/** Starts scanning and digesting `directory` now; a failure is kept for the plan that takes it. */
export function warmStage(directory: string, checksums: readonly DigestAlgorithm[]): void {
  const entry: Warming = { key: keyOf(directory, checksums), loaded: 0, total: 0, onProgress: undefined, result: Promise.resolve() as unknown as Promise<WarmStage> };
  entry.result = (async () => {
    const scan = await scanStagingDirectory(directory);
    const digests = await digestStagedFiles(scan.files, checksums, (loaded, total) => {
      entry.loaded = loaded;
      entry.total = total;
      entry.onProgress?.(loaded, total);
    });
    return { scan, digests };
  })();
  entry.result.catch(() => undefined); // rethrown to the plan that takes it, if any does
  warming = entry;
}

/** The warm scan and digests of `directory`, if they were begun for the same checksums; else undefined. */
export function takeWarmStage(directory: string, checksums: readonly DigestAlgorithm[], onProgress?: (loaded: number, total: number) => void): Promise<WarmStage> | undefined {
  const entry = warming;
  if (entry === undefined || entry.key !== keyOf(directory, checksums)) return undefined;
  warming = undefined;
  entry.onProgress = onProgress;
  if (entry.total > 0) onProgress?.(entry.loaded, entry.total);
  return entry.result;
}

/** Forgets a warm stage nobody took (its connection failed). */
export function dropWarmStage(): void {
  warming = undefined;
}
