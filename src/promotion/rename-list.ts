// The rename list: the ordered steps that make a promotion live (DESIGN.md, "Commit: the rename
// list"). It is data, built from the plan with no I/O; the shell script in templates/ is one
// rendering of it and the transport executor another, and both give the same tree.
//
// The order is the whole point:
//   1. state committing
//   2. back up every target file the commit replaces or removes (metadata, its checksums,
//      its signature, a SNAPSHOT file that is replaced)
//   3. move each new version directory (or each new file of a SNAPSHOT) into place, so that
//      everything metadata will point at exists before any metadata changes
//   4. for each metadata group, deepest first: remove a stale .asc, then the checksums and the
//      new .asc, then maven-metadata.xml itself, back to back (the window clients can see
//      out of step is measured between the two marks)
//   5. state committed
// with three barriers (DESIGN.md invariant 9): after 2, the `committing` line and the backups
// are made durable before the first move; after 3, everything the metadata will point at before
// the first metadata flip; and after 4, the flips before `committed` is recorded, so that after
// a power loss no metadata can list a version whose rename was lost, and recovery never finds a
// move without the record and the backups it needs to finish or undo it.
import { CHECKSUM_EXTENSIONS } from "../integrity/digests.js";
import { RIP_SUFFIX, SIGNATURE_EXTENSION, dirname } from "../maven/repository-path.js";
import type { MetadataPlan, Plan } from "../plan/plan-types.js";

export type RenameStep =
  | { op: "state"; state: "committing" | "committed" }
  /** Hard-link (or copy) `path` into the backup directory, if it exists on the target. */
  | { op: "backup"; path: string }
  /** A new version directory: `to` must not exist. */
  | { op: "move-dir"; from: string; to: string }
  /** A file: with replace, an existing `to` is replaced in one atomic rename. */
  | { op: "move-file"; from: string; to: string; replace: boolean }
  /** Removes a target file (a signature that would be stale). */
  | { op: "remove"; path: string }
  /**
   * A durability barrier: every rename and write before it reaches the disk before any step
   * after it. `paths` are the files and directories to fsync (the shell syncs the whole file
   * system instead).
   */
  | { op: "sync"; label: "backups" | "versions" | "metadata"; paths: string[] }
  /**
   * Timestamps: around step 4 as a whole, and around each metadata group (from just before its
   * first rename to just after its maven-metadata.xml rename: the window a client can see the
   * file and its checksums out of step).
   */
  | { op: "mark"; label: "metadata-start" | "metadata-end" }
  | { op: "mark"; label: "group-start" | "group-end"; path: string };

/** Where a promotion keeps its own files on the target. */
export function stateDirectory(id: string, stateRoot = ".maven-promote"): string {
  return `${stateRoot}/${id}`;
}

export function ripName(path: string): string {
  return path + RIP_SUFFIX;
}

/** Every item a promotion stages on the target, under its .rip name (what the bundle holds). */
export interface StagedItem {
  /** The final path of the file. */
  path: string;
  /** The .rip path it is uploaded to: `dir.rip/file` for a new version, `file.rip` otherwise. */
  ripPath: string;
}

export function stagedItemsOf(plan: Plan): StagedItem[] {
  const newDirectories = new Set(plan.versions.filter((version) => version.state === "new").map((version) => version.path));
  return plan.uploads.map((upload) => {
    const directory = dirname(upload.path);
    const ripPath = newDirectories.has(directory) ? `${ripName(directory)}/${upload.path.slice(directory.length + 1)}` : ripName(upload.path);
    return { path: upload.path, ripPath };
  });
}

export function buildRenameList(plan: Plan): RenameStep[] {
  const steps: RenameStep[] = [{ op: "state", state: "committing" }];
  const changedMetadata = plan.metadata.filter((entry) => entry.changed).sort((a, b) => depth(b.path) - depth(a.path) || compare(a.path, b.path));
  const newDirectories = plan.versions.filter((version) => version.state === "new");
  // A set, not a search per upload: 3,000 artifacts made that 135 million comparisons (issue 18).
  const newPaths = new Set(newDirectories.map((version) => version.path));
  const snapshotFiles = plan.uploads.filter((upload) => upload.origin !== "merged" && !newPaths.has(dirname(upload.path)));

  // 2. Backups: everything of the target's that step 3 or 4 replaces or removes.
  for (const upload of snapshotFiles) if (upload.replaces) steps.push({ op: "backup", path: upload.path });
  for (const entry of changedMetadata) {
    if (!entry.targetExists) continue;
    steps.push({ op: "backup", path: entry.path });
    for (const extension of Object.values(CHECKSUM_EXTENSIONS)) steps.push({ op: "backup", path: entry.path + extension });
    steps.push({ op: "backup", path: entry.path + SIGNATURE_EXTENSION });
  }

  // Barrier: the log's `committing` line and the backups on disk before the first move. Else a
  // power cut can keep a move and lose them (test/integration/power-cut.test.ts): resume would
  // take the promotion for one still uploading and upload the moved version again, rollback
  // would leave the moved version in place, and a replaced SNAPSHOT file would have no backup.
  const state = stateDirectory(plan.id);
  const backups = steps.flatMap((step) => (step.op === "backup" ? [`${state}/backup/${step.path}`] : []));
  steps.push({ op: "sync", label: "backups", paths: withParents([`${state}/steps.log`, ...backups]) });

  // 3. Everything the new metadata will point at.
  for (const version of newDirectories) steps.push({ op: "move-dir", from: ripName(version.path), to: version.path });
  for (const upload of snapshotFiles) steps.push({ op: "move-file", from: ripName(upload.path), to: upload.path, replace: upload.replaces === true });

  // Barrier: the versions' files, their directories and the backups on disk before any flip.
  const versionFiles = plan.uploads.filter((upload) => upload.origin !== "merged").map((upload) => upload.path);
  steps.push({ op: "sync", label: "versions", paths: withParents([...versionFiles, ...newDirectories.map((version) => version.path), ...backups]) });

  // 4. Metadata groups, deepest first (a SNAPSHOT's own file before its artifact's).
  steps.push({ op: "mark", label: "metadata-start" });
  for (const entry of changedMetadata) {
    steps.push({ op: "mark", label: "group-start", path: entry.path });
    if (entry.signature === "remove") steps.push({ op: "remove", path: entry.path + SIGNATURE_EXTENSION });
    for (const path of sidecarsOf(entry)) steps.push({ op: "move-file", from: ripName(path), to: path, replace: true });
    steps.push({ op: "move-file", from: ripName(entry.path), to: entry.path, replace: true });
    steps.push({ op: "mark", label: "group-end", path: entry.path });
  }
  steps.push({ op: "mark", label: "metadata-end" });
  // Barrier: the flips on disk before the journal may say committed.
  steps.push({ op: "sync", label: "metadata", paths: withParents(changedMetadata.flatMap((entry) => [...sidecarsOf(entry), entry.path])) });
  steps.push({ op: "state", state: "committed" });
  return steps;
}

/** The checksum files (and the new signature) that go into place before a metadata file. */
function sidecarsOf(entry: MetadataPlan): string[] {
  const sidecars = entry.checksums.map((algorithm) => entry.path + CHECKSUM_EXTENSIONS[algorithm]);
  if (entry.signature === "sign") sidecars.push(entry.path + SIGNATURE_EXTENSION);
  return sidecars;
}

/** The paths, each directory holding one of them, sorted and without repeats. */
function withParents(paths: readonly string[]): string[] {
  const all = new Set<string>();
  for (const path of paths) {
    all.add(path);
    all.add(dirname(path));
  }
  all.delete("");
  return [...all].sort(compare);
}

function depth(path: string): number {
  return path.split("/").length;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
