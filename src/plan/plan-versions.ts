// Planning the version directories: what is new, what is already on the target byte for byte,
// and what would break release immutability (DESIGN.md invariant 4).
import type { Problem } from "../errors.js";
import type { DigestResult } from "../integrity/digests.js";
import { isSnapshotVersion } from "../maven/comparable-version.js";
import { basename, sidecarOf } from "../maven/repository-path.js";
import type { Transport } from "../transport/transport.js";
import type { GeneratedChecksum } from "./check-staged.js";
import type { UploadPlan, VersionPlan } from "./plan-types.js";
import type { StagedLayout, StagedVersion } from "./staging-layout.js";
import type { StagedFile } from "./staging-scan.js";

export interface VersionPlanningResult {
  versions: VersionPlan[];
  uploads: UploadPlan[];
  skipped: Array<{ path: string; reason: string }>;
  problems: Problem[];
}

export async function planVersions(
  layout: StagedLayout,
  digests: Map<string, DigestResult>,
  generated: readonly GeneratedChecksum[],
  target: Transport,
): Promise<VersionPlanningResult> {
  const result: VersionPlanningResult = { versions: [], uploads: [], skipped: [], problems: [] };
  for (const version of [...layout.versions.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const snapshot = isSnapshotVersion(version.version);
    const existing = (await target.stat(version.path))?.type;
    const generatedHere = generated.filter((checksum) => version.files.some((file) => file.path === checksum.of));
    if (existing === undefined) {
      addVersion(result, version, snapshot, "new", version.files, generatedHere, digests);
      continue;
    }
    if (existing !== "directory") {
      result.problems.push({ code: "ERR_RELEASE_EXISTS", path: version.path, message: `${version.path}: exists on the target and is not a directory` });
      continue;
    }
    const differing: StagedFile[] = [];
    for (const file of version.files) {
      const onTarget = await target.digest(file.path, ["sha256"]);
      const same = onTarget !== undefined && onTarget.size === file.size && onTarget.digests.sha256 === digests.get(file.path)?.digests.sha256;
      if (same) result.skipped.push({ path: file.path, reason: "identical on the target" });
      else differing.push(file);
    }
    if (!snapshot) {
      if (differing.length > 0) {
        const example = differing.map((file) => basename(file.path)).slice(0, 3).join(", ");
        result.problems.push({
          code: "ERR_RELEASE_EXISTS",
          path: version.path,
          message: `${version.path}: release ${version.groupId}:${version.artifactId}:${version.version} is already on the target and ${differing.length} staged file(s) differ or are new there (${example})`,
        });
      } else {
        addVersion(result, version, snapshot, "identical", [], [], digests);
      }
      continue;
    }
    // A SNAPSHOT directory gains new timestamped files; a changed file is replaced in one rename.
    const missingChecksums: GeneratedChecksum[] = [];
    for (const checksum of generatedHere) {
      if (differing.some((file) => file.path === checksum.of) || (await target.stat(checksum.path)) === undefined) missingChecksums.push(checksum);
    }
    addVersion(result, version, snapshot, "update", differing, missingChecksums, digests);
    for (const upload of result.uploads) {
      if (differing.some((file) => file.path === upload.path) && (await target.stat(upload.path)) !== undefined) upload.replaces = true;
    }
  }
  return result;
}

function addVersion(
  result: VersionPlanningResult,
  version: StagedVersion,
  snapshot: boolean,
  state: VersionPlan["state"],
  files: readonly StagedFile[],
  generated: readonly GeneratedChecksum[],
  digests: Map<string, DigestResult>,
): void {
  const uploads: UploadPlan[] = [
    ...files.map((file): UploadPlan => {
      const sidecar = sidecarOf(file.path);
      const sha256 = digests.get(file.path)?.digests.sha256;
      return {
        path: file.path,
        size: file.size,
        kind: sidecar === undefined ? "artifact" : sidecar.kind,
        origin: "staged",
        localPath: file.absolutePath,
        ...(sha256 === undefined ? {} : { sha256 }),
      };
    }),
    ...generated.map((checksum): UploadPlan => ({
      path: checksum.path,
      size: Buffer.byteLength(checksum.content),
      kind: "checksum",
      origin: "generated",
      content: checksum.content,
    })),
  ].sort((a, b) => (a.path < b.path ? -1 : 1));
  result.uploads.push(...uploads);
  result.versions.push({
    path: version.path,
    groupId: version.groupId,
    artifactId: version.artifactId,
    version: version.version,
    snapshot,
    state,
    files: uploads.length,
    size: uploads.reduce((total, upload) => total + upload.size, 0),
  });
}
