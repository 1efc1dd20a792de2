// Walks the local copy of a staging repository and lists its files, refusing names and links
// that are not safe to promote (DESIGN.md, validation rules). Problems are collected, not thrown,
// so that one run reports all of them.
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

  const walk = async (directory: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) {
      problems.push({ code: "ERR_UNSAFE_PATH", path: relativePath(root, directory), message: `${relativePath(root, directory)}: directories nest deeper than ${MAX_DEPTH} levels` });
      return;
    }
    const names = (await readdir(directory)).sort();
    // The entries' lstat all at once (a directory of a release holds a dozen files or so); the
    // walk itself stays in name order, so files and problems come out sorted.
    const infos = await Promise.all(names.map((name) => lstat(join(directory, name)).catch((error: unknown) => error as Error)));
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

function relativePath(root: string, absolute: string): string {
  return relative(root, absolute).split(sep).join("/");
}
