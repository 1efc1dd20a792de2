// `maven-promote verify`: checks a whole target (or some path prefixes) for the invariants a
// client relies on: every maven-metadata.xml matches each checksum file beside it and its
// signature verifies (given trusted keys), and every version it lists is there with its POM
// (for a SNAPSHOT file: every snapshotVersion it lists).
import { isPromoteError } from "../errors.js";
import { ALL_ALGORITHMS, CHECKSUM_EXTENSIONS, digestBytes } from "../integrity/digests.js";
import { parseChecksumFile } from "../integrity/checksum-file.js";
import { verifyDetachedSignature, type TrustedKeys } from "../integrity/pgp.js";
import { isSnapshotVersion } from "../maven/comparable-version.js";
import { parseMetadata, type MetadataDocument } from "../maven/metadata.js";
import { METADATA_FILE, RIP_SUFFIX, SIGNATURE_EXTENSION, dirname, joinPath, unsafePathReason } from "../maven/repository-path.js";
import type { Transport } from "../transport/transport.js";
import type { PublicExpectation } from "./public-check.js";

export interface RepositoryProblem {
  path: string;
  message: string;
}

export interface VerifyRepositoryResult {
  ok: boolean;
  metadataFiles: number;
  versionsChecked: number;
  problems: RepositoryProblem[];
}

export interface VerifyRepositoryInput {
  target: Transport;
  /** Path prefixes to check; the whole repository when empty. */
  paths?: readonly string[];
  trustedKeys?: TrustedKeys;
  stateRoot?: string;
  /** When given, what users should download of each metadata file (as the target holds it) is added here (verify --public-url). */
  publicExpectations?: PublicExpectation[];
}

export async function verifyRepository(input: VerifyRepositoryInput): Promise<VerifyRepositoryResult> {
  const result: VerifyRepositoryResult = { ok: true, metadataFiles: 0, versionsChecked: 0, problems: [] };
  const roots = input.paths !== undefined && input.paths.length > 0 ? input.paths.map(trimSlashes) : [""];
  for (const root of roots) {
    if ((await input.target.stat(root)) === undefined) {
      result.problems.push({ path: root, message: `${root}: not found on the target` });
      continue;
    }
    for (const path of await findMetadataFiles(input.target, root, input.stateRoot ?? ".maven-promote")) {
      result.metadataFiles++;
      await checkMetadataFile(input, path, result);
    }
  }
  result.ok = result.problems.length === 0;
  return result;
}

async function findMetadataFiles(target: Transport, root: string, stateRoot: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (directory: string): Promise<void> => {
    const entries = await target.list(directory);
    if (entries === undefined) {
      if (basenameOf(directory) === METADATA_FILE) found.push(directory);
      return;
    }
    for (const { name, type } of entries) {
      const path = joinPath(directory, name);
      if (path === stateRoot || name.endsWith(RIP_SUFFIX)) continue; // maven-promote's own, invisible to Maven
      if (name === METADATA_FILE && type === "file") found.push(path);
      else if (type === "directory") await walk(path);
    }
  };
  await walk(root);
  return found;
}

async function checkMetadataFile(input: VerifyRepositoryInput, path: string, result: VerifyRepositoryResult): Promise<void> {
  const problem = (message: string, at = path): void => void result.problems.push({ path: at, message: `${at}: ${message}` });
  const bytes = await input.target.readFile(path, 16 * 1024 * 1024);
  if (bytes === undefined) return;
  const { digests } = await digestBytes(bytes, ALL_ALGORITHMS);
  input.publicExpectations?.push({ path, kind: "metadata", sha256: digests.sha256! });
  let checksums = 0;
  for (const algorithm of ALL_ALGORITHMS) {
    const checksumPath = path + CHECKSUM_EXTENSIONS[algorithm];
    const text = (await input.target.readFile(checksumPath, 4096))?.toString("latin1");
    if (text === undefined) continue;
    checksums++;
    try {
      const checksum = parseChecksumFile(text, algorithm, checksumPath);
      if (checksum !== digests[algorithm]) problem(`does not match ${METADATA_FILE}`, checksumPath);
      input.publicExpectations?.push({ path: checksumPath, kind: "checksum", checksum, of: path });
    } catch (error) {
      problem(isPromoteError(error) ? error.message.replace(`${checksumPath}: `, "") : String(error), checksumPath);
    }
  }
  if (checksums === 0) problem("has no checksum file (.md5 or .sha1)");
  const signature = (await input.target.readFile(path + SIGNATURE_EXTENSION, 1024 * 1024))?.toString("latin1");
  if (signature !== undefined && input.trustedKeys !== undefined) {
    const verified = await verifyDetachedSignature(bytes, signature, input.trustedKeys, path + SIGNATURE_EXTENSION);
    if (!verified.ok) problem(verified.reason, path + SIGNATURE_EXTENSION);
  }

  let document: MetadataDocument;
  try {
    document = parseMetadata(bytes, path);
  } catch (error) {
    problem(isPromoteError(error) ? error.message.replace(`${path}: `, "") : String(error));
    return;
  }
  const directory = dirname(path);
  const { metadata } = document;
  const artifactId = metadata.artifactId ?? basenameOf(directory);
  if (metadata.version !== undefined && basenameOf(directory) === metadata.version) {
    // A SNAPSHOT's own file: every file it lists must exist.
    for (const entry of metadata.versioning?.snapshotVersions ?? []) {
      const name = `${artifactId}-${entry.value}${entry.classifier ? `-${entry.classifier}` : ""}.${entry.extension}`;
      if (name.includes("/") || unsafePathReason(name) !== undefined) {
        problem(`lists snapshot file ${JSON.stringify(name)}, which is not a safe name`);
        continue;
      }
      if ((await input.target.stat(joinPath(directory, name)))?.type !== "file") problem(`lists ${name}, which is missing`);
    }
    await checkSnapshotPom(input.target, directory, artifactId, metadata.version, metadata.versioning, problem);
    return;
  }
  for (const version of metadata.versioning?.versions ?? []) {
    result.versionsChecked++;
    if (version.includes("/") || unsafePathReason(version) !== undefined) {
      problem(`lists version ${JSON.stringify(version)}, which is not a safe directory name`);
      continue;
    }
    const versionDirectory = joinPath(directory, version);
    const names = (await input.target.list(versionDirectory))?.map((entry) => entry.name);
    if (names === undefined) {
      problem(`lists version ${version}, whose directory is missing`);
      continue;
    }
    if (isSnapshotVersion(version)) checkSnapshotVersion(names, version, problem);
    else await checkReleaseVersion(input.target, versionDirectory, names, `${artifactId}-${version}.pom`, version, problem);
  }
}

/** Maven reads a SNAPSHOT's own metadata to find its timestamped files (checked as a metadata file of its own). */
function checkSnapshotVersion(names: readonly string[], version: string, problem: (message: string) => void): void {
  if (!names.includes(METADATA_FILE)) problem(`lists version ${version}, whose ${version}/${METADATA_FILE} (where Maven finds its timestamped files) is missing`);
}

/**
 * Maven resolves a SNAPSHOT's POM first: it must be among the snapshotVersions (Maven 3), or,
 * in a Maven 2 file with only <snapshot>, at the name its timestamp and build number make.
 */
async function checkSnapshotPom(
  target: Transport,
  directory: string,
  artifactId: string,
  version: string,
  versioning: MetadataDocument["metadata"]["versioning"],
  problem: (message: string) => void,
): Promise<void> {
  const listed = versioning?.snapshotVersions ?? [];
  if (listed.length > 0) {
    if (!listed.some((entry) => entry.extension === "pom" && !entry.classifier)) problem("lists no POM among its snapshotVersions");
    return;
  }
  const snapshot = versioning?.snapshot;
  if (snapshot?.timestamp === undefined || snapshot.buildNumber === undefined) return; // a local copy: nothing to resolve by name
  const pom = `${artifactId}-${version.replace(/-SNAPSHOT$/, "")}-${snapshot.timestamp}-${snapshot.buildNumber}.pom`;
  if (unsafePathReason(pom) !== undefined || pom.includes("/")) problem(`names snapshot POM ${JSON.stringify(pom)}, which is not a safe name`);
  else if ((await target.stat(joinPath(directory, pom)))?.type !== "file") problem(`names ${pom} (its <snapshot>), which is missing`);
}

/** Maven downloads a release's `artifactId-version.pom`, and with checksumPolicy=fail its .sha1 or .md5 must match. */
async function checkReleaseVersion(
  target: Transport,
  versionDirectory: string,
  names: readonly string[],
  pom: string,
  version: string,
  problem: (message: string, at?: string) => void,
): Promise<void> {
  if (!names.includes(pom)) {
    problem(`lists version ${version}, whose POM ${pom} is missing`);
    return;
  }
  const pomPath = joinPath(versionDirectory, pom);
  const present = ALL_ALGORITHMS.filter((algorithm) => names.includes(pom + CHECKSUM_EXTENSIONS[algorithm]));
  if (!present.includes("sha1") && !present.includes("md5")) {
    problem(`lists version ${version}, whose POM has no .sha1 or .md5 (Maven fails on that with checksumPolicy=fail)`);
  }
  if (present.length === 0) return;
  const bytes = await target.readFile(pomPath);
  if (bytes === undefined) return; // gone since the listing: reported by the next verify
  const { digests } = await digestBytes(bytes, present);
  for (const algorithm of present) {
    const checksumPath = pomPath + CHECKSUM_EXTENSIONS[algorithm];
    const text = (await target.readFile(checksumPath, 4096))?.toString("latin1");
    if (text === undefined) continue;
    try {
      if (parseChecksumFile(text, algorithm, checksumPath) !== digests[algorithm]) problem(`does not match ${pom}`, checksumPath);
    } catch (error) {
      problem(isPromoteError(error) ? error.message.replace(`${checksumPath}: `, "") : String(error), checksumPath);
    }
  }
}

function basenameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, "");
}
