// What must hold in every state a power cut can leave (DESIGN.md invariants 1, 2, 5, 6 and 9), read
// straight from the bytes of the state, with no code of the product's: a regex reads the
// versions a maven-metadata.xml lists, node:crypto computes the checksums.
import { createHash } from "node:crypto";
import type { listTree } from "./fs-model.js";

type Tree = ReturnType<typeof listTree>;

const CHECKSUMS: Record<string, string> = { ".md5": "md5", ".sha1": "sha1", ".sha256": "sha256", ".sha512": "sha512" };

export interface InvariantContext {
  /** The target before the commit (its files outside .maven-promote are the original ones). */
  original: Tree;
  /** The fully promoted target (a real promotion run to its end). */
  promoted: Tree;
  /** The new version directories the promotion moves into place. */
  newVersionDirectories: readonly string[];
  /** The metadata files the promotion changes. */
  changedMetadata: ReadonlySet<string>;
  /**
   * Whether the power failed inside the metadata window: after the first metadata flip was
   * issued and before the barrier after the last one returned. Only then may a changed metadata
   * file and its checksums be out of step (docs/how-it-works.md, "After a power loss").
   */
  inMetadataWindow: boolean;
}

/** Every rule the state breaks, one line each; empty when it is fine. */
export function checkCrashState(state: Tree, context: InvariantContext): string[] {
  const problems: string[] = [];
  const visible = [...state].filter(([path]) => !path.startsWith(".maven-promote"));
  for (const [path, entry] of visible) {
    if (entry.type !== "file" || !path.endsWith("/maven-metadata.xml")) continue;
    const xml = entry.data.toString("utf8");
    const directory = path.slice(0, path.lastIndexOf("/"));
    // Completeness: every version listed is there; one this promotion adds, with every file the
    // promoted target has in it (an existing SNAPSHOT's files are the backups' business, below).
    for (const version of listedVersions(xml)) {
      const prefix = `${directory}/${version}/`;
      if (!context.newVersionDirectories.includes(`${directory}/${version}`)) {
        if (state.get(`${directory}/${version}`)?.type !== "dir") problems.push(`${path} lists ${version}, whose directory is missing`);
        continue;
      }
      const expected = [...context.promoted].filter(([candidate, file]) => candidate.startsWith(prefix) && file.type === "file");
      if (expected.length === 0) problems.push(`${path} lists ${version}, which the promoted target does not have`);
      for (const [file, want] of expected) {
        const have = state.get(file);
        if (have === undefined) problems.push(`${path} lists ${version}, but ${file} is missing`);
        else if (!have.data.equals(want.data)) problems.push(`${path} lists ${version}, but ${file} differs`);
      }
    }
    // Integrity: each checksum beside it describes it, except inside the metadata window.
    for (const [extension, algorithm] of Object.entries(CHECKSUMS)) {
      const sidecar = state.get(path + extension);
      if (sidecar === undefined) continue;
      const recorded = sidecar.data.toString("utf8").trim().split(/\s+/)[0]?.toLowerCase();
      if (recorded === createHash(algorithm).update(entry.data).digest("hex")) continue;
      if (context.inMetadataWindow && context.changedMetadata.has(path)) continue;
      problems.push(`${path}${extension} does not match ${path}${context.inMetadataWindow ? " (a file this promotion does not change)" : " outside the metadata window"}`);
    }
  }
  // Recoverability: a file of the original target that is changed or gone has its backup, or
  // rollback could not put it back byte for byte.
  for (const [path, before] of context.original) {
    if (before.type !== "file" || path.startsWith(".maven-promote") || /\.rip(\/|$)/.test(path)) continue;
    if (state.get(path)?.data.equals(before.data) === true) continue;
    const backup = [...state].find(([candidate]) => /^\.maven-promote\/[^/]+\/backup\//.test(candidate) && candidate.endsWith(`/backup/${path}`));
    if (backup === undefined || !backup[1].data.equals(before.data)) problems.push(`${path} has changed, but its backup is ${backup === undefined ? "missing" : "not the original"}`);
  }
  // Recoverability: once a version directory has moved, the journal or log must say the commit
  // began, or resume takes the promotion for one still uploading and rollback keeps the move.
  const moved = context.newVersionDirectories.find((path) => state.get(path)?.type === "dir");
  if (moved !== undefined && !saysAtLeast(state, "committing")) problems.push(`${moved} is in place, but neither the journal nor steps.log says the commit began`);
  // Honesty: a journal or log that says committed means the whole promotion reached the disk.
  if (saysAtLeast(state, "committed")) {
    const promotedVisible = [...context.promoted].filter(([path]) => !path.startsWith(".maven-promote"));
    const differs = promotedVisible.find(([path, want]) => !sameEntry(state.get(path), want)) ?? visible.find(([path]) => !context.promoted.has(path));
    if (differs !== undefined) problems.push(`the journal says committed, but ${differs[0]} is not as promoted`);
  }
  return problems;
}

/** The <version> entries of an artifact's <versions> list. */
export function listedVersions(xml: string): string[] {
  const list = /<versions>([\s\S]*?)<\/versions>/.exec(xml)?.[1] ?? "";
  return [...list.matchAll(/<version>\s*([^<\s]+)\s*<\/version>/g)].map((match) => match[1]!);
}

/** Whether the promotion's journal.json or steps.log records `state` (or `committed`, which comes after `committing`). */
function saysAtLeast(state: Tree, wanted: "committing" | "committed"): boolean {
  const states = wanted === "committing" ? "committing|committed" : "committed";
  for (const [path, entry] of state) {
    if (!/^\.maven-promote\/[^/]+\/(steps\.log|journal\.json)$/.test(path)) continue;
    const text = entry.data.toString("utf8");
    if (path.endsWith("steps.log") && new RegExp(`^state (${states}) `, "m").test(text)) return true;
    if (path.endsWith("journal.json") && new RegExp(`^ {2}"state": "(${states})"`, "m").test(text)) return true;
  }
  return false;
}

function sameEntry(have: { type: string; data: Buffer } | undefined, want: { type: string; data: Buffer }): boolean {
  return have !== undefined && have.type === want.type && (want.type === "dir" || have.data.equals(want.data));
}
