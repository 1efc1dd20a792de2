// The local-directory transport: a repository on this machine's file system (or a mount).
import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { resolve, sep } from "node:path";
import { PromoteError } from "../errors.js";
import { digestStream, type DigestAlgorithm, type DigestResult } from "../integrity/digests.js";
import type { FileStat, Transport } from "./transport.js";

export class LocalTransport implements Transport {
  readonly root: string;

  constructor(root: string, readonly location: string = root) {
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
    return ioOrMissing(path, async () => {
      const info = await stat(this.resolvePath(path));
      return { type: info.isFile() ? "file" : info.isDirectory() ? "directory" : "other", size: info.size };
    });
  }

  async readFile(path: string, maxBytes = Number.MAX_SAFE_INTEGER): Promise<Buffer | undefined> {
    return ioOrMissing(path, async () => {
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

  async list(path: string): Promise<string[] | undefined> {
    return ioOrMissing(path, async () => (await readdir(this.resolvePath(path))).sort());
  }

  async digest(path: string, algorithms: readonly DigestAlgorithm[]): Promise<DigestResult | undefined> {
    return ioOrMissing(path, async () => {
      const absolute = this.resolvePath(path);
      const info = await stat(absolute);
      if (!info.isFile()) return undefined;
      return digestStream(createReadStream(absolute), algorithms);
    });
  }

  async close(): Promise<void> {}
}

/** Runs an fs call; ENOENT/ENOTDIR become undefined, other errno failures one ERR_IO line. */
async function ioOrMissing<T>(path: string, action: () => Promise<T>): Promise<T | undefined> {
  try {
    return await action();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    if (typeof code === "string") {
      throw new PromoteError("ERR_IO", `${path}: cannot read (${code})`, { path, cause: error });
    }
    throw error;
  }
}
