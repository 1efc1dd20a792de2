// Sorts the staged files into Maven's layout: metadata files, version directories with their
// artifact files, and the checksum and signature files that stand beside them.
import type { Problem } from "../errors.js";
import type { DigestAlgorithm } from "../integrity/digests.js";
import {
  METADATA_FILE,
  basename,
  dirname,
  fitsVersionDirectory,
  sidecarOf,
  versionDirectoryOf,
  type VersionDirectory,
} from "../maven/repository-path.js";
import type { StagedFile } from "./staging-scan.js";

export interface Sidecars {
  checksums: Partial<Record<DigestAlgorithm, StagedFile>>;
  signature?: StagedFile;
}

export interface StagedVersion extends VersionDirectory {
  /** Every staged file in the directory: artifacts, checksums, signatures. */
  files: StagedFile[];
}

export interface StagedLayout {
  /** Every maven-metadata.xml, by path. */
  metadata: Map<string, StagedFile>;
  /** Files that are neither metadata nor a checksum/signature of another file. */
  primaries: StagedFile[];
  /** Checksum and signature files by the path of the file they belong to. */
  sidecars: Map<string, Sidecars>;
  versions: Map<string, StagedVersion>;
  problems: Problem[];
}

export function classifyStagedFiles(files: readonly StagedFile[]): StagedLayout {
  const byPath = new Map(files.map((file) => [file.path, file]));
  const layout: StagedLayout = { metadata: new Map(), primaries: [], sidecars: new Map(), versions: new Map(), problems: [] };
  const stray = (file: StagedFile, why: string): void => {
    layout.problems.push({ code: "ERR_STRAY_FILE", path: file.path, message: `${file.path}: ${why}` });
  };

  for (const file of files) {
    const sidecar = sidecarOf(file.path);
    if (sidecar !== undefined && byPath.has(sidecar.of)) {
      const entry = layout.sidecars.get(sidecar.of) ?? { checksums: {} };
      if (sidecar.kind === "checksum") entry.checksums[sidecar.algorithm] = file;
      else entry.signature = file;
      layout.sidecars.set(sidecar.of, entry);
      continue;
    }
    if (sidecar !== undefined) {
      stray(file, `is a ${sidecar.kind} of ${basename(sidecar.of)}, which is not staged`);
      continue;
    }
    const name = basename(file.path);
    if (name === METADATA_FILE) {
      layout.metadata.set(file.path, file);
      continue;
    }
    if (/^maven-metadata-.+\.xml$/.test(name)) {
      stray(file, "is a local-repository file; stage the release with `mvn deploy`, not `mvn install`");
      continue;
    }
    const directory = versionDirectoryOf(dirname(file.path));
    if (directory === undefined || !fitsVersionDirectory(name, directory)) {
      stray(file, "is not in Maven's layout (groupId/artifactId/version/artifactId-version[-classifier].ext)");
      continue;
    }
    layout.primaries.push(file);
    const version = layout.versions.get(directory.path) ?? { ...directory, files: [] };
    layout.versions.set(directory.path, version);
  }

  // A version directory holds its primaries and everything beside them.
  for (const file of files) {
    const version = layout.versions.get(dirname(file.path));
    if (version !== undefined && !layout.metadata.has(file.path) && !isMetadataSidecar(file.path)) version.files.push(file);
  }
  return layout;
}

function isMetadataSidecar(path: string): boolean {
  const sidecar = sidecarOf(path);
  return sidecar !== undefined && (basename(sidecar.of) === METADATA_FILE || isMetadataSidecar(sidecar.of));
}
