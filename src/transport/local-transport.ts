// The local-directory transport: a repository on this machine's file system (or a mount).
import { execFile } from "node:child_process";
import { constants, createWriteStream, renameSync, unlinkSync } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { appendFile, chmod, copyFile, link, mkdir, open, readdir, rename, rm, rmdir, stat, statfs, unlink, writeFile } from "node:fs/promises";
import { dirname, posix, resolve, sep } from "node:path";
import { PromoteError } from "../errors.js";
import { mapLimit } from "../util/map-limit.js";
import { digestFiles } from "../integrity/digest-pool.js";
import { digestStream, readInPlace, type DigestAlgorithm, type DigestResult } from "../integrity/digests.js";
import { NO_SPACE_ERRNOS, noSpaceError, type FreeSpace } from "./no-space.js";
import type { TargetPermissions } from "./permissions.js";
import type { DirEntry, FileStat, OrderedOperation, Transport, UploadFile } from "./transport.js";
import { isoNow } from "../util/iso-now.js";

export class LocalTransport implements Transport {
  readonly root: string;
  readonly capabilities = { exec: false };

  constructor(
    root: string,
    readonly location: string = root,
    /** Modes for what is written and the directories made (a settings.xml server's). */
    readonly permissions?: TargetPermissions,
  ) {
    this.root = resolve(root);
  }

  /** The absolute path of a repository path; refuses anything that leaves the root. */
  resolvePath(path: string): string {
    const absolute = resolve(this.root, path);
    if (absolute !== this.root && !absolute.startsWith(this.root + sep)) {
      throw new PromoteError("ERR_UNSAFE_PATH", `${path}: leaves the repository root`, { path });
    }
    return absolute;
  }

  async stat(path: string): Promise<FileStat | undefined> {
    return this.io(path, "read", async () => {
      const info = await stat(this.resolvePath(path));
      return { type: info.isFile() ? "file" : info.isDirectory() ? "directory" : "other", size: info.size, mtimeMs: info.mtimeMs };
    });
  }

  async readFile(path: string, maxBytes = Number.MAX_SAFE_INTEGER): Promise<Buffer | undefined> {
    return this.io(path, "read", async () => {
      const handle = await open(this.resolvePath(path), "r");
      try {
        const { size } = await handle.stat();
        if (size > maxBytes) {
          throw new PromoteError("ERR_IO", `${path}: ${size} bytes, over the ${maxBytes}-byte limit`, { path });
        }
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    });
  }

  async list(path: string): Promise<DirEntry[] | undefined> {
    return this.io(path, "read", async () => {
      const entries = await readdir(this.resolvePath(path), { withFileTypes: true });
      const listed = await Promise.all(
        entries.map(async (entry): Promise<DirEntry> => {
          // A link is listed as what it points to, as SFTP's stat would.
          const info = entry.isSymbolicLink() ? await stat(this.resolvePath(`${path}/${entry.name}`)).catch(() => undefined) : entry;
          const type = info === undefined ? "other" : info.isFile() ? "file" : info.isDirectory() ? "directory" : "other";
          return { name: entry.name, type };
        }),
      );
      return listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  async digest(path: string, algorithms: readonly DigestAlgorithm[]): Promise<DigestResult | undefined> {
    return this.io(path, "read", async () => {
      const absolute = this.resolvePath(path);
      const info = await stat(absolute);
      if (!info.isFile()) return undefined;
      return digestStream(readInPlace(absolute), algorithms);
    });
  }

  /** sha256 of many files on every core (the digest pool): how verify reads back a local target. */
  async sha256OnServer(paths: readonly string[]): Promise<Map<string, string> | undefined> {
    const files = paths.map((path) => this.resolvePath(path));
    const results = await digestFiles(files, ["sha256"]).catch(() => undefined);
    if (results === undefined) return undefined; // a file is missing: digest() then names it
    return new Map(paths.map((path, index) => [path, results[index]!.digests.sha256!]));
  }

  async writeFile(path: string, data: string | Uint8Array): Promise<void> {
    await this.write(path, async (absolute) => writeFile(absolute, data));
  }

  async createExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.write(path, async (absolute) => {
          await writeFile(absolute, data, { flag: "wx" }).catch(async (error: NodeJS.ErrnoException) => {
            // Made, but not written (a full disk): an empty lock file would lock the target
            // for good. Only a failure after the create can leave it, so it is ours to remove.
            if (error.code !== "EEXIST") await unlink(absolute).catch(() => undefined);
            throw error;
          });
        });
        return true;
      } catch (error) {
        const code = error instanceof PromoteError ? (error.cause as NodeJS.ErrnoException | undefined)?.code : undefined;
        if (code === "EEXIST") return false;
        // The directory vanished between mkdir and create (another process removed an empty
        // .maven-promote/ as it released its lock): once more.
        if (code !== "ENOENT" || attempt > 0) throw error;
      }
    }
  }

  async appendFile(path: string, data: string): Promise<void> {
    await this.write(path, async (absolute) => appendFile(absolute, data));
  }

  async download(path: string, localPath: string): Promise<void> {
    await this.io(path, "read", async () => {
      await mkdir(dirname(localPath), { recursive: true });
      await copyFile(this.resolvePath(path), localPath);
    }, true);
  }

  async upload(localPath: string, path: string, onProgress?: (sent: number) => void): Promise<void> {
    await this.write(path, async (absolute) => {
      // A reflink where the file system can (btrfs, xfs), else copy_file_range(2) in the
      // kernel: the bytes never pass through this process.
      await copyFile(localPath, absolute, constants.COPYFILE_FICLONE);
      onProgress?.((await stat(absolute)).size);
    });
  }

  /**
   * Many files at once: each directory made once (not once per file), each file copied by the
   * kernel (a reflink where it can), progress counted from the sizes given: no stat after each
   * copy. A promotion's upload made 3 thread-pool trips a file, now 1 (issue 18, part 5).
   */
  async uploadMany(files: readonly UploadFile[], onProgress?: (sent: number) => void): Promise<void> {
    const directories = [...new Set(files.map((file) => posix.dirname(file.path)))];
    await mapLimit(directories, 16, (directory) => this.mkdirp(directory));
    await mapLimit(files, 64, async (file) => {
      await this.io(file.path, "write", async () => {
        const absolute = this.resolvePath(file.path);
        if (file.localPath !== undefined) await copyFile(file.localPath, absolute, constants.COPYFILE_FICLONE);
        else await writeFile(absolute, file.content ?? "");
        if (this.permissions?.file !== undefined) await chmod(absolute, this.permissions.file);
      }, true);
      onProgress?.(file.size);
    });
  }

  async uploadStream(source: Readable, path: string, onProgress?: (sent: number) => void): Promise<void> {
    await this.write(path, async (absolute) => {
      if (onProgress !== undefined) source.on("data", (chunk: Buffer) => onProgress(chunk.length));
      await pipeline(source, createWriteStream(absolute));
    });
  }

  async mkdirp(path: string): Promise<void> {
    await this.io(path, "create", async () => this.makeDirectories(this.resolvePath(path)));
  }

  async rename(from: string, to: string, options: { replace: boolean }): Promise<void> {
    await this.io(to, "rename", async () => {
      const target = this.resolvePath(to);
      // rename(2) replaces files silently and an empty directory too: check first when it must not.
      if (!options.replace && (await stat(target).catch(() => undefined)) !== undefined) {
        throw new PromoteError("ERR_TARGET_EXISTS", `${to}: already exists on the target; refusing to overwrite it`, { path: to });
      }
      await this.makeDirectories(dirname(target));
      await rename(this.resolvePath(from), target);
    }, true);
  }

  /**
   * rename(2) and unlink(2) back to back, synchronously: nothing else this process does can run
   * between two of them, so a metadata group's window is the system calls' own time (issue 18).
   * Renames replace; removing a file that is not there succeeds.
   */
  applyNow(operations: readonly OrderedOperation[]): Array<{ error?: Error; at: string }> {
    return operations.map((operation) => {
      try {
        if (operation.op === "rename") renameSync(this.resolvePath(operation.from), this.resolvePath(operation.to));
        else removeIfThere(this.resolvePath(operation.path));
        return { at: isoNow() };
      } catch (error) {
        return { error: error as Error, at: isoNow() };
      }
    });
  }

  async linkOrCopy(from: string, to: string): Promise<void> {
    await this.write(to, async (absolute) => {
      try {
        await link(this.resolvePath(from), absolute);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") throw error;
        await copyFile(this.resolvePath(from), absolute); // another file system, or no hard links
      }
    });
  }

  async remove(path: string): Promise<boolean> {
    return (await this.io(path, "remove", async () => (await unlink(this.resolvePath(path)), true))) ?? false;
  }

  async removeEmptyDirectory(path: string): Promise<boolean> {
    try {
      await rmdir(this.resolvePath(path));
      return true;
    } catch {
      return false; // not empty, not there, or not a directory
    }
  }

  async removeTree(path: string): Promise<boolean> {
    const absolute = this.resolvePath(path);
    if ((await this.stat(path)) === undefined) return false;
    await this.io(path, "remove", async () => rm(absolute, { recursive: true, force: true }));
    return true;
  }

  async sync(paths: readonly string[]): Promise<boolean> {
    // One syncfs(2) of the repository's file system (coreutils `sync -f`) does what an fsync of
    // every path does, in one call; where there is no such command, each path is fsynced.
    if (await syncFileSystem(this.root)) return true;
    await mapLimit([...new Set(paths)], 16, async (path) => {
      await this.io(path, "sync", async () => {
        // A directory opens read-only too; fsync(2) of it makes its entries (renames) durable.
        const handle = await open(this.resolvePath(path), "r");
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      });
    });
    return true;
  }

  syncMethod(): string | null {
    return "fsync";
  }

  async freeSpace(): Promise<FreeSpace | undefined> {
    const info = await statfs(this.root).catch(() => undefined);
    if (info === undefined) return undefined;
    // bavail: what an unprivileged user may still write (root may dig into the reserve too).
    return { bytes: info.bavail * info.bsize, inodes: info.files > 0 ? info.ffree : undefined };
  }

  async close(): Promise<void> {}

  /** ioOrMissing, naming this target when its disk is full. */
  private io<T>(path: string, verb: string, action: () => Promise<T>, strict = false): Promise<T | undefined> {
    return ioOrMissing(this.location, path, verb, action, strict);
  }

  private async write(path: string, action: (absolute: string) => Promise<unknown>): Promise<void> {
    const absolute = this.resolvePath(path);
    await this.io(path, "write", async () => {
      await this.makeDirectories(dirname(absolute));
      await action(absolute);
      if (this.permissions?.file !== undefined) await chmod(absolute, this.permissions.file);
    }, true);
  }

  /** mkdir -p; with a directory mode, each directory made gets exactly it (the umask cut mkdir's mode), and those already there are left alone. */
  private async makeDirectories(absolute: string): Promise<void> {
    const mode = this.permissions?.directory;
    if (mode === undefined) {
      // Node's recursive mkdir reports any parent it could not make as ENOENT (even for ENOSPC):
      // then one level at a time, below, says why.
      const made = await mkdir(absolute, { recursive: true }).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOENT") throw error;
          return false;
        },
      );
      if (made) return;
    }
    const missing: string[] = [];
    for (let directory = absolute; (await stat(directory).catch(() => undefined)) === undefined && directory !== dirname(directory); directory = dirname(directory)) {
      missing.unshift(directory);
    }
    for (const directory of missing) {
      const made = await mkdir(directory).then(() => true, (error: NodeJS.ErrnoException) => {
        if (error.code === "EEXIST") return false; // made by someone else meanwhile
        throw error;
      });
      if (made && mode !== undefined) await chmod(directory, mode);
    }
  }
}

function removeIfThere(absolute: string): void {
  try {
    unlinkSync(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** `sync -f DIR`: syncfs(2) of the file system holding DIR; false where the command cannot. */
function syncFileSystem(directory: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    execFile("sync", ["-f", directory], (error) => resolvePromise(error === null));
  });
}

/**
 * Runs an fs call. ENOENT/ENOTDIR become undefined (unless `strict`, for writes, where a
 * missing source is an error too); a full disk is ERR_NO_SPACE naming the target; other errno
 * failures become one ERR_IO line.
 */
async function ioOrMissing<T>(location: string, path: string, verb: string, action: () => Promise<T>, strict = false): Promise<T | undefined> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof PromoteError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (!strict && (code === "ENOENT" || code === "ENOTDIR")) return undefined;
    if (code !== undefined && NO_SPACE_ERRNOS.has(code)) throw noSpaceError(location, `${code}: cannot ${verb} ${path}`, { path, cause: error });
    if (typeof code === "string") {
      throw new PromoteError("ERR_IO", `${path}: cannot ${verb} (${code})`, { path, cause: error });
    }
    throw error;
  }
}
