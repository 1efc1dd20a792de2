// Temporary copies of fixture repositories, and a fingerprint of a whole tree so that a test can
// prove a run left it byte-identical.
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, lstatSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixturesDir } from "./paths.js";

const created: string[] = [];

/** A fresh temporary directory, removed by removeTempDirs(). */
export function makeTempDir(prefix = "maven-promote-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Copies test/fixtures/repos/<name> (with its staging/ and target/) into a temp dir. */
export function copyRepoFixture(name: string): { root: string; staging: string; target: string } {
  const root = makeTempDir();
  cpSync(join(fixturesDir, "repos", name), root, { recursive: true });
  return { root, staging: join(root, "staging"), target: join(root, "target") };
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Every entry below `root` with its type, mode and content hash (links: their target). */
export function treeFingerprint(root: string): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const absolute = join(dir, name);
      const path = prefix === "" ? name : `${prefix}/${name}`;
      const info = lstatSync(absolute);
      if (info.isSymbolicLink()) result[path] = `link:${readlinkSync(absolute)}`;
      else if (info.isDirectory()) {
        result[path] = `dir:${info.mode.toString(8)}`;
        walk(absolute, path);
      } else result[path] = `file:${info.mode.toString(8)}:${createHash("sha256").update(readFileSync(absolute)).digest("hex")}`;
    }
  };
  walk(root, "");
  return result;
}
