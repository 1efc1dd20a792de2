// The SFTP transport: a repository directory on a server reached over SSH (opened by
// src/connect/open-sftp.ts), with ssh2-sftp-client for file operations and ssh2's exec channel
// for the shell commands a bundle needs (tar or unzip, sh). Errors from ssh2 and ssh2-sftp-client are translated here into
// one-line PromoteErrors and never leak above this file.
import { mkdir } from "node:fs/promises";
import { dirname, posix } from "node:path";
import { Readable } from "node:stream";
import type { SFTPWrapper } from "ssh2";
import SftpClient from "ssh2-sftp-client";
import { PromoteError } from "../errors.js";
import { digestStream, type DigestAlgorithm, type DigestResult } from "../integrity/digests.js";
import { GUARDED_OPERATIONS, lossReason, OPERATION_VERBS, type GuardedOperation } from "./connection-guard.js";
import type { ShellResult } from "./remote-shell.js";
import { SshCommands } from "./ssh-commands.js";
import { countSftpRequests, RoundTripCounter, type NetworkStats } from "./round-trips.js";
import { probeOnServer, sha256OnServer } from "./server-commands.js";
import { uploadMany } from "./sftp-upload-many.js";
import { applyAll, isNoSuchFile, statMany, syncMany, type InFlightHost } from "./sftp-many.js";
import { digestMany, probeInFlight } from "./sftp-read-many.js";
import { isoNow } from "../util/iso-now.js";
import type { BatchOperation, DigestRequest, DirEntry, ExecResult, FileStat, OrderedOperation, ProbeRequest, ProbeResult, Transport, UploadFile } from "./transport.js";
import type { TargetPermissions } from "./permissions.js";
import { describeFreeSpace, looksFull, noSpaceError, type FreeSpace } from "./no-space.js";

/** What the transport needs to know of its connection (src/connect/open-sftp.ts has the rest). */
export interface SftpSession {
  host: string;
  /** Absolute path of the repository on the server. */
  root: string;
  /** How the user wrote the location (for messages). */
  location: string;
  /** Never run shell commands, even if the server would allow them (SFTP-only servers). */
  sftpOnly?: boolean;
  /** SSH keepalives (ServerAliveInterval), for telling a stall from a reset. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Modes for what is uploaded and the directories made (a settings.xml server's). */
  permissions?: TargetPermissions;
}

/** Modes are set explicitly: a server's umask for SFTP sessions (e.g. a chrooted internal-sftp) may be 0. */
const FILE_MODE = 0o644;
const PERMISSION_DENIED = 3;

export class SftpTransport implements Transport {
  readonly location: string;
  readonly capabilities: { exec: boolean };
  private readonly counter = new RoundTripCounter();
  private readonly knownDirectories = new Set<string>();
  readonly permissions?: TargetPermissions;
  private readonly commands: SshCommands;
  /** Why the connection ended, once it has (and we did not end it). */
  private lostReason: string | undefined;
  private closing = false;
  /**
   * How to settle each operation in flight when the connection ends under us. A set, not one
   * promise that every operation races: Promise.race leaves a reaction on a promise that never
   * settles, and through it the result of every operation the connection ever ran stayed alive
   * (the 45,000 stats, digests and reads of a promotion of 3,000 artifacts; issue 18, part 4).
   */
  private readonly inFlight = new Set<(error: unknown) => void>();
  /** What the operations in flight were settled with when the connection ended. */
  private endedError: PromoteError | undefined;

  constructor(
    private readonly client: SftpClient,
    private readonly options: SftpSession,
    /** Closes what carries this connection (its ProxyJump hops), after it. */
    private readonly closeBeneath: () => void = () => undefined,
  ) {
    this.location = options.location;
    this.capabilities = { exec: !options.sftpOnly };
    if (options.permissions !== undefined) this.permissions = options.permissions;
    countSftpRequests(this.sftp(), this.counter);
    this.counter.stats.channels = 1; // the SFTP channel, opened by the login (open-sftp.ts)
    this.commands = new SshCommands(this.ssh(), this.counter, options.root, options.location, this.capabilities.exec, () => this.connectionGone());
    // ssh2-sftp-client adds listeners to the connection for each call in flight; hundreds at once
    // are intended here (src/transport/read-many.ts), not a leak.
    (client as unknown as { client: import("ssh2").Client }).client.setMaxListeners(0);
    this.watchConnection();
    for (const name of GUARDED_OPERATIONS) {
      const operation = (this[name] as (...args: unknown[]) => Promise<unknown>).bind(this);
      (this as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => this.whileConnected(name, name === "upload" ? args[1] : args[0], () => operation(...args));
    }
  }

  /**
   * ssh2 leaves some requests unanswered for good once the socket is gone (a write queued behind
   * a dead channel never calls back), and a promise that never settles ends Node with exit 13
   * and no word (issue 17). So the connection's end is watched, and settles everything in flight.
   */
  private watchConnection(): void {
    const ssh = this.ssh();
    const lose = (reason: string): void => {
      if (this.closing || this.lostReason !== undefined) return;
      this.lostReason = reason;
      this.endedError = new PromoteError("ERR_CONNECTION_LOST", `${this.location}: the connection was lost (${reason})`);
      for (const settle of this.inFlight) settle(this.endedError);
      this.inFlight.clear();
    };
    ssh.on("error", (error: Error & { level?: string }) => lose(lossReason(error, this.options)));
    ssh.on("end", () => lose("the server closed it"));
    ssh.on("close", () => lose("it closed"));
  }

  /** Runs an operation, settled with ERR_CONNECTION_LOST (naming it and its path) if the link goes. */
  private async whileConnected<T>(name: GuardedOperation, subject: unknown, work: () => Promise<T>): Promise<T> {
    const lost = (cause?: unknown): PromoteError => {
      // A command is no path to name (and a fenced one is a whole script).
      const onPath = typeof subject === "string" && name !== "exec" && name !== "execWithInput";
      const what = onPath ? ` ${subject === "" ? "the repository root" : subject}` : "";
      return new PromoteError("ERR_CONNECTION_LOST", `${this.location}: the connection was lost while ${OPERATION_VERBS[name]}${what} (${this.lostReason ?? "it closed"})`, {
        ...(onPath ? { path: subject } : {}),
        ...(cause === undefined ? {} : { cause }),
      });
    };
    if (this.lostReason !== undefined) throw lost();
    try {
      const running = work();
      return await new Promise<T>((resolve, reject) => {
        this.inFlight.add(reject);
        running.then(resolve, reject).finally(() => this.inFlight.delete(reject));
      });
    } catch (error) {
      // Already the lost connection of an inner operation, which named what it was doing.
      if (error instanceof PromoteError && error.code === "ERR_CONNECTION_LOST" && error !== this.endedError) throw error;
      if (this.lostReason !== undefined || this.socketGone()) {
        this.lostReason ??= lossReason(error, this.options);
        throw lost(error);
      }
      throw error;
    }
  }

  /** Whether the connection has ended under us (an error now is its doing, not the server's answer). */
  private connectionGone(): boolean {
    return this.lostReason !== undefined || this.socketGone();
  }

  /** Whether the socket under the SSH connection can no longer carry anything. */
  private socketGone(): boolean {
    const socket = (this.ssh() as unknown as { _sock?: { destroyed?: boolean; writable?: boolean } })._sock;
    return !this.closing && (socket === undefined || socket.destroyed === true || socket.writable === false);
  }

  private ssh(): import("ssh2").Client {
    return (this.client as unknown as { client: import("ssh2").Client }).client;
  }

  /** Opens the shell session now (a target's: its commands come soon), while other work goes on. */
  warmUpShell(): void {
    this.commands.warmUp();
  }

  networkStats(): NetworkStats {
    return { ...this.counter.stats };
  }

  /** The absolute server path of a repository path; refuses anything that leaves the root. */
  remotePath(path: string): string {
    const absolute = posix.normalize(posix.join(this.options.root, path));
    const root = posix.normalize(this.options.root).replace(/\/$/, "");
    if (absolute !== root && absolute !== root + "/" && !absolute.startsWith(root + "/")) {
      throw new PromoteError("ERR_UNSAFE_PATH", `${path}: leaves the repository root`, { path });
    }
    return absolute.replace(/\/$/, "") || "/";
  }

  async stat(path: string): Promise<FileStat | undefined> {
    return this.orMissing(path, "read", async () => {
      const info = await this.client.stat(this.remotePath(path));
      return { type: info.isFile ? "file" : info.isDirectory ? "directory" : "other", size: info.size, mtimeMs: info.modifyTime };
    });
  }

  async readFile(path: string, maxBytes = Number.MAX_SAFE_INTEGER): Promise<Buffer | undefined> {
    const info = await this.stat(path);
    if (info === undefined || info.type !== "file") return undefined;
    if (info.size > maxBytes) throw new PromoteError("ERR_IO", `${path}: ${info.size} bytes, over the ${maxBytes}-byte limit`, { path });
    return this.orMissing(path, "read", async () => (await this.client.get(this.remotePath(path))) as Buffer);
  }

  async list(path: string): Promise<DirEntry[] | undefined> {
    return this.orMissing(path, "read", async () => {
      const entries = await this.client.list(this.remotePath(path));
      return entries
        .map((entry): DirEntry => ({ name: entry.name, type: entry.type === "d" ? "directory" : entry.type === "-" ? "file" : "other" }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  /**
   * Reads the file with a window of reads in flight (a stream reads one piece per round trip)
   * and hashes the pieces in order; at most READ_WINDOW pieces are held at once.
   */
  async digest(path: string, algorithms: readonly DigestAlgorithm[]): Promise<DigestResult | undefined> {
    return this.orMissing(path, "read", async () => {
      const sftp = this.sftp();
      const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(this.remotePath(path), "r", (error, opened) => (error ? reject(error) : resolve(opened))));
      try {
        const info = await new Promise<import("ssh2").Stats>((resolve, reject) => sftp.fstat(handle, (error, stats) => (error ? reject(error) : resolve(stats))));
        if (!info.isFile()) return undefined;
        const readAt = async (offset: number): Promise<Buffer> => {
          const length = Math.min(READ_PIECE, info.size - offset);
          const piece = Buffer.allocUnsafe(length);
          let filled = 0;
          while (filled < length) {
            // A server may answer with fewer bytes than asked: ask again for the rest.
            const read = await new Promise<number>((resolve, reject) =>
              sftp.read(handle, piece, filled, length - filled, offset + filled, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))),
            );
            if (read === 0) return piece.subarray(0, filled);
            filled += read;
          }
          return piece;
        };
        const pending = new Map<number, Promise<Buffer>>();
        let requested = 0;
        const pieces = async function* (): AsyncGenerator<Buffer> {
          for (let offset = 0; offset < info.size; offset += READ_PIECE) {
            for (; requested < info.size && requested < offset + READ_PIECE * READ_WINDOW; requested += READ_PIECE) {
              const piece = readAt(requested);
              piece.catch(() => undefined); // awaited in turn below
              pending.set(requested, piece);
            }
            const piece = await pending.get(offset)!;
            pending.delete(offset);
            yield piece;
          }
        };
        try {
          return await digestStream(pieces(), algorithms);
        } finally {
          await Promise.allSettled(pending.values());
        }
      } finally {
        await new Promise<void>((resolve) => sftp.close(handle, () => resolve()));
      }
    });
  }

  async writeFile(path: string, data: string | Uint8Array): Promise<void> {
    // Not client.put(): ssh2's write stream destroys itself on a failed write before it reports
    // the error, so put() resolves and leaves a short or empty file (a full disk: an empty
    // journal.json, issue 17). uploadStream reports every write's error.
    await this.uploadStream(Readable.from([Buffer.from(data)]), path);
  }

  async createExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
    try {
      return await this.createExclusiveOnce(path, data);
    } catch (error) {
      // The directory can vanish between mkdir and open (a lock released by another process
      // removes an empty .maven-promote/): once more, from the mkdir.
      if (!isNoSuchFile((error as PromoteError).cause)) throw error;
      return this.createExclusiveOnce(path, data);
    }
  }

  private async createExclusiveOnce(path: string, data: string | Uint8Array): Promise<boolean> {
    const remote = this.remotePath(path);
    await this.orFail(path, "write", () => this.makeDirectory(posix.dirname(remote)));
    const sftp = this.sftp();
    return new Promise<boolean>((resolve, reject) => {
      // "wx" is O_CREAT|O_EXCL over SFTP: the server refuses when the name exists.
      sftp.open(remote, "wx", { mode: this.fileMode() }, (openError, handle) => {
        if (openError) {
          const code = (openError as { code?: number }).code;
          if (code === 11) return resolve(false);
          if (code !== 4) return reject(this.translate(openError, path, "create"));
          // FAILURE is how OpenSSH reports EEXIST, and ENOSPC too (no inode left): the name is
          // there (or was: a racing holder may have let go of it since, and the caller, told
          // false, looks again), or the disk is full.
          return void this.client.exists(remote).then(
            async (there) => {
              if (there) return resolve(false);
              const explained = await this.explainFailure(this.translate(openError, path, "create"));
              if (explained instanceof PromoteError && explained.code === "ERR_NO_SPACE") reject(explained);
              else resolve(false);
            },
            () => resolve(false),
          );
        }
        const bytes = Buffer.from(data);
        sftp.write(handle, bytes, 0, bytes.length, 0, (writeError) => {
          const close = (error: unknown) =>
            sftp.close(handle, () => {
              if (!error) return resolve(true);
              // Made but not written (a full disk): an empty lock file would lock the target for good.
              sftp.unlink(remote, () => void this.explainFailure(this.translate(error, path, "write")).then(reject));
            });
          if (writeError || this.permissions?.file === undefined) return close(writeError);
          sftp.fchmod(handle, this.permissions.file, close);
        });
      });
    });
  }

  async appendFile(path: string, data: string): Promise<void> {
    const remote = this.remotePath(path);
    const sftp = this.sftp();
    const appended = new Promise<void>((resolve, reject) => {
      sftp.open(remote, "a", { mode: FILE_MODE }, (openError, handle) => {
        if (openError) return reject(this.translate(openError, path, "append to"));
        const bytes = Buffer.from(data, "utf8");
        const finish = (error: unknown): void => sftp.close(handle, () => (error ? reject(this.translate(error, path, "append to")) : resolve()));
        // Write at the current end: the server opens with O_APPEND, and the offset makes the
        // intent explicit for servers that do not.
        sftp.fstat(handle, (statError, attributes) => {
          if (statError) return finish(statError);
          sftp.write(handle, bytes, 0, bytes.length, attributes.size, (writeError) => finish(writeError));
        });
      });
    });
    await appended.catch(async (error: unknown) => {
      throw await this.explainFailure(error);
    });
  }

  async download(path: string, localPath: string): Promise<void> {
    await mkdir(dirname(localPath), { recursive: true });
    await this.orFail(path, "read", async () => void (await this.client.fastGet(this.remotePath(path), localPath)));
  }

  async upload(localPath: string, path: string, onProgress?: (sent: number) => void): Promise<void> {
    await this.orFail(path, "write", async () => {
      await this.makeDirectory(posix.dirname(this.remotePath(path)));
      let previous = 0;
      await this.client.fastPut(localPath, this.remotePath(path), {
        mode: this.fileMode(),
        // 1 MiB in flight per file (32 writes of 32 KiB): a 100 Mbit/s, 40 ms link's worth,
        // and with 64 files at once the memory stays bounded.
        concurrency: 32,
        step: (transferred: number) => {
          onProgress?.(transferred - previous);
          previous = transferred;
        },
      });
      await this.applyFileMode(this.remotePath(path));
    });
  }

  /**
   * Writes the stream's chunks at their offsets with up to 64 writes in flight (as fastPut does
   * for a file), so that a link's round trip is paid once per window, not once per chunk.
   */
  async uploadStream(source: Readable, path: string, onProgress?: (sent: number) => void): Promise<void> {
    const remote = this.remotePath(path);
    await this.orFail(path, "write", () => this.makeDirectory(posix.dirname(remote)));
    const sftp = this.sftp();
    const handle = await new Promise<Buffer>((resolve, reject) =>
      sftp.open(remote, "w", { mode: this.fileMode() }, (error, opened) => (error ? void this.explainFailure(this.translate(error, path, "write")).then(reject) : resolve(opened))),
    );
    let offset = 0;
    let inFlight = 0;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const settled = (): void => {
      inFlight--;
      wake?.();
    };
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        for (let start = 0; start < chunk.length; start += UPLOAD_PIECE) {
          while (inFlight >= UPLOAD_WINDOW && failure === undefined) await new Promise<void>((resolve) => (wake = resolve));
          if (failure !== undefined) throw await this.explainFailure(failure);
          const piece = chunk.subarray(start, Math.min(chunk.length, start + UPLOAD_PIECE));
          inFlight++;
          sftp.write(handle, piece, 0, piece.length, offset, (error) => {
            if (error) failure ??= this.translate(error, path, "write");
            else onProgress?.(piece.length);
            settled();
          });
          offset += piece.length;
        }
      }
      while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
      if (failure !== undefined) throw await this.explainFailure(failure);
      const mode = this.permissions?.file;
      if (mode !== undefined) {
        await new Promise<void>((resolve, reject) => sftp.fchmod(handle, mode, (error) => (error ? reject(this.translate(error, path, "set the mode of")) : resolve())));
      }
    } finally {
      while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
      await new Promise<void>((resolve) => sftp.close(handle, () => resolve()));
    }
  }

  /** Many files at once, their open/write/close chains pipelined (sftp-upload-many.ts). */
  async uploadMany(files: readonly UploadFile[], onProgress: (sent: number) => void = () => undefined): Promise<void> {
    await uploadMany(
      {
        sftp: this.sftp(),
        remotePath: (path) => this.remotePath(path),
        appliesInOrder: this.serverAppliesInOrder(),
        fileMode: this.fileMode(),
        ...(this.permissions?.directory === undefined ? {} : { directoryMode: this.permissions.directory }),
        knownDirectories: this.knownDirectories,
        uploadLarge: (localPath, path, progress) => this.upload(localPath, path, progress),
        failure: (error, path, verb) => this.failure(error, path, verb),
      },
      files,
      onProgress,
    );
  }

  async mkdirp(path: string): Promise<void> {
    await this.orFail(path, "create", () => this.makeDirectory(this.remotePath(path)));
  }

  async rename(from: string, to: string, options: { replace: boolean }): Promise<void> {
    this.forgetDirectories(this.remotePath(from));
    await this.orFail(to, "rename", async () => {
      if (options.replace) {
        // posix-rename@openssh.com: rename(2), which replaces a file atomically.
        await this.client.posixRename(this.remotePath(from), this.remotePath(to));
        return;
      }
      if ((await this.stat(to)) !== undefined) {
        throw new PromoteError("ERR_TARGET_EXISTS", `${to}: already exists on the target; refusing to overwrite it`, { path: to });
      }
      await this.makeDirectory(posix.dirname(this.remotePath(to)));
      await this.client.rename(this.remotePath(from), this.remotePath(to));
    });
  }

  /**
   * The draft OpenSSH implements (draft-ietf-secsh-filexfer-02, 6.1) only promises that requests
   * on the same file are processed in the order received ("as if ... one at a time"); OpenSSH's
   * sftp-server goes further: one process reads the requests from the channel and carries each
   * out before it reads the next, so renames of different files are applied in the order sent.
   * So the burst goes out back to back only to an OpenSSH server (its version string says so);
   * any other server gets one request after the answer to the one before.
   */
  async applyInOrder(operations: readonly OrderedOperation[]): Promise<Array<{ error?: Error; at: string }>> {
    const sftp = this.sftp();
    const send = (operation: OrderedOperation) =>
      new Promise<{ error?: Error; at: string }>((resolve, reject) => {
        // An answer the connection's end made up is no answer of the server's: the guard names it.
        const answered = (error?: Error | null) => {
          if (error && this.connectionGone()) reject(error);
          else resolve(error ? { error, at: isoNow() } : { at: isoNow() });
        };
        try {
          if (operation.op === "rename") sftp.ext_openssh_rename(this.remotePath(operation.from), this.remotePath(operation.to), answered);
          else sftp.unlink(this.remotePath(operation.path), (error) => answered(error && !isNoSuchFile(error) ? error : undefined));
        } catch (error) {
          answered(error as Error); // e.g. a server without posix-rename@openssh.com
        }
      });
    if (this.serverAppliesInOrder()) return Promise.all(operations.map(send)); // map sends each in turn, now
    const answers: Array<{ error?: Error; at: string }> = [];
    for (const operation of operations) answers.push(await send(operation));
    return answers;
  }

  /** Whether the server is OpenSSH, whose sftp-server applies requests strictly in order. */
  serverAppliesInOrder(): boolean {
    const ssh = (this.client as unknown as { client: { _remoteVer?: string } }).client;
    return /^OpenSSH_/.test(ssh._remoteVer ?? "");
  }

  async linkOrCopy(from: string, to: string): Promise<void> {
    await this.orFail(to, "write", () => this.makeDirectory(posix.dirname(this.remotePath(to))));
    const sftp = this.sftp() as SFTPWrapper & { ext_openssh_hardlink?: (from: string, to: string, cb: (error?: Error) => void) => void };
    const linked = await new Promise<boolean>((resolve) => {
      if (typeof sftp.ext_openssh_hardlink !== "function") return resolve(false);
      try {
        sftp.ext_openssh_hardlink(this.remotePath(from), this.remotePath(to), (error) => resolve(error === undefined || error === null));
      } catch {
        resolve(false); // the server does not offer hardlink@openssh.com
      }
    });
    if (!linked) await this.orFail(to, "copy", async () => void (await this.client.rcopy(this.remotePath(from), this.remotePath(to))));
  }

  async remove(path: string): Promise<boolean> {
    if ((await this.stat(path)) === undefined) return false;
    await this.orFail(path, "remove", async () => void (await this.client.delete(this.remotePath(path), true)));
    return true;
  }

  async removeEmptyDirectory(path: string): Promise<boolean> {
    const sftp = this.sftp();
    const remote = this.remotePath(path);
    this.forgetDirectories(remote);
    // Any refusal means "not empty" (SFTP has no code for it), unless the connection's end made it up.
    return new Promise<boolean>((resolve, reject) => sftp.rmdir(remote, (error) => (error && this.connectionGone() ? reject(error) : resolve(!error))));
  }

  async removeTree(path: string): Promise<boolean> {
    if ((await this.stat(path)) === undefined) return false;
    this.forgetDirectories(this.remotePath(path));
    await this.orFail(path, "remove", async () => void (await this.client.rmdir(this.remotePath(path), true)));
    return true;
  }

  async sync(paths: readonly string[]): Promise<boolean> {
    if (this.syncMethod() === null) return false;
    const sftp = this.sftp();
    // A window of open → fsync + close chains (sftp-many.ts): the server carries them out in
    // order, each one fsync(2); a path whose open was refused is tried again on its own.
    await syncMany(this.inFlightHost(), [...new Set(paths)], async (path) => {
      await this.orMissing(path, "sync", async () => {
        const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(this.remotePath(path), "r", (error, opened) => (error ? reject(error) : resolve(opened))));
        try {
          await new Promise<void>((resolve, reject) => sftp.ext_openssh_fsync(handle, (error?: Error | null) => (error ? reject(error) : resolve())));
        } finally {
          await new Promise<void>((resolve) => sftp.close(handle, () => resolve()));
        }
      });
    });
    return true;
  }

  async statMany(paths: readonly string[]): Promise<Array<FileStat | undefined>> {
    return statMany(this.inFlightHost(), paths);
  }

  async probeInFlight(request: ProbeRequest): Promise<Map<string, ProbeResult>> {
    return probeInFlight(this.inFlightHost(), request);
  }

  async digestMany(files: readonly DigestRequest[], algorithms: readonly DigestAlgorithm[]): Promise<Array<DigestResult | undefined>> {
    return digestMany(this.inFlightHost(), files, algorithms, (path) => this.digest(path, algorithms));
  }

  async applyAll(operations: readonly BatchOperation[]): Promise<void> {
    await applyAll(this.inFlightHost(), operations);
  }

  /** A request's error as one line; as orFail: reading takes no space, so its failure is never a full disk. */
  private async failure(error: unknown, path: string, verb: string): Promise<unknown> {
    return verb === "read" ? this.translate(error, path, verb) : this.explainFailure(this.translate(error, path, verb));
  }

  /** What the pipelined requests of sftp-many.ts and sftp-read-many.ts need of this session. */
  private inFlightHost(): InFlightHost {
    return {
      sftp: this.sftp(),
      remotePath: (path) => this.remotePath(path),
      appliesInOrder: this.serverAppliesInOrder(),
      knownDirectories: this.knownDirectories,
      ...(this.permissions?.directory === undefined ? {} : { directoryMode: this.permissions.directory }),
      translate: (error, path, verb) => this.translate(error, path, verb),
      failure: (error, path, verb) => this.failure(error, path, verb),
      forgetDirectories: (remote) => this.forgetDirectories(remote),
      copy: async (from, to) => void (await this.client.rcopy(from, to)),
    };
  }

  syncMethod(): string | null {
    const extensions = (this.sftp() as unknown as { _extensions?: Record<string, string> })._extensions ?? {};
    return extensions["fsync@openssh.com"] === "1" ? "fsync@openssh.com" : null;
  }

  /** statvfs@openssh.com of the repository root; undefined where the server does not offer it. */
  async freeSpace(): Promise<FreeSpace | undefined> {
    const sftp = this.sftp();
    const extensions = (sftp as unknown as { _extensions?: Record<string, string> })._extensions ?? {};
    if (extensions["statvfs@openssh.com"] !== "2") return undefined;
    const info = await new Promise<Record<string, unknown> | undefined>((resolve) => sftp.ext_openssh_statvfs(this.options.root, (error, stats) => resolve(error ? undefined : stats)));
    if (info === undefined) return undefined;
    const files = Number(info.f_files);
    return { bytes: Number(info.f_bavail) * Number(info.f_frsize), inodes: files > 0 ? Number(info.f_favail) : undefined };
  }

  /**
   * OpenSSH's sftp-server answers ENOSPC with a bare SSH_FX_FAILURE ("Failure"), like many other
   * errors: a refused write on a disk that statvfs shows (nearly) full was refused for space.
   */
  private async explainFailure(error: unknown): Promise<unknown> {
    if (!(error instanceof PromoteError) || (error.code !== "ERR_IO" && error.code !== "ERR_PERMISSION") || !isGenericFailure(error.cause)) return error;
    const space = await this.freeSpace().catch(() => undefined);
    if (space === undefined || !looksFull(space)) return error;
    return noSpaceError(this.location, `${error.message.replace(/ \(.*\)$/, "")}; the server said "Failure" with ${describeFreeSpace(space)}`, {
      ...(error.path === undefined ? {} : { path: error.path }),
      cause: error.cause,
    });
  }

  async sha256OnServer(paths: readonly string[]): Promise<Map<string, string> | undefined> {
    return this.capabilities.exec ? sha256OnServer((command) => this.commands.runShort(command), paths) : undefined;
  }

  async exec(command: string): Promise<ExecResult> {
    const result = await this.commands.exec(command);
    return { code: result.code, stdout: result.stdout.toString("utf8"), stderr: result.stderr };
  }

  async execWithInput(command: string, input: Readable, onProgress?: (sent: number) => void, length?: number): Promise<ExecResult> {
    const result = await this.commands.exec(command, input, onProgress, length);
    return { code: result.code, stdout: result.stdout.toString("utf8"), stderr: result.stderr };
  }

  async probeOnServer(request: ProbeRequest): Promise<Map<string, ProbeResult> | undefined> {
    return this.capabilities.exec ? probeOnServer((command) => this.commands.runShort(command), request) : undefined;
  }

  /** A short command on the session kept open for them (ssh-commands.ts). */
  runShort(command: string): Promise<ShellResult> {
    return this.commands.runShort(command);
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.lostReason === undefined) await this.commands.close();
    await this.client.end().catch(() => undefined);
    this.closeBeneath();
  }

  /**
   * mkdir -p. ssh2-sftp-client checks, then creates: when another client creates the same
   * directory in between (racing promotions all make .maven-promote/), its mkdir fails with
   * FAILURE, reported as "permission denied". A directory that is there afterwards is success.
   */
  private async makeDirectory(remote: string): Promise<void> {
    // A directory this session made or found is not asked for again (each ask is a round trip
    // per level); removing or renaming through this transport forgets it.
    if (this.knownDirectories.has(remote)) return;
    if (this.permissions?.directory !== undefined) return this.makeDirectoryWithMode(remote, this.permissions.directory);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.mkdir(remote, true);
        break;
      } catch (error) {
        if (await this.client.stat(remote).then((info) => info.isDirectory, () => false)) break;
        // A race on a directory above it cut the walk short: once more, from where it got to.
        if (attempt >= 3) throw error;
      }
    }
    for (let directory = remote; directory.startsWith(this.options.root) && !this.knownDirectories.has(directory); directory = posix.dirname(directory)) {
      this.knownDirectories.add(directory);
    }
  }

  /**
   * mkdir -p that gives each directory it makes `mode` (chmod after mkdir: the server's umask
   * applies to mkdir's mode, as wagon-ssh found), and leaves the ones already there alone.
   */
  private async makeDirectoryWithMode(remote: string, mode: number): Promise<void> {
    const root = posix.normalize(this.options.root).replace(/\/$/, "") || "/";
    const missing: string[] = [];
    for (let directory = remote; !this.knownDirectories.has(directory); directory = posix.dirname(directory)) {
      const type = await this.client.stat(directory).then((info) => (info.isDirectory ? "directory" : "other"), () => undefined);
      if (type === "directory") break;
      if (type === "other") throw new PromoteError("ERR_IO", `${directory}: is in the way of a directory`, { path: directory });
      missing.unshift(directory);
      if (directory === root || directory === "/") break;
    }
    for (const directory of missing) {
      const made = await this.client.mkdir(directory, false).then(() => true, () => false);
      if (made) await this.client.chmod(directory, mode);
      else if (!(await this.client.stat(directory).then((info) => info.isDirectory, () => false))) {
        throw new PromoteError("ERR_IO", `${directory}: cannot create the directory`, { path: directory });
      }
    }
    for (let directory = remote; directory.startsWith(this.options.root) && !this.knownDirectories.has(directory); directory = posix.dirname(directory)) {
      this.knownDirectories.add(directory);
    }
  }

  /** A file made under a settings.xml server's filePermissions gets exactly them (the server's umask cut its open mode). */
  private async applyFileMode(remote: string): Promise<void> {
    if (this.permissions?.file !== undefined) await this.client.chmod(remote, this.permissions.file);
  }

  private fileMode(): number {
    return this.permissions?.file ?? FILE_MODE;
  }

  /** Forgets known directories at or under `remote` (it was removed or renamed). */
  private forgetDirectories(remote: string): void {
    for (const directory of this.knownDirectories) if (directory === remote || directory.startsWith(`${remote}/`)) this.knownDirectories.delete(directory);
  }

  private sftp(): SFTPWrapper {
    const sftp = (this.client as unknown as { sftp?: SFTPWrapper }).sftp;
    if (sftp === undefined) throw new PromoteError("ERR_SSH_CONNECT", `${this.location}: the SFTP session is closed`);
    return sftp;
  }

  private async orMissing<T>(path: string, verb: string, action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (error) {
      if (isNoSuchFile(error)) return undefined;
      throw this.translate(error, path, verb);
    }
  }

  private async orFail<T>(path: string, verb: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      const translated = this.translate(error, path, verb);
      // Reading and removing take no space: their failures are never a full disk.
      throw verb === "read" || verb === "remove" ? translated : await this.explainFailure(translated);
    }
  }

  private translate(error: unknown, path: string, verb: string): PromoteError {
    if (error instanceof PromoteError) return error;
    const code = (error as { code?: number | string }).code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === PERMISSION_DENIED || /permission denied/i.test(message)) {
      return new PromoteError("ERR_PERMISSION", `${path}: permission denied on ${this.options.host} (cannot ${verb})`, { path, cause: error });
    }
    if (/ECONNRESET|EPIPE|Not connected|No SFTP connection|connection lost|No response from server|socket/i.test(message)) {
      return new PromoteError("ERR_CONNECTION_LOST", `${this.location}: the connection was lost while trying to ${verb} ${path} (${lossReason(error, this.options)})`, { path, cause: error });
    }
    const reason = message.replace(/^[a-zA-Z]+: /, "").split("\n")[0]!.slice(0, 200);
    return new PromoteError("ERR_IO", `${path}: cannot ${verb} on ${this.options.host} (${reason})`, { path, cause: error });
  }
}

/** digest's reads: this many bytes each, this many in flight. */
const READ_PIECE = 128 * 1024;
const READ_WINDOW = 8;

/** uploadStream's writes: as many bytes each as OpenSSH takes in one request, this many at once. */
const UPLOAD_PIECE = 32 * 1024;
const UPLOAD_WINDOW = 64;

/** SSH_FX_FAILURE: the server's catch-all status (OpenSSH sends it for ENOSPC). */
function isGenericFailure(error: unknown): boolean {
  const code = (error as { code?: number | string } | undefined)?.code;
  const message = error instanceof Error ? error.message : "";
  // ssh2-sftp-client words a mkdir's FAILURE "Bad path: … permission denied" (ERR_BAD_PATH).
  return code === 4 || /\bFailure\b/.test(message) || (code === "ERR_BAD_PATH" && /permission denied/.test(message));
}

