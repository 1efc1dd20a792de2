// Walks the local copy of a staging repository and lists its files, refusing names and links
// that are not safe to promote (DESIGN.md, validation rules). Problems are collected, not thrown,
// so that one run reports all of them.
import type { Stats } from "node:fs";
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { PromoteError, type Problem } from "../errors.js";
import { printablePath, unsafePathReason } from "../maven/repository-path.js";

export interface StagedFile {
  /** Repository-relative POSIX path. */
  path: string;
  /** Where the bytes are on this machine. */
  absolutePath: string;
  size: number;
}

export interface StagingScan {
  root: string;
  files: StagedFile[];
  problems: Problem[];
}

const MAX_DEPTH = 64;

export async function scanStagingDirectory(root: string): Promise<StagingScan> {
  const rootInfo = await stat(root).catch(() => undefined);
  if (rootInfo === undefined || !rootInfo.isDirectory()) {
    throw new PromoteError("ERR_REPOSITORY_NOT_FOUND", `staging repository ${root} is not a directory`, { path: root });
  }
  const realRoot = await realpath(root);
  const files: StagedFile[] = [];
  const problems: Problem[] = [];
  const visited = new Set<string>([realRoot]);

  const listings = new ListingsAhead();
  const walk = async (directory: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) {
      problems.push({ code: "ERR_UNSAFE_PATH", path: relativePath(root, directory), message: `${relativePath(root, directory)}: directories nest deeper than ${MAX_DEPTH} levels` });
      return;
    }
    const { names, infos } = await listings.take(directory);
    for (const [index, name] of names.entries()) {
      const absolute = join(directory, name);
      const path = relativePath(root, absolute);
      const reason = unsafePathReason(path);
      if (reason !== undefined) {
        problems.push({ code: "ERR_UNSAFE_PATH", path: printablePath(path), message: `${printablePath(path)}: ${reason}` });
        continue;
      }
      const found = infos[index]!;
      if (found instanceof Error) throw found;
      let info = found;
      let real = absolute;
      if (info.isSymbolicLink()) {
        // A link may point inside the staging root (then it is read as what it points to),
        // never outside it: that would promote files the release manager did not stage.
        real = await realpath(absolute).catch(() => "");
        if (real === "" || (real !== realRoot && !real.startsWith(realRoot + sep))) {
          problems.push({ code: "ERR_UNSAFE_PATH", path, message: `${path}: is a link that leaves the staging repository (or is broken)` });
          continue;
        }
        info = await stat(real);
      }
      if (info.isDirectory()) {
        if (visited.has(real)) {
          problems.push({ code: "ERR_UNSAFE_PATH", path, message: `${path}: is a link back into a directory already walked` });
          continue;
        }
        visited.add(real);
        await walk(absolute, depth + 1);
      } else if (info.isFile()) {
        files.push({ path, absolutePath: real, size: info.size });
      } else {
        problems.push({ code: "ERR_UNSAFE_PATH", path, message: `${path}: is not a regular file or directory` });
      }
    }
  };
  await walk(root, 0);
  return { root, files, problems };
}

interface Listing {
  names: string[];
  infos: Array<Stats | Error>;
}

/**
 * Directory listings read ahead of the walk, in the order it will want them (its subdirectories
 * first, depth first), at most LISTINGS_AHEAD at a time: a directory waited on one listing after
 * another cost the walk a thread-pool trip each (6,000 directories at 3,000 artifacts). The walk
 * itself is unchanged, and so is what it finds, in the same order (issue 18, part 5).
 */
class ListingsAhead {
  private readonly ready = new Map<string, Promise<Listing>>();
  private readonly wanted: string[] = [];
  private readonly taken = new Set<string>();

  /** The listing of `directory` (read now if it was not read ahead); its subdirectories are read ahead. */
  async take(directory: string): Promise<Listing> {
    const listing = await (this.ready.get(directory) ?? readListing(directory));
    this.ready.delete(directory);
    this.taken.add(directory);
    // Pushed in reverse: the next popped is the first subdirectory, which the walk enters next.
    for (let index = listing.names.length - 1; index >= 0; index--) {
      const info = listing.infos[index]!;
      if (!(info instanceof Error) && info.isDirectory()) this.wanted.push(join(directory, listing.names[index]!));
    }
    this.pump();
    return listing;
  }

  private pump(): void {
    while (this.ready.size < LISTINGS_AHEAD && this.wanted.length > 0) {
      const directory = this.wanted.pop()!;
      if (this.taken.has(directory) || this.ready.has(directory)) continue;
      const listing = readListing(directory);
      listing.catch(() => undefined); // a failure is met again when the walk takes it
      this.ready.set(directory, listing);
    }
  }
}

const LISTINGS_AHEAD = 64;

/** A directory's names, sorted, with the lstat of each, all at once (a directory of a release holds a dozen files or so). */
async function readListing(directory: string): Promise<Listing> {
  const names = (await readdir(directory)).sort();
  const infos = await Promise.all(names.map((name) => lstat(join(directory, name)).catch((error: unknown) => error as Error)));
  return { names, infos };
}

function relativePath(root: string, absolute: string): string {
  return relative(root, absolute).split(sep).join("/");
}
