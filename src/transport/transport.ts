// One interface for every place a repository lives. Paths are repository-relative POSIX paths
// ("org/x/lib/maven-metadata.xml"); the transport maps them under its root and refuses any
// path that would leave it. "Not found" is a return value (undefined), not an exception.
import type { DigestAlgorithm, DigestResult } from "../integrity/digests.js";

export interface FileStat {
  type: "file" | "directory" | "other";
  size: number;
}

export interface Transport {
  /** The location as the user wrote it, for messages (never holds secrets). */
  readonly location: string;
  stat(path: string): Promise<FileStat | undefined>;
  /** The whole file, or undefined when it does not exist. Refuses files over maxBytes. */
  readFile(path: string, maxBytes?: number): Promise<Buffer | undefined>;
  /** Names in a directory, or undefined when it does not exist. */
  list(path: string): Promise<string[] | undefined>;
  /** Streams the file once through every algorithm, or undefined when it does not exist. */
  digest(path: string, algorithms: readonly DigestAlgorithm[]): Promise<DigestResult | undefined>;
  close(): Promise<void>;
}
