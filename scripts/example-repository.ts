// Writes a small, real-looking example: a target repository holding two releases of
// org.example:hello and a staging repository holding the next one, with POMs, jars, sources,
// checksums and maven-metadata.xml as `mvn deploy` writes them. Used by `npm run demo`.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const GROUP = "org.example";
const ARTIFACT = "hello";

export interface ExampleRepositories {
  staging: string;
  target: string;
}

export interface ExampleOptions {
  stagedVersion?: string;
  /** More artifacts in the stage (lib0 … libN-1, version 1.0.0), for bigger promotions. */
  extraArtifacts?: number;
  /** Padding in each extra jar, in bytes. */
  extraJarBytes?: number;
}

export function writeExampleRepositories(root: string, options: ExampleOptions = {}): ExampleRepositories {
  const stagedVersion = options.stagedVersion ?? "1.2.0";
  const staging = join(root, "staging");
  const target = join(root, "target");
  for (const version of ["1.0.0", "1.1.0"]) writeRelease(target, ARTIFACT, version);
  writeArtifactMetadata(target, ARTIFACT, ["1.0.0", "1.1.0"], "20260301120000");
  writeRelease(staging, ARTIFACT, stagedVersion);
  writeArtifactMetadata(staging, ARTIFACT, [stagedVersion], "20261122090000");
  for (let index = 0; index < (options.extraArtifacts ?? 0); index++) {
    writeRelease(staging, `lib${index}`, "1.0.0", options.extraJarBytes ?? 0);
    writeArtifactMetadata(staging, `lib${index}`, ["1.0.0"], "20261122090000");
  }
  return { staging, target };
}

function writeRelease(repository: string, artifactId: string, version: string, padding = 0): void {
  const dir = join(repository, ...GROUP.split("."), artifactId, version);
  const base = `${artifactId}-${version}`;
  writeWithChecksums(join(dir, `${base}.pom`), pom(artifactId, version));
  writeWithChecksums(join(dir, `${base}.jar`), fakeJar(`${GROUP}:${artifactId}:${version}`, padding));
  writeWithChecksums(join(dir, `${base}-sources.jar`), fakeJar(`sources of ${artifactId} ${version}`));
}

function writeArtifactMetadata(repository: string, artifactId: string, versions: string[], lastUpdated: string): void {
  const latest = versions[versions.length - 1]!;
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<metadata>",
    `  <groupId>${GROUP}</groupId>`,
    `  <artifactId>${artifactId}</artifactId>`,
    "  <versioning>",
    `    <latest>${latest}</latest>`,
    `    <release>${latest}</release>`,
    "    <versions>",
    ...versions.map((version) => `      <version>${version}</version>`),
    "    </versions>",
    `    <lastUpdated>${lastUpdated}</lastUpdated>`,
    "  </versioning>",
    "</metadata>",
    "",
  ].join("\n");
  writeWithChecksums(join(repository, ...GROUP.split("."), artifactId, "maven-metadata.xml"), xml);
}

function pom(artifactId: string, version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>${GROUP}</groupId>
  <artifactId>${artifactId}</artifactId>
  <version>${version}</version>
  <packaging>jar</packaging>
  <name>Hello</name>
</project>
`;
}

/** An empty zip archive with a comment: a valid (if useless) jar. */
export function fakeJar(comment: string, padding = 0): Buffer {
  const text = Buffer.from(comment, "utf8");
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(text.length, 20);
  return Buffer.concat([noise(padding, text), end, text]);
}

/**
 * Bytes that do not compress (as a real jar's), the same each run for the same seed text: zip
 * readers skip what comes before the end record, so the jar stays a valid, empty archive.
 */
function noise(length: number, seed: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let state = createHash("sha256").update(seed).digest().readUInt32LE(0) || 1;
  for (let offset = 0; offset + 4 <= length; offset += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes.writeUInt32LE(state >>> 0, offset);
  }
  bytes.fill(0, length - (length % 4));
  return bytes;
}

/** Writes a file with its .md5 and .sha1 beside it, as `mvn deploy` does. */
export function writeWithChecksums(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  for (const algorithm of ["md5", "sha1"]) {
    writeFileSync(`${path}.${algorithm}`, createHash(algorithm).update(content).digest("hex"));
  }
}
