// Planning the metadata part of a promotion: for each maven-metadata.xml the promotion touches,
// read the target's copy, merge, and decide its checksums and signature.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isPromoteError, PromoteError, type Problem } from "../errors.js";
import { parseChecksumFile } from "../integrity/checksum-file.js";
import { ALL_ALGORITHMS, CHECKSUM_EXTENSIONS, digestBytes, type DigestAlgorithm } from "../integrity/digests.js";
import type { Signer } from "../integrity/pgp.js";
import { isSnapshotVersion } from "../maven/comparable-version.js";
import { mergeMetadataDocuments, type MetadataMode } from "../maven/metadata-merge.js";
import { parseMetadata, type Metadata, type MetadataDocument, type MetadataKind } from "../maven/metadata.js";
import { METADATA_FILE, SIGNATURE_EXTENSION, dirname, groupIdOf, joinPath, unsafePathReason } from "../maven/repository-path.js";
import { element } from "../maven/xml-tree.js";
import type { Transport } from "../transport/transport.js";
import type { MetadataPlan, Warning } from "./plan-types.js";
import type { StagedLayout, StagedVersion } from "./staging-layout.js";

export interface MetadataPlanningInput {
  layout: StagedLayout;
  target: Transport;
  mode: MetadataMode;
  lastUpdated: string;
  /** Checksums always written beside merged metadata, besides those the target already has. */
  checksums: readonly DigestAlgorithm[];
  signer: Signer | undefined;
  requireMetadataSignatures: boolean;
  maxMetadataBytes: number;
}

export interface MetadataPlanningResult {
  metadata: MetadataPlan[];
  problems: Problem[];
  warnings: Warning[];
  removals: string[];
}

export async function planMetadata(input: MetadataPlanningInput): Promise<MetadataPlanningResult> {
  const result: MetadataPlanningResult = { metadata: [], problems: [], warnings: [], removals: [] };
  // Indexed once: a filter over every version per metadata file made planning quadratic
  // (12 s of 39 at 10,000 artifacts).
  const versionsByArtifact = new Map<string, StagedVersion[]>();
  for (const version of input.layout.versions.values()) {
    const versions = versionsByArtifact.get(version.artifactPath);
    if (versions === undefined) versionsByArtifact.set(version.artifactPath, [version]);
    else versions.push(version);
  }
  for (const path of metadataPathsOf(input.layout)) {
    try {
      const plan = await planOneMetadataFile(path, versionsByArtifact.get(dirname(path)) ?? [], input, result);
      if (plan !== undefined) result.metadata.push(plan);
    } catch (error) {
      if (!isPromoteError(error)) throw error;
      result.problems.push({ code: error.code, path: error.path ?? path, message: error.message });
    }
  }
  return result;
}

/** Every staged metadata file, plus the artifact-level file of every staged version. */
export function metadataPathsOf(layout: StagedLayout): string[] {
  const paths = new Set(layout.metadata.keys());
  for (const version of layout.versions.values()) paths.add(joinPath(version.artifactPath, METADATA_FILE));
  return [...paths].sort();
}

async function planOneMetadataFile(
  path: string,
  stagedVersions: readonly StagedVersion[],
  input: MetadataPlanningInput,
  result: MetadataPlanningResult,
): Promise<MetadataPlan | undefined> {
  const stagedFile = input.layout.metadata.get(path);
  let staged: MetadataDocument;
  if (stagedFile !== undefined) {
    staged = parseMetadata(await readFile(stagedFile.absolutePath), path, input.maxMetadataBytes);
  } else if (stagedVersions.every((version) => !isSnapshotVersion(version.version))) {
    staged = synthesizeArtifactMetadata(path, input.lastUpdated);
  } else {
    throw new PromoteError("ERR_METADATA_MISSING", `${dirname(path)}: SNAPSHOT versions are staged but ${path} is not`, { path });
  }
  const kind = kindOf(path, staged.metadata);
  checkPathAgrees(staged, kind, "staged");
  checkNamesAreSafe(staged);

  // Every staged version directory is listed, even when the staged file forgot it.
  if (kind === "artifact") {
    const versioning = (staged.metadata.versioning ??= { versions: [], snapshotVersions: [] });
    for (const version of stagedVersions) {
      if (!versioning.versions.includes(version.version)) {
        versioning.versions.push(version.version);
        if (stagedFile !== undefined) result.warnings.push({ path, message: `${path}: does not list staged version ${version.version}; it is added` });
      }
    }
    for (const version of versioning.versions) {
      const staged = stagedVersions.some((candidate) => candidate.version === version);
      if (!staged && (await input.target.stat(joinPath(dirname(path), version)))?.type !== "directory") {
        result.problems.push({
          code: "ERR_VERSION_MISSING",
          path,
          message: `${path}: lists version ${version}, which is neither staged nor on the target`,
        });
      }
    }
  }

  const targetBytes = await readTargetMetadata(input.target, path, input.maxMetadataBytes);
  const target = targetBytes === undefined ? undefined : parseTargetMetadata(targetBytes, path, input.maxMetadataBytes);
  if (target !== undefined) checkPathAgrees(target, kind, "target");
  const sidecars = await targetSidecars(input.target, path);
  if (targetBytes !== undefined) await warnOnStaleTargetChecksums(input.target, path, targetBytes, sidecars, result.warnings);

  const merged = mergeMetadataDocuments({ target, staged, mode: input.mode, lastUpdated: input.lastUpdated });
  for (const warning of merged.warnings) result.warnings.push({ path, message: `${path}: ${warning}` });
  const changed = target === undefined || !sameIgnoringLastUpdated(target.metadata, merged.metadata);

  const checksums = ALL_ALGORITHMS.filter((algorithm) => input.checksums.includes(algorithm) || sidecars.checksums.includes(algorithm));
  const signature = !changed ? "none" : input.signer !== undefined ? "sign" : sidecars.signature ? "remove" : "none";
  if (changed && input.signer === undefined && input.requireMetadataSignatures) {
    result.problems.push({
      code: "ERR_METADATA_SIGNATURE_REQUIRED",
      path,
      message: `${path}: would be written unsigned, and --require-metadata-signatures is set`,
    });
  }
  if (changed && signature === "remove") {
    result.removals.push(path + SIGNATURE_EXTENSION);
    result.warnings.push({ path, message: `${path}${SIGNATURE_EXTENSION}: would be stale after the merge and is removed (give --sign-key to renew it)` });
  }
  if (merged.backport) {
    result.warnings.push({ path, message: `${path}: backport: release stays ${merged.release.after} (adds ${merged.versionsAdded.join(", ")})` });
  }
  const bytes = Buffer.from(merged.xml, "utf8");
  const { size, digests } = await digestBytes(bytes, [...new Set<DigestAlgorithm>([...checksums, "sha256"])]);
  const plan: MetadataPlan = {
    path,
    kind,
    ...coordinatesOf(path, kind, merged.metadata),
    versionsAdded: merged.versionsAdded,
    latest: merged.latest,
    release: merged.release,
    backport: merged.backport,
    pluginsAdded: merged.pluginsAdded.map((plugin) => ({ prefix: plugin.prefix, artifactId: plugin.artifactId, ...(plugin.name ? { name: plugin.name } : {}) })),
    targetExists: target !== undefined,
    targetSha256: targetBytes === undefined ? null : createHash("sha256").update(targetBytes).digest("hex"),
    changed,
    checksums: changed ? checksums : [],
    signature,
    size,
    content: merged.xml,
    digests,
  };
  if (changed && input.signer !== undefined) plan.signatureContent = await input.signer.sign(bytes);
  return plan;
}

/** The target's copy, refused like a staged one when it is too large, but named as the target's. */
async function readTargetMetadata(target: Transport, path: string, maxBytes: number): Promise<Buffer | undefined> {
  const info = await target.stat(path);
  if (info !== undefined && info.size > maxBytes) {
    throw new PromoteError("ERR_METADATA_PARSE", `target ${path}: file is ${info.size} bytes, over the ${maxBytes}-byte limit for XML`, { path });
  }
  return target.readFile(path, maxBytes);
}

function parseTargetMetadata(bytes: Buffer, path: string, maxBytes: number): MetadataDocument {
  try {
    return parseMetadata(bytes, path, maxBytes);
  } catch (error) {
    if (!isPromoteError(error)) throw error;
    // Say which side is broken: the target's file is the one a user must repair.
    throw new PromoteError(error.code, `target ${error.message}`, { path, cause: error });
  }
}

/** A stand-in for a staged artifact whose stage carried no maven-metadata.xml. */
function synthesizeArtifactMetadata(path: string, lastUpdated: string): MetadataDocument {
  const directory = dirname(path);
  const metadata: Metadata = {
    groupId: groupIdOf(dirname(directory)),
    artifactId: directory.slice(directory.lastIndexOf("/") + 1),
    versioning: { versions: [], lastUpdated, snapshotVersions: [] },
    plugins: [],
  };
  return { path, metadata, tree: element("metadata", []) };
}

/** What a file is, judged by its place and content (one file may also hold plugins). */
function kindOf(path: string, metadata: Metadata): MetadataKind {
  const directory = dirname(path);
  const leaf = directory.slice(directory.lastIndexOf("/") + 1);
  if (metadata.version !== undefined && isSnapshotVersion(metadata.version) && leaf === metadata.version) return "snapshot";
  if (metadata.versioning !== undefined) return "artifact";
  return metadata.plugins.length > 0 ? "group" : "artifact";
}

/**
 * Versions and snapshot file names in metadata become paths (a version directory, a file a
 * client will fetch): each must be a name Maven could have staged, never `..` or `$(...)`.
 */
function checkNamesAreSafe(document: MetadataDocument): void {
  const versioning = document.metadata.versioning;
  const names = [
    ...(versioning?.versions ?? []).map((version) => ({ what: "version", name: version })),
    ...(versioning?.snapshotVersions ?? []).flatMap((entry) => [
      { what: "snapshot value", name: entry.value },
      { what: "snapshot extension", name: entry.extension },
      ...(entry.classifier === "" ? [] : [{ what: "snapshot classifier", name: entry.classifier }]),
    ]),
  ];
  for (const { what, name } of names) {
    if (name.includes("/") || unsafePathReason(name) !== undefined) {
      throw new PromoteError("ERR_UNSAFE_PATH", `${document.path}: lists ${what} ${JSON.stringify(name)}, which is not a safe name`, { path: document.path });
    }
  }
}

type Coordinates = Partial<Record<"groupId" | "artifactId" | "version", string>>;

/** The coordinates a metadata file's place in the repository stands for. */
function coordinatesOfPath(path: string, kind: MetadataKind): Coordinates {
  const segments = dirname(path).split("/");
  if (kind === "snapshot") return { groupId: segments.slice(0, -2).join("."), artifactId: segments.at(-2)!, version: segments.at(-1)! };
  if (kind === "artifact") return { groupId: segments.slice(0, -1).join("."), artifactId: segments.at(-1)! };
  return { groupId: segments.join(".") };
}

function coordinatesOf(path: string, kind: MetadataKind, metadata: Metadata): Pick<MetadataPlan, "groupId" | "artifactId" | "version"> {
  const fromPath = coordinatesOfPath(path, kind);
  return {
    groupId: metadata.groupId ?? fromPath.groupId ?? null,
    artifactId: kind === "group" ? null : metadata.artifactId ?? fromPath.artifactId ?? null,
    version: kind === "snapshot" ? metadata.version ?? fromPath.version ?? null : null,
  };
}

/** The groupId/artifactId/version a file names must match the directory it is in. */
function checkPathAgrees(document: MetadataDocument, kind: MetadataKind, side: "staged" | "target"): void {
  const expected = coordinatesOfPath(document.path, kind);
  for (const [field, value] of Object.entries(expected) as Array<["groupId" | "artifactId" | "version", string]>) {
    const declared = document.metadata[field];
    if (declared !== undefined && declared !== value) {
      throw new PromoteError(
        "ERR_METADATA_MISMATCH",
        `${side === "target" ? "target " : ""}${document.path}: ${field} is "${declared}" but its path says "${value}"`,
        { path: document.path },
      );
    }
  }
}

interface TargetSidecars {
  checksums: DigestAlgorithm[];
  signature: boolean;
}

async function targetSidecars(target: Transport, path: string): Promise<TargetSidecars> {
  const checksums: DigestAlgorithm[] = [];
  for (const algorithm of ALL_ALGORITHMS) {
    if ((await target.stat(path + CHECKSUM_EXTENSIONS[algorithm]))?.type === "file") checksums.push(algorithm);
  }
  const signature = (await target.stat(path + SIGNATURE_EXTENSION))?.type === "file";
  return { checksums, signature };
}

async function warnOnStaleTargetChecksums(target: Transport, path: string, bytes: Buffer, sidecars: TargetSidecars, warnings: Warning[]): Promise<void> {
  const { digests } = await digestBytes(bytes, sidecars.checksums);
  for (const algorithm of sidecars.checksums) {
    const checksumPath = path + CHECKSUM_EXTENSIONS[algorithm];
    const text = (await target.readFile(checksumPath, 4096))?.toString("latin1") ?? "";
    let expected: string | undefined;
    try {
      expected = parseChecksumFile(text, algorithm, checksumPath);
    } catch {
      expected = undefined;
    }
    if (expected !== digests[algorithm]) {
      warnings.push({ path: checksumPath, message: `target ${checksumPath}: does not match its file today; the promotion rewrites it` });
    }
  }
}

function sameIgnoringLastUpdated(a: Metadata, b: Metadata): boolean {
  const strip = (metadata: Metadata): unknown => ({
    ...metadata,
    versioning: metadata.versioning === undefined ? undefined : { ...metadata.versioning, lastUpdated: undefined },
  });
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

/** JSON with sorted keys and no undefined members, so that field order does not matter. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).filter(([, v]) => v !== undefined).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : inner,
  );
}
