// Checks of the staged files themselves, before the target is consulted: checksums (and the
// ones to generate where the stage has none), signatures, and each POM's coordinates.
import { readFile } from "node:fs/promises";
import { isPromoteError, type Problem } from "../errors.js";
import { parseChecksumFile, formatChecksumFile } from "../integrity/checksum-file.js";
import { type DigestAlgorithm, type DigestResult, CHECKSUM_EXTENSIONS } from "../integrity/digests.js";
import { digestFiles } from "../integrity/digest-pool.js";
import { verifyDetachedSignatureOfFile, type TrustedKeys } from "../integrity/pgp.js";
import { parsePomCoordinates } from "../maven/pom.js";
import { basename, sidecarOf } from "../maven/repository-path.js";
import { mapLimit } from "../util/map-limit.js";
import type { StagedLayout } from "./staging-layout.js";
import type { StagedFile } from "./staging-scan.js";

const IO_CONCURRENCY = 4;
/** Always computed: md5 and sha1 are what Maven writes, sha256 identifies files in the plan. */
const BASE_ALGORITHMS: readonly DigestAlgorithm[] = ["md5", "sha1", "sha256"];

/** One streaming pass per staged file, computing every digest any later step needs. */
export async function digestStagedFiles(
  files: readonly StagedFile[],
  extraAlgorithms: readonly DigestAlgorithm[],
  onProgress?: (loaded: number, total: number) => void,
): Promise<Map<string, DigestResult>> {
  const needsSha512 = extraAlgorithms.includes("sha512") || files.some((file) => file.path.endsWith(CHECKSUM_EXTENSIONS.sha512));
  const algorithms = needsSha512 ? [...BASE_ALGORITHMS, "sha512" as const] : BASE_ALGORITHMS;
  const total = files.reduce((sum, file) => sum + file.size, 0);
  let loaded = 0;
  const results = await digestFiles(
    files.map((file) => file.absolutePath),
    algorithms,
    onProgress === undefined ? undefined : (bytes) => onProgress((loaded += bytes), total),
    files.map((file) => file.size),
  );
  return new Map(files.map((file, index) => [file.path, results[index]!]));
}

export interface GeneratedChecksum {
  path: string;
  /** The file the checksum is of. */
  of: string;
  algorithm: DigestAlgorithm;
  content: string;
}

/** Every staged checksum file must match; artifacts missing md5/sha1 (or `required`) get one. */
export async function checkStagedChecksums(
  layout: StagedLayout,
  digests: Map<string, DigestResult>,
  generate: readonly DigestAlgorithm[],
): Promise<{ problems: Problem[]; generated: GeneratedChecksum[] }> {
  const problems: Problem[] = [];
  const generated: GeneratedChecksum[] = [];
  for (const [of, sidecars] of layout.sidecars) {
    for (const [algorithm, file] of Object.entries(sidecars.checksums) as Array<[DigestAlgorithm, StagedFile]>) {
      const actual = digests.get(of)?.digests[algorithm];
      try {
        const text = digests.get(file.path)?.content ?? (await readFile(file.absolutePath, "latin1"));
        const expected = parseChecksumFile(text, algorithm, file.path);
        if (actual !== expected) {
          problems.push({
            code: "ERR_CHECKSUM_MISMATCH",
            path: of,
            message: `${of}: its ${algorithm} is ${actual} but ${basename(file.path)} says ${expected}`,
          });
        }
      } catch (error) {
        if (!isPromoteError(error)) throw error;
        problems.push({ code: error.code, path: file.path, message: error.message });
      }
    }
  }
  const artifacts = [...layout.versions.values()].flatMap((version) => version.files).filter((file) => sidecarOf(file.path) === undefined);
  for (const file of artifacts) {
    const present = layout.sidecars.get(file.path)?.checksums ?? {};
    for (const algorithm of generate) {
      const digest = digests.get(file.path)?.digests[algorithm];
      if (present[algorithm] === undefined && digest !== undefined) {
        generated.push({ path: file.path + CHECKSUM_EXTENSIONS[algorithm], of: file.path, algorithm, content: formatChecksumFile(digest) });
      }
    }
  }
  return { problems, generated };
}

/** Every staged `.asc` verifies against the trusted keys; with `require`, every artifact has one. */
export async function checkStagedSignatures(
  layout: StagedLayout,
  trustedKeys: TrustedKeys | undefined,
  require: boolean,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  if (require) {
    for (const file of layout.primaries) {
      if (layout.sidecars.get(file.path)?.signature === undefined) {
        problems.push({ code: "ERR_SIGNATURE_MISSING", path: file.path, message: `${file.path}: has no .asc signature (--require-signatures)` });
      }
    }
  }
  if (trustedKeys === undefined) return problems;
  const primaries = new Map(layout.primaries.map((file) => [file.path, file]));
  const signed = [...layout.sidecars].filter(([, sidecars]) => sidecars.signature !== undefined);
  const results = await mapLimit(signed, IO_CONCURRENCY, async ([of, sidecars]): Promise<Problem | undefined> => {
    const signedFile = primaries.get(of) ?? layout.metadata.get(of);
    if (signedFile === undefined) return undefined;
    const signature = await readFile(sidecars.signature!.absolutePath, "latin1");
    const result = await verifyDetachedSignatureOfFile(signedFile.absolutePath, signature, trustedKeys, sidecars.signature!.path);
    return result.ok ? undefined : { code: "ERR_SIGNATURE_INVALID", path: sidecars.signature!.path, message: `${sidecars.signature!.path}: ${result.reason}` };
  });
  return problems.concat(results.filter((problem): problem is Problem => problem !== undefined));
}

/** Each POM's groupId/artifactId/version agree with the directory it is staged in. */
export async function checkStagedPoms(layout: StagedLayout): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const version of layout.versions.values()) {
    const poms = version.files.filter((file) => file.path.endsWith(".pom"));
    if (poms.length === 0) {
      problems.push({ code: "ERR_POM_MISSING", path: version.path, message: `${version.path}: version directory has no POM` });
    }
    for (const pom of poms) {
      try {
        const declared = parsePomCoordinates(await readFile(pom.absolutePath), pom.path);
        const expected = { groupId: version.groupId, artifactId: version.artifactId, version: version.version };
        for (const field of ["groupId", "artifactId", "version"] as const) {
          const value = declared[field];
          if (value === undefined || value.includes("${")) continue; // unresolved property: nothing to compare
          if (value !== expected[field]) {
            problems.push({ code: "ERR_POM_MISMATCH", path: pom.path, message: `${pom.path}: ${field} is "${value}" but its path says "${expected[field]}"` });
          }
        }
      } catch (error) {
        if (!isPromoteError(error)) throw error;
        problems.push({ code: error.code, path: pom.path, message: error.message });
      }
    }
  }
  return problems;
}
