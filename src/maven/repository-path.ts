// Maven repository paths: which names are safe to promote, and what a path means in Maven's
// layout (groupId as directories, then artifactId, then version, then files).
import { algorithmOfChecksumFile, type DigestAlgorithm } from "../integrity/digests.js";

export const METADATA_FILE = "maven-metadata.xml";
export const SIGNATURE_EXTENSION = ".asc";
/** The suffix under which new items are staged on the target (DESIGN.md: `.rip` names). */
export const RIP_SUFFIX = ".rip";

// DESIGN.md: segments of [A-Za-z0-9._+-], `~` where Maven allows it (not first: a leading `~`
// means a home directory to a shell), and never a leading `-` (it reads as an option to mv/ln).
const SAFE_SEGMENT = /^[A-Za-z0-9._+][A-Za-z0-9._+~-]*$/;
const MAX_SEGMENT_LENGTH = 255;
const MAX_PATH_LENGTH = 4096;

/** Why a repository-relative path is not safe to promote, or undefined when it is. */
export function unsafePathReason(path: string): string | undefined {
  if (path === "") return "the path is empty";
  if (path.length > MAX_PATH_LENGTH) return `the path is longer than ${MAX_PATH_LENGTH} characters`;
  if (path.startsWith("/")) return "the path is absolute";
  for (const segment of path.split("/")) {
    if (segment === "") return "the path has an empty segment";
    if (segment === "." || segment === "..") return `the path has a "${segment}" segment`;
    if (segment.length > MAX_SEGMENT_LENGTH) return `a name is longer than ${MAX_SEGMENT_LENGTH} characters`;
    if (/[\u0000-\u001f\u007f]/.test(segment)) return "a name contains control characters";
    if (!SAFE_SEGMENT.test(segment)) return `the name ${quoted(segment)} has characters outside [A-Za-z0-9._+~-]`;
    if (segment.endsWith(RIP_SUFFIX)) return `the name ${quoted(segment)} ends in ${RIP_SUFFIX}, which maven-promote reserves`;
  }
  if (path.split("/")[0] === ".maven-promote") return "the .maven-promote directory is maven-promote's own";
  return undefined;
}

function quoted(segment: string): string {
  const printable = printablePath(segment);
  return printable.startsWith('"') ? printable : JSON.stringify(segment);
}

/**
 * A printable form of a name for messages: anything outside printable ASCII (control
 * characters, newlines, bidi overrides such as U+202E that make a terminal show another name)
 * is shown as a \u escape inside quotes.
 */
export function printablePath(path: string): string {
  if (/^[\x20-\x7e]*$/.test(path)) return path;
  // JSON's escapes (\n, \t, \u0001), and every other non-ASCII code unit as \uXXXX.
  return JSON.stringify(path).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

export function joinPath(...parts: string[]): string {
  return parts.filter((part) => part !== "").join("/");
}

/** What a file beside another file is: a checksum of it, or its signature. */
export type Sidecar = { kind: "checksum"; algorithm: DigestAlgorithm; of: string } | { kind: "signature"; of: string };

export function sidecarOf(path: string): Sidecar | undefined {
  const algorithm = algorithmOfChecksumFile(path);
  if (algorithm !== undefined) return { kind: "checksum", algorithm, of: path.slice(0, path.lastIndexOf(".")) };
  if (path.endsWith(SIGNATURE_EXTENSION) && basename(path) !== SIGNATURE_EXTENSION) {
    return { kind: "signature", of: path.slice(0, -SIGNATURE_EXTENSION.length) };
  }
  return undefined;
}

/** groupId of a directory path: `org/example` → `org.example`. */
export function groupIdOf(directory: string): string {
  return directory.split("/").join(".");
}

/** The coordinates a version directory `g/r/o/u/p/artifactId/version` stands for. */
export interface VersionDirectory {
  path: string;
  groupId: string;
  artifactId: string;
  version: string;
  /** `g/r/o/u/p/artifactId`: where the artifact's maven-metadata.xml lives. */
  artifactPath: string;
}

export function versionDirectoryOf(path: string): VersionDirectory | undefined {
  const segments = path.split("/");
  if (segments.length < 3) return undefined;
  const version = segments[segments.length - 1]!;
  const artifactId = segments[segments.length - 2]!;
  return {
    path,
    groupId: segments.slice(0, -2).join("."),
    artifactId,
    version,
    artifactPath: segments.slice(0, -1).join("/"),
  };
}

/**
 * Whether a file name fits Maven's layout in its version directory:
 * `artifactId-version[-classifier].ext`, where a SNAPSHOT version may be timestamped
 * (`lib-1.0-20261122.101500-3.jar` in `1.0-SNAPSHOT/`).
 */
export function fitsVersionDirectory(fileName: string, directory: VersionDirectory): boolean {
  const { artifactId, version } = directory;
  if (fileName.startsWith(`${artifactId}-${version}`)) return true;
  if (version.endsWith("-SNAPSHOT")) {
    const base = version.slice(0, -"SNAPSHOT".length);
    return new RegExp(`^${escapeRegExp(`${artifactId}-${base}`)}\\d{8}\\.\\d{6}-\\d+`).test(fileName);
  }
  return false;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
