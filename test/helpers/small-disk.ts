// A small real file system for disk-full tests (issue 17, part 2): a tmpfs mounted into a fresh
// temporary directory (root only), and a filler that leaves it with an exact number of free bytes
// and, if asked, free inodes. On tmpfs both are exact: data is counted in pages (statfs's bsize),
// and every file, directory and hard link takes one inode slot (nr_inodes).
//
// Run as a program, it fills a disk: `node small-disk.js DIR FREE_BYTES [FREE_INODES]` (what a
// --hook runs to fill the disk between two phases of a promotion).
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTempDir } from "./temp-repos.js";

const mounted: string[] = [];

/** Whether this process may mount a tmpfs (root, and a kernel and container that allow it); why not, when not. */
export function whyNoMount(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root to mount a tmpfs";
  try {
    const probe = mountSmallDisk(64 * 1024);
    unmountSmallDisk(probe);
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs here (${(error as Error).message.split("\n")[0]})`;
  }
}

/** A fresh tmpfs of `bytes` (and at most `inodes` inodes) mounted on a new temporary directory. */
export function mountSmallDisk(bytes: number, inodes?: number): string {
  const dir = makeTempDir("maven-promote-disk-");
  const options = [`size=${bytes}`, "mode=0755", ...(inodes === undefined ? [] : [`nr_inodes=${inodes}`])].join(",");
  execFileSync("mount", ["-t", "tmpfs", "-o", options, "maven-promote-test", dir], { stdio: "pipe" });
  mounted.push(dir);
  return dir;
}

export function unmountSmallDisk(dir: string): void {
  execFileSync("umount", [dir], { stdio: "pipe" });
  mounted.splice(mounted.indexOf(dir), 1);
}

/** Unmounts every disk mounted here (before removeTempDirs() removes their mount points). */
export function unmountSmallDisks(): void {
  for (const dir of [...mounted].reverse()) unmountSmallDisk(dir);
}

export interface Space {
  bytes: number;
  inodes: number;
}

export function freeSpaceOf(dir: string): Space {
  const info = statfsSync(dir);
  return { bytes: info.bavail * info.bsize, inodes: info.ffree };
}

const FILLER = ".filler";

/**
 * Fills the file system holding `dir` until exactly `bytes` (a multiple of its block size) and,
 * when given, `inodes` are free, with files under `dir`/.filler/. Returns the space left, which
 * the caller can assert. Removing `dir`/.filler/ (emptyFiller) gives the space back.
 */
export function fillDisk(dir: string, bytes: number, inodes?: number): Space {
  const filler = join(dir, FILLER);
  mkdirSync(filler, { recursive: true });
  const file = openSync(join(filler, "bytes"), "a");
  try {
    const { bsize } = statfsSync(dir);
    if (bytes % bsize !== 0) throw new Error(`fillDisk: ${bytes} is not a multiple of the block size ${bsize}`);
    const chunk = Buffer.alloc(1024 * 1024);
    for (let excess = freeSpaceOf(dir).bytes - bytes; excess > 0; excess = freeSpaceOf(dir).bytes - bytes) {
      writeSync(file, chunk, 0, Math.min(chunk.length, excess));
    }
  } finally {
    closeSync(file);
  }
  if (inodes !== undefined) {
    // Empty files take an inode and no page.
    for (let index = 0; freeSpaceOf(dir).inodes > inodes; index++) closeSync(openSync(join(filler, `inode-${index}`), "w"));
  }
  const left = freeSpaceOf(dir);
  if (left.bytes !== bytes || (inodes !== undefined && left.inodes !== inodes)) {
    throw new Error(`fillDisk: ${dir} has ${left.bytes} bytes and ${left.inodes} inodes free, not ${bytes} and ${inodes ?? "any"}`);
  }
  return left;
}

export function emptyFiller(dir: string): void {
  rmSync(join(dir, FILLER), { recursive: true, force: true });
}

export const smallDiskProgram = fileURLToPath(import.meta.url);

if (process.argv[1] === smallDiskProgram) {
  const [dir, bytes, inodes] = process.argv.slice(2);
  fillDisk(dir!, Number(bytes), inodes === undefined ? undefined : Number(inodes));
}
