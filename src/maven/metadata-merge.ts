// Merging a staged maven-metadata.xml into the target's, by the rules in shared/METADATA.md.
// Two modes:
//   computed (default): versions are a set in Maven order, release/latest recomputed with
//                       ComparableVersion, lastUpdated = the promotion's start time.
//   maven:              Maven 3.9's Metadata.merge(source) exactly (metadata.mdo), receiver =
//                       target, for users who need what Maven itself would write.
import { PromoteError } from "../errors.js";
import { isSnapshotVersion, maxVersion, sortVersions } from "./comparable-version.js";
import { modelVersionOf, type Metadata, type MetadataDocument, type Plugin, type Snapshot, type SnapshotVersion, type Versioning } from "./metadata.js";
import { writeMetadata } from "./metadata-write.js";
import { element, escapeXmlAttribute, type XmlElement } from "./xml-tree.js";

export type MetadataMode = "computed" | "maven";
export const METADATA_MODES: readonly MetadataMode[] = ["computed", "maven"];

export interface MergeInput {
  target: MetadataDocument | undefined;
  staged: MetadataDocument;
  mode: MetadataMode;
  /** The promotion's start time, UTC yyyyMMddHHmmss (used by the computed mode). */
  lastUpdated: string;
}

export interface BeforeAfter {
  before: string | null;
  after: string | null;
}

export interface MergeResult {
  metadata: Metadata;
  xml: string;
  /** Versions the merge adds to `<versions>`, ascending in Maven order. */
  versionsAdded: string[];
  pluginsAdded: Plugin[];
  latest: BeforeAfter;
  release: BeforeAfter;
  /** A release was added but `release` did not move up to it. */
  backport: boolean;
  warnings: string[];
}

export function mergeMetadataDocuments({ target, staged, mode, lastUpdated }: MergeInput): MergeResult {
  if (target !== undefined) checkSameCoordinates(target, staged);
  const warnings: string[] = [];
  const metadata =
    mode === "maven"
      ? mavenMerge(clone(target?.metadata), clone(staged.metadata))
      : computedMerge(target?.metadata, staged.metadata, lastUpdated, staged.path, warnings);
  const xml =
    mode === "maven"
      ? writeMetadata({ metadata, base: modelOnlyRoot(target ?? staged) })
      : writeMetadata({ metadata, base: target?.tree ?? staged.tree, donor: target === undefined ? undefined : staged.tree });

  const before = target?.metadata.versioning;
  const after = metadata.versioning;
  const listed = new Set(before?.versions ?? []);
  const versionsAdded = sortVersions((after?.versions ?? []).filter((version) => !listed.has(version)));
  const release = { before: before?.release ?? null, after: after?.release ?? null };
  const addedRelease = versionsAdded.some((version) => !isSnapshotVersion(version));
  return {
    metadata,
    xml,
    versionsAdded,
    pluginsAdded: metadata.plugins.slice(target?.metadata.plugins.length ?? 0),
    latest: { before: before?.latest ?? null, after: after?.latest ?? null },
    release,
    backport: addedRelease && release.after !== null && !versionsAdded.includes(release.after),
    warnings,
  };
}

/** METADATA.md rule 1: both files must describe the same groupId, artifactId and version. */
function checkSameCoordinates(target: MetadataDocument, staged: MetadataDocument): void {
  for (const field of ["groupId", "artifactId", "version"] as const) {
    const targetValue = target.metadata[field];
    const stagedValue = staged.metadata[field];
    // Old artifact-level files carry a <version> of some past deploy; only snapshot files must agree on it.
    if (field === "version" && !(targetValue !== undefined && isSnapshotVersion(targetValue))) continue;
    if (targetValue !== undefined && stagedValue !== undefined && targetValue !== stagedValue) {
      throw new PromoteError(
        "ERR_METADATA_MISMATCH",
        `staged ${staged.path} has ${field} "${stagedValue}" but the target's ${target.path} has "${targetValue}"`,
        { path: staged.path },
      );
    }
  }
}

// --- computed mode ---------------------------------------------------------------------------

function computedMerge(target: Metadata | undefined, staged: Metadata, lastUpdated: string, stagedPath: string, warnings: string[]): Metadata {
  const merged: Metadata = {
    ...definedFields({ groupId: target?.groupId ?? staged.groupId, artifactId: target?.artifactId ?? staged.artifactId, version: target?.version ?? staged.version }),
    plugins: mergePlugins(target?.plugins ?? [], staged.plugins, stagedPath, warnings),
  };
  if (target?.versioning !== undefined || staged.versioning !== undefined) {
    merged.versioning = computedVersioning(target?.versioning, staged.versioning, lastUpdated);
  }
  return merged;
}

function computedVersioning(target: Versioning | undefined, staged: Versioning | undefined, lastUpdated: string): Versioning {
  const listed = new Set(target?.versions ?? []);
  const added = sortVersions([...new Set(staged?.versions ?? [])].filter((version) => !listed.has(version)));
  const versions = [...(target?.versions ?? []), ...added];
  const snapshot = newerSnapshot(target?.snapshot, staged?.snapshot);
  const result: Versioning = {
    versions,
    lastUpdated,
    snapshotVersions: mergeSnapshotVersions(target?.snapshotVersions ?? [], staged?.snapshotVersions ?? []),
    ...(snapshot === undefined ? {} : { snapshot }),
  };
  if (versions.length > 0) {
    // METADATA.md rule 3: computed from the merged list, never last-writer-wins.
    const latest = maxVersion(versions);
    const release = maxVersion(versions, (version) => !isSnapshotVersion(version));
    if (latest !== undefined) result.latest = latest;
    if (release !== undefined) result.release = release;
  } else {
    // A snapshot version's own file lists no versions: keep what it says.
    const latest = target?.latest ?? staged?.latest;
    const release = target?.release ?? staged?.release;
    if (latest !== undefined) result.latest = latest;
    if (release !== undefined) result.release = release;
  }
  return result;
}

/** Rule 5: the target's entries, then staged plugins whose prefix is new. */
function mergePlugins(target: Plugin[], staged: Plugin[], stagedPath: string, warnings: string[]): Plugin[] {
  const merged: Plugin[] = [];
  const byPrefix = new Map<string, Plugin>();
  for (const plugin of [...target, ...staged]) {
    const existing = byPrefix.get(plugin.prefix);
    if (existing === undefined) {
      byPrefix.set(plugin.prefix, plugin);
      merged.push(plugin);
    } else if (existing.artifactId !== plugin.artifactId) {
      if (target.includes(plugin)) {
        warnings.push(`the target maps prefix "${plugin.prefix}" to both ${existing.artifactId} and ${plugin.artifactId}; both entries are kept`);
        merged.push(plugin);
      } else {
        throw new PromoteError(
          "ERR_PLUGIN_PREFIX_CONFLICT",
          `${stagedPath}: plugin prefix "${plugin.prefix}" is ${plugin.artifactId} here but ${existing.artifactId} on the target`,
          { path: stagedPath },
        );
      }
    } else if (target.includes(plugin) && target.includes(existing)) {
      warnings.push(`the target lists plugin prefix "${plugin.prefix}" (${plugin.artifactId}) twice; kept once`);
    }
  }
  return merged;
}

/** Rule 6: the newer snapshot wins, by timestamp and then build number. */
function newerSnapshot(target: Snapshot | undefined, staged: Snapshot | undefined): Snapshot | undefined {
  if (target === undefined || staged === undefined) return staged ?? target;
  const stagedTime = staged.timestamp ?? "";
  const targetTime = target.timestamp ?? "";
  if (stagedTime !== targetTime) return stagedTime > targetTime ? staged : target;
  return (staged.buildNumber ?? 0) >= (target.buildNumber ?? 0) ? staged : target;
}

/** Rule 6: merge by classifier:extension, the newer `updated` winning per key (ties: staged). */
function mergeSnapshotVersions(target: SnapshotVersion[], staged: SnapshotVersion[]): SnapshotVersion[] {
  const merged = new Map<string, SnapshotVersion>();
  for (const entry of target) merged.set(snapshotKey(entry), entry);
  for (const entry of staged) {
    const existing = merged.get(snapshotKey(entry));
    if (existing === undefined || (entry.updated ?? "") >= (existing.updated ?? "")) merged.set(snapshotKey(entry), entry);
  }
  return [...merged.values()];
}

function snapshotKey(entry: SnapshotVersion): string {
  return `${entry.classifier}:${entry.extension}`;
}

// --- maven mode: Metadata.merge from Maven 3.9's metadata.mdo, line by line ------------------

function mavenMerge(receiver: Metadata | undefined, source: Metadata): Metadata {
  if (receiver === undefined) return source; // nothing on the target: Maven writes the staged file as it is
  for (const plugin of source.plugins) {
    if (!receiver.plugins.some((existing) => existing.prefix === plugin.prefix)) {
      receiver.plugins.push({ ...definedFields({ name: plugin.name }), prefix: plugin.prefix, artifactId: plugin.artifactId });
    }
  }
  const versioning = source.versioning;
  if (versioning === undefined) return receiver;
  const v = (receiver.versioning ??= { versions: [], snapshotVersions: [] });
  for (const version of versioning.versions) if (!v.versions.includes(version)) v.versions.push(version);
  if (versioning.lastUpdated === "null") delete versioning.lastUpdated;
  if (v.lastUpdated === "null") delete v.lastUpdated;
  // "this should only be for historical reasons - we assume local is newer"
  if (!versioning.lastUpdated) setOptional(versioning, "lastUpdated", v.lastUpdated);
  if (!v.lastUpdated || (versioning.lastUpdated ?? "") >= v.lastUpdated) {
    setOptional(v, "lastUpdated", versioning.lastUpdated);
    if (versioning.release !== undefined) v.release = versioning.release;
    if (versioning.latest !== undefined) v.latest = versioning.latest;
    const snapshot = versioning.snapshot;
    if (snapshot !== undefined) {
      let updateSnapshotVersions = false;
      if (v.snapshot === undefined) {
        v.snapshot = {};
        updateSnapshotVersions = true;
      }
      const s = v.snapshot;
      if (s.timestamp !== snapshot.timestamp) {
        setOptional(s, "timestamp", snapshot.timestamp);
        updateSnapshotVersions = true;
      }
      if ((s.buildNumber ?? 0) !== (snapshot.buildNumber ?? 0)) setOptional(s, "buildNumber", snapshot.buildNumber);
      if ((s.localCopy ?? false) !== (snapshot.localCopy ?? false)) setOptional(s, "localCopy", snapshot.localCopy);
      // As in 3.9: only when the receiver already has snapshotVersions are they re-keyed,
      // source entries first, then the receiver's entries whose key the source lacks.
      if (updateSnapshotVersions && v.snapshotVersions.length > 0) {
        const versions = new Map<string, SnapshotVersion>();
        for (const entry of versioning.snapshotVersions) versions.set(snapshotKey(entry), entry);
        if (versions.size > 0) {
          for (const entry of v.snapshotVersions) if (!versions.has(snapshotKey(entry))) versions.set(snapshotKey(entry), entry);
        }
        v.snapshotVersions = [...versions.values()];
      }
    }
  }
  return receiver;
}

/** Maven's writer writes only its model: the root keeps just its modelVersion attribute. */
function modelOnlyRoot(document: MetadataDocument): XmlElement {
  const modelVersion = modelVersionOf(document);
  return element("metadata", [], modelVersion === undefined ? [] : [["modelVersion", escapeXmlAttribute(modelVersion)]]);
}

function setOptional<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) delete target[key];
  else target[key] = value;
}

function definedFields<T extends Record<string, string | undefined>>(fields: T): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<Record<keyof T, string>>;
}

function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}
