// One interface for every place a repository lives. Paths are repository-relative POSIX paths
// ("org/x/lib/maven-metadata.xml"); the transport maps them under its root and refuses any
// path that would leave it. "Not found" and "already exists" are return values (undefined,
// false), not exceptions; third-party error codes are translated here and never leak above.
import type { DigestAlgorithm, DigestResult } from "../integrity/digests.js";
import type { Readable } from "node:stream";
import type { NetworkStats } from "./round-trips.js";
import type { TargetPermissions } from "./permissions.js";
import type { FreeSpace } from "./no-space.js";

export interface FileStat {
  type: "file" | "directory" | "other";
  size: number;
  /** Last modification, ms since the epoch (for cleanup's age threshold). */
  mtimeMs?: number;
}

export interface DirEntry {
  name: string;
  type: FileStat["type"];
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A file for Transport.uploadMany: its bytes in a local file, or given. */
export interface UploadFile {
  path: string;
  size: number;
  localPath?: string;
  content?: string | Uint8Array;
}

/** A step of a burst the server applies in the order sent (Transport.applyInOrder). */
export type OrderedOperation = { op: "rename"; from: string; to: string } | { op: "remove"; path: string };

/**
 * An operation of Transport.applyAll: a move (with replace, an existing `to` is replaced in one
 * rename; without, it is an error) or a hard link (a copy where the server cannot link).
 */
export type BatchOperation = { op: "move"; from: string; to: string; replace: boolean } | { op: "link"; from: string; to: string };

/** A file for Transport.digestMany: its path and the size it should have. */
export interface DigestRequest {
  path: string;
  size: number;
}

export interface Transport {
  /** The location as the user wrote it, for messages (never holds secrets). */
  readonly location: string;
  /** What the other side can do beyond file operations. */
  readonly capabilities: { exec: boolean };

  stat(path: string): Promise<FileStat | undefined>;
  /** The whole file, or undefined when it does not exist. Refuses files over maxBytes. */
  readFile(path: string, maxBytes?: number): Promise<Buffer | undefined>;
  /** A directory's entries (sorted by name), or undefined when it does not exist. */
  list(path: string): Promise<DirEntry[] | undefined>;
  /** Modes given to what is uploaded and the directories made (a settings.xml server's), if any. */
  readonly permissions?: TargetPermissions;
  /** Streams the file once through every algorithm, or undefined when it does not exist. */
  digest(path: string, algorithms: readonly DigestAlgorithm[]): Promise<DigestResult | undefined>;

  /** Writes a whole file (creating its directory), replacing any file of that name. */
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  /** Creates a file only if no file of that name exists; false when one does. */
  createExclusive(path: string, data: string | Uint8Array): Promise<boolean>;
  appendFile(path: string, data: string): Promise<void>;
  /** Streams a file down to this machine. */
  download(path: string, localPath: string): Promise<void>;
  /** Streams a local file up (creating its directory), reporting bytes sent. */
  upload(localPath: string, path: string, onProgress?: (sent: number) => void): Promise<void>;
  /** Streams bytes up as they come (creating the directory), many writes in flight; reports bytes sent. */
  uploadStream(source: Readable, path: string, onProgress?: (sent: number) => void): Promise<void>;
  /**
   * Uploads many files (making their directories), many in flight at once, so that a network
   * transport's round trips do not grow with their number; reports bytes sent. The first failure
   * is thrown once nothing is in flight. Optional: without it, upload or writeFile each file.
   */
  uploadMany?(files: readonly UploadFile[], onProgress?: (sent: number) => void): Promise<void>;
  mkdirp(path: string): Promise<void>;
  /**
   * Renames in one step. With replace, an existing file at `to` is replaced atomically
   * (POSIX rename); without, an existing `to` is an error, never an overwrite.
   */
  rename(from: string, to: string, options: { replace: boolean }): Promise<void>;
  /** A hard link where the server can make one, else a copy. */
  linkOrCopy(from: string, to: string): Promise<void>;
  /** Removes a file; false when there was none. */
  remove(path: string): Promise<boolean>;
  /** Removes a directory only if it is empty; false when it is not (or is not there). */
  removeEmptyDirectory(path: string): Promise<boolean>;
  /** Removes a directory and everything in it; false when there was none. */
  removeTree(path: string): Promise<boolean>;
  /**
   * Makes files and directories durable (fsync each), so that renames and writes made before
   * survive a power loss in order. false when the other side offers no way to (an SFTP server
   * without fsync@openssh.com): then nothing is promised.
   */
  sync(paths: readonly string[]): Promise<boolean>;
  /** How sync() reaches the disk ("fsync", "fsync@openssh.com"), or null when it cannot. */
  syncMethod(): string | null;
  /**
   * What the target's file system has left (statfs locally, statvfs@openssh.com over SFTP), or
   * undefined where the other side cannot tell.
   */
  freeSpace?(): Promise<FreeSpace | undefined>;
  /**
   * sha256 of many files computed on the server (`sha256sum`), so that checking what was
   * uploaded needs no download; undefined when the server cannot (then digest() each file).
   */
  sha256OnServer?(paths: readonly string[]): Promise<Map<string, string> | undefined>;
  /**
   * Sends every operation back to back without waiting and resolves once all are answered:
   * renames replace (rename(2)), removals of a missing file succeed. The server applies them in
   * the order sent. Each answer carries its error, if any, and when it arrived (isoNow). Only
   * network transports offer it (a local rename costs no round trip).
   */
  applyInOrder?(operations: readonly OrderedOperation[]): Promise<Array<{ error?: Error; at: string }>>;
  /**
   * The same, synchronously: no other work of this process runs between two of the operations
   * (a local file system's metadata group, whose window is then rename(2) back to back).
   */
  applyNow?(operations: readonly OrderedOperation[]): Array<{ error?: Error; at: string }>;
  /** Stats and reads many paths with one command per batch (servers with a shell; src/transport/read-many.ts). */
  probeOnServer?(request: ProbeRequest): Promise<Map<string, ProbeResult> | undefined>;
  /*
   * Many paths at once, their requests in flight together, so that a network transport's round
   * trips do not grow with their number (issue 18, part 3). Optional: without them, the callers
   * send one request per path, a few at a time (src/transport/read-many.ts).
   */
  /** stat() of each path; the first error other than "not found" is thrown once all are answered. */
  statMany?(paths: readonly string[]): Promise<Array<FileStat | undefined>>;
  /** What probeOnServer returns, without a shell; a file whose bytes did not come whole is left without them. */
  probeInFlight?(request: ProbeRequest): Promise<Map<string, ProbeResult>>;
  /** digest() of each file (undefined where there is none), read for the size it should have. */
  digestMany?(files: readonly DigestRequest[], algorithms: readonly DigestAlgorithm[]): Promise<Array<DigestResult | undefined>>;
  /**
   * Every operation at once, in no particular order (none may depend on another), the
   * directories they go into made first; the first failure, in the order given, is thrown once
   * all are answered.
   */
  applyAll?(operations: readonly BatchOperation[]): Promise<void>;
  /** Requests and round trips so far (network transports only; src/transport/round-trips.ts). */
  networkStats?(): NetworkStats;
  /** Runs a shell command in the repository root (SSH transports with a shell only). */
  exec?(command: string): Promise<ExecResult>;
  /**
   * Runs a shell command in the repository root with `input` as its stdin, ended when `input`
   * ends (SSH transports with a shell only): a bundle streamed into `tar -x`. `onProgress` is
   * told the bytes sent as they go. With the input's exact `length`, an SSH transport sends it
   * through its shell session rather than a channel of its own.
   */
  execWithInput?(command: string, input: Readable, onProgress?: (sent: number) => void, length?: number): Promise<ExecResult>;
  close(): Promise<void>;
}

export interface ProbeResult {
  stat: FileStat | undefined;
  /** The file's bytes, for paths asked to be read that are files of at most maxBytes. */
  content?: Buffer;
}

export interface ProbeRequest {
  /** Paths to stat. */
  stat: readonly string[];
  /** Paths to read as well (each also stat'ed); files over maxBytes are stat'ed only. */
  read: readonly string[];
  maxBytes: number;
}
