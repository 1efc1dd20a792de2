// The release the benchmark promotes: N artifacts of org.bench, each a pom, a jar, sources and
// javadoc with .md5 and .sha1 beside them, and the artifact's maven-metadata.xml (15 files an
// artifact). The bytes are deterministic and incompressible, as real jars are (AES-CTR of zeros).
import { createCipheriv, createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Release {
  directory: string;
  artifacts: number;
  files: number;
  bytes: number;
}

/** Sizes in KiB: they vary by artifact (±50 %) around these, so no two files are alike. */
const SIZES_KIB = { jar: 256, sources: 128, javadoc: 64 };

/** `version`: another one than 1.0.0 makes the next release of the same artifacts (a target holding 1.0.0 has their metadata). */
export function writeRelease(directory: string, artifacts: number, scale = 1, version = "1.0.0"): Release {
  const release: Release = { directory, artifacts, files: 0, bytes: 0 };
  const put = (path: string, content: Buffer): void => {
    writeFileSync(path, content);
    writeFileSync(`${path}.md5`, createHash("md5").update(content).digest("hex"));
    writeFileSync(`${path}.sha1`, createHash("sha1").update(content).digest("hex"));
    release.files += 3;
    release.bytes += content.length;
  };
  for (let index = 0; index < artifacts; index++) {
    const artifactId = `lib${String(index).padStart(4, "0")}`;
    const versionDirectory = join(directory, "org/bench", artifactId, version);
    mkdirSync(versionDirectory, { recursive: true });
    const base = join(versionDirectory, `${artifactId}-${version}`);
    const factor = (0.5 + ((index * 7919) % 1000) / 1000) * scale;
    put(`${base}.pom`, Buffer.from(pom(artifactId, version)));
    put(`${base}.jar`, noise(`${artifactId}.jar`, Math.round(SIZES_KIB.jar * 1024 * factor)));
    put(`${base}-sources.jar`, noise(`${artifactId}-sources`, Math.round(SIZES_KIB.sources * 1024 * factor)));
    put(`${base}-javadoc.jar`, noise(`${artifactId}-javadoc`, Math.round(SIZES_KIB.javadoc * 1024 * factor)));
    put(join(directory, "org/bench", artifactId, "maven-metadata.xml"), Buffer.from(metadata(artifactId, version)));
  }
  return release;
}

function noise(seed: string, bytes: number): Buffer {
  const key = createHash("sha256").update(seed).digest().subarray(0, 16);
  return createCipheriv("aes-128-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(bytes));
}

/**
 * A target that already holds `artifacts` other artifacts of the same group (org.bench:oldNNNN:0.9.0,
 * a pom and a small jar each, with checksums and metadata): the release promoted into it touches
 * none of them, so it should cost what an empty target costs (issue 9).
 */
export function writeExistingRepository(directory: string, artifacts: number): void {
  const put = (path: string, content: Buffer): void => {
    writeFileSync(path, content);
    writeFileSync(`${path}.md5`, createHash("md5").update(content).digest("hex"));
    writeFileSync(`${path}.sha1`, createHash("sha1").update(content).digest("hex"));
  };
  for (let index = 0; index < artifacts; index++) {
    const artifactId = `old${String(index).padStart(5, "0")}`;
    const versionDirectory = join(directory, "org/bench", artifactId, "0.9.0");
    mkdirSync(versionDirectory, { recursive: true });
    const base = join(versionDirectory, `${artifactId}-0.9.0`);
    put(`${base}.pom`, Buffer.from(pom(artifactId, "0.9.0")));
    put(`${base}.jar`, noise(`${artifactId}.jar`, 4096));
    put(join(directory, "org/bench", artifactId, "maven-metadata.xml"), Buffer.from(metadata(artifactId, "0.9.0")));
  }
}

function pom(artifactId: string, version = "1.0.0"): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.bench</groupId>
  <artifactId>${artifactId}</artifactId>
  <version>${version}</version>
</project>
`;
}

function metadata(artifactId: string, version = "1.0.0"): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>org.bench</groupId>
  <artifactId>${artifactId}</artifactId>
  <versioning>
    <latest>${version}</latest>
    <release>${version}</release>
    <versions>
      <version>${version}</version>
    </versions>
    <lastUpdated>20261202120000</lastUpdated>
  </versioning>
</metadata>
`;
}
