// The real-Maven-client harness (test/helpers/maven-client.ts) itself: against repositories built
// here by hand, Debian's mvn must resolve what is right and refuse what is wrong, with
// checksumPolicy=fail, reading maven-metadata.xml for ranges and snapshots, offline from the internet.

import { strict as assert } from "node:assert";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakeJar, writeWithChecksums } from "../../scripts/example-repository.js";
import { mavenAvailable, resolveWithMaven, type ResolveResult } from "../helpers/maven-client.js";
import { verifyRepository } from "../../src/promotion/verify-repository.js";
import { LocalTransport } from "../../src/transport/local-transport.js";

const G = "org.example";

function pom(artifactId: string, version: string, extra = ""): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>${G}</groupId>
  <artifactId>${artifactId}</artifactId>
  <version>${version}</version>
  <packaging>jar</packaging>${extra}
</project>
`;
}

function groupPath(artifactId: string): string {
  return `${G.replace(/\./g, "/")}/${artifactId}`;
}

async function writeRelease(repo: string, artifactId: string, version: string, pomExtra = ""): Promise<void> {
  const dir = `${groupPath(artifactId)}/${version}`;
  writeWithChecksums(join(repo, `${dir}/${artifactId}-${version}.pom`), pom(artifactId, version, pomExtra));
  writeWithChecksums(join(repo, `${dir}/${artifactId}-${version}.jar`), fakeJar(`${artifactId} ${version}`));
}

async function writeArtifactMetadata(repo: string, artifactId: string, versions: string[]): Promise<void> {
  const last = versions[versions.length - 1] as string;
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>${G}</groupId>
  <artifactId>${artifactId}</artifactId>
  <versioning>
    <latest>${last}</latest>
    <release>${last}</release>
    <versions>
${versions.map((v) => `      <version>${v}</version>`).join("\n")}
    </versions>
    <lastUpdated>20240102030405</lastUpdated>
  </versioning>
</metadata>
`;
  writeWithChecksums(join(repo, `${groupPath(artifactId)}/maven-metadata.xml`), xml);
}

/** A timestamped snapshot 1.0-SNAPSHOT with two builds; its metadata points at the second. */
async function writeSnapshot(repo: string, artifactId: string): Promise<{ latest: string }> {
  const dir = `${groupPath(artifactId)}/1.0-SNAPSHOT`;
  const builds = [
    { timestamp: "20240101.000000", buildNumber: 1 },
    { timestamp: "20240102.030405", buildNumber: 2 },
  ];
  for (const b of builds) {
    const v = `1.0-${b.timestamp}-${b.buildNumber}`;
    writeWithChecksums(join(repo, `${dir}/${artifactId}-${v}.pom`), pom(artifactId, "1.0-SNAPSHOT"));
    writeWithChecksums(join(repo, `${dir}/${artifactId}-${v}.jar`), fakeJar(`${artifactId} ${v}`));
  }
  const latest = builds[1] as { timestamp: string; buildNumber: number };
  const value = `1.0-${latest.timestamp}-${latest.buildNumber}`;
  const updated = latest.timestamp.replace(".", "");
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<metadata modelVersion="1.1.0">
  <groupId>${G}</groupId>
  <artifactId>${artifactId}</artifactId>
  <version>1.0-SNAPSHOT</version>
  <versioning>
    <snapshot>
      <timestamp>${latest.timestamp}</timestamp>
      <buildNumber>${latest.buildNumber}</buildNumber>
    </snapshot>
    <lastUpdated>${updated}</lastUpdated>
    <snapshotVersions>
      <snapshotVersion><extension>jar</extension><value>${value}</value><updated>${updated}</updated></snapshotVersion>
      <snapshotVersion><extension>pom</extension><value>${value}</value><updated>${updated}</updated></snapshotVersion>
    </snapshotVersions>
  </versioning>
</metadata>
`;
  writeWithChecksums(join(repo, `${dir}/maven-metadata.xml`), xml);
  return { latest: value };
}

const WRONG_SHA1 = "0000000000000000000000000000000000000000";

function versionsOf(result: ResolveResult, index: number, artifactId: string): string[] {
  const entry = result.perRequest[index];
  assert.ok(entry, `no result for request ${index}`);
  return entry.resolved.filter((a) => a.artifactId === artifactId).map((a) => a.version);
}

describe("integration: real Maven client (Debian mvn) against a repository directory", function () {
  this.timeout(120_000);

  let work = "";
  let runs = 0;
  let slowest = 0;

  /** resolveWithMaven, timed: no run may come near a network timeout. */
  async function resolve(repo: string, requests: Parameters<typeof resolveWithMaven>[1]): Promise<ResolveResult> {
    const started = Date.now();
    const result = await resolveWithMaven(repo, requests);
    const elapsed = Date.now() - started;
    runs++;
    slowest = Math.max(slowest, elapsed);
    assert.ok(elapsed < 45_000, `mvn took ${elapsed} ms: is it waiting on the network?\n${result.output}`);
    assert.doesNotMatch(result.output, /Download(ing|ed) from [^:]+: https?:/, "mvn tried a network repository");
    return result;
  }

  async function freshRepo(name: string): Promise<string> {
    const repo = join(work, name);
    await mkdir(repo, { recursive: true });
    return repo;
  }

  /** hello 1.0.0, 1.1.0, 1.2.0 and 2.0.0 with metadata listing them all. */
  async function helloRepo(name: string): Promise<string> {
    const repo = await freshRepo(name);
    const versions = ["1.0.0", "1.1.0", "1.2.0", "2.0.0"];
    for (const v of versions) await writeRelease(repo, "hello", v);
    await writeArtifactMetadata(repo, "hello", versions);
    return repo;
  }

  before(async function () {
    if (!mavenAvailable()) {
      console.warn("    SKIPPED: `mvn` is not on PATH (run `bash scripts/install-maven-test-deps.sh`), so the real Maven client cannot be tested.");
      this.skip();
    }
    work = await mkdtemp(join(tmpdir(), "maven-client-test-"));
  });

  after(async function () {
    if (work !== "") await rm(work, { recursive: true, force: true });
    if (runs > 0) console.log(`    (${runs} mvn runs, slowest ${slowest} ms)`);
  });

  it("(a) resolves exact versions and a range from a correct repository, reading its metadata", async function () {
    const repo = await helloRepo("correct");
    const result = await resolve(repo, [
      { groupId: G, artifactId: "hello", version: "1.0.0" },
      { groupId: G, artifactId: "hello", version: "1.1.0" },
      { groupId: G, artifactId: "hello", version: "1.2.0", type: "jar" },
      { groupId: G, artifactId: "hello", version: "[1.0,2.0)" },
    ]);
    assert.ok(result.ok, result.output);
    assert.deepEqual(versionsOf(result, 0, "hello"), ["1.0.0"]);
    assert.deepEqual(versionsOf(result, 1, "hello"), ["1.1.0"]);
    assert.deepEqual(versionsOf(result, 2, "hello"), ["1.2.0"]);
    assert.deepEqual(versionsOf(result, 3, "hello"), ["1.2.0"], result.output);
    assert.deepEqual(
      result.resolved.map((a) => `${a.groupId}:${a.artifactId}:${a.type}:${a.version}:${a.fileVersion}`).sort(),
      ["org.example:hello:jar:1.0.0:1.0.0", "org.example:hello:jar:1.1.0:1.1.0", "org.example:hello:jar:1.2.0:1.2.0"],
    );
    assert.ok(result.downloaded.includes("org/example/hello/maven-metadata.xml"), `metadata not read:\n${result.downloaded.join("\n")}`);
    assert.ok(result.downloaded.includes("org/example/hello/1.2.0/hello-1.2.0.jar"));
  });

  it("(b) fails when a jar's .sha1 is wrong (checksumPolicy=fail), and only that request", async function () {
    const repo = await helloRepo("bad-jar-sha1");
    await writeFile(join(repo, "org/example/hello/1.1.0/hello-1.1.0.jar.sha1"), WRONG_SHA1);
    const result = await resolve(repo, [
      { groupId: G, artifactId: "hello", version: "1.1.0" },
      { groupId: G, artifactId: "hello", version: "1.0.0" },
    ]);
    assert.equal(result.ok, false, result.output);
    assert.equal(result.perRequest[0]?.ok, false);
    assert.equal(result.perRequest[1]?.ok, true, result.output);
    assert.match(result.output, /Checksum validation failed, expected 0{40} but is [0-9a-f]{40}/);
    assert.match(result.output, /hello-1\.1\.0\.jar/);
  });

  it("(c) fails to resolve a range when maven-metadata.xml.sha1 is wrong (an exact version still resolves)", async function () {
    const repo = await helloRepo("bad-metadata-sha1");
    await writeFile(join(repo, "org/example/hello/maven-metadata.xml.sha1"), WRONG_SHA1);
    const result = await resolve(repo, [
      { groupId: G, artifactId: "hello", version: "[1.0,2.0)" },
      { groupId: G, artifactId: "hello", version: "1.2.0" },
    ]);
    assert.equal(result.ok, false, result.output);
    assert.equal(result.perRequest[0]?.ok, false);
    assert.equal(result.perRequest[1]?.ok, true, `an exact version never reads the metadata:\n${result.output}`);
    assert.match(result.output, /Checksum validation failed, expected 0{40} but is [0-9a-f]{40} from promoted for \S*maven-metadata\.xml/);
    assert.match(result.output, /No versions available for org\.example:hello:jar:\[1\.0,2\.0\) within specified range/);
  });

  it("(d) a range resolves to the highest version LISTED in maven-metadata.xml, not the highest on disk", async function () {
    const repo = await helloRepo("range");
    // "stale": 1.2.0 is on disk but missing from the metadata, so Maven must not see it.
    for (const v of ["1.0.0", "1.1.0", "1.2.0"]) await writeRelease(repo, "stale", v);
    await writeArtifactMetadata(repo, "stale", ["1.0.0", "1.1.0"]);
    const result = await resolve(repo, [
      { groupId: G, artifactId: "hello", version: "[1.0,2.0)" },
      { groupId: G, artifactId: "hello", version: "[1.0,)" },
      { groupId: G, artifactId: "stale", version: "[1.0,2.0)" },
    ]);
    assert.ok(result.ok, result.output);
    assert.deepEqual(versionsOf(result, 0, "hello"), ["1.2.0"], result.output);
    assert.deepEqual(versionsOf(result, 1, "hello"), ["2.0.0"], result.output);
    assert.deepEqual(versionsOf(result, 2, "stale"), ["1.1.0"], result.output);
    assert.ok(!result.downloaded.includes("org/example/stale/1.2.0/stale-1.2.0.jar"));
  });

  it("(e) resolves a SNAPSHOT through its timestamped maven-metadata.xml, and refuses a bad one", async function () {
    const good = await freshRepo("snapshot");
    const { latest } = await writeSnapshot(good, "snap");
    const bad = await freshRepo("snapshot-bad-metadata");
    await writeSnapshot(bad, "snap");
    await writeFile(join(bad, "org/example/snap/1.0-SNAPSHOT/maven-metadata.xml.sha1"), WRONG_SHA1);

    const [ok, refused] = await Promise.all([
      resolve(good, [{ groupId: G, artifactId: "snap", version: "1.0-SNAPSHOT" }]),
      resolve(bad, [{ groupId: G, artifactId: "snap", version: "1.0-SNAPSHOT" }]),
    ]);
    assert.ok(ok.ok, ok.output);
    assert.deepEqual(
      ok.resolved.map((a) => [a.artifactId, a.version, a.fileVersion]),
      [["snap", "1.0-SNAPSHOT", latest]],
      ok.output,
    );
    assert.equal(latest, "1.0-20240102.030405-2");
    assert.ok(ok.downloaded.includes(`org/example/snap/1.0-SNAPSHOT/snap-${latest}.jar`), ok.downloaded.join("\n"));
    assert.ok(ok.downloaded.includes("org/example/snap/1.0-SNAPSHOT/maven-metadata.xml"));

    assert.equal(refused.ok, false, refused.output);
    assert.match(refused.output, /Checksum validation failed, expected 0{40} but is [0-9a-f]{40} from promoted for \S*maven-metadata\.xml/);
  });

  it("(f) what Maven cannot resolve (or resolves without its POM), `verify` reports: a SNAPSHOT without its own metadata, a release without its POM", async function () {
    // The oracle is Maven: each broken repository must fail to resolve, and verify must say why.
    const snapshotRepo = await freshRepo("snapshot-no-own-metadata");
    await writeSnapshot(snapshotRepo, "snap");
    await writeArtifactMetadata(snapshotRepo, "snap", ["1.0-SNAPSHOT"]);
    const own = join(snapshotRepo, "org/example/snap/1.0-SNAPSHOT/maven-metadata.xml");
    const releaseRepo = await helloRepo("release-no-pom");
    await rm(join(releaseRepo, "org/example/hello/1.1.0/hello-1.1.0.pom"));

    const before = await verifyRepository({ target: new LocalTransport(snapshotRepo) });
    assert.deepEqual(before.problems, [], "the SNAPSHOT repository verifies before its metadata is deleted");
    for (const suffix of ["", ".md5", ".sha1"]) await rm(own + suffix);

    const [snapshot, release] = await Promise.all([
      resolve(snapshotRepo, [{ groupId: G, artifactId: "snap", version: "1.0-SNAPSHOT" }]),
      resolve(releaseRepo, [{ groupId: G, artifactId: "hello", version: "1.1.0" }]),
    ]);
    assert.equal(snapshot.ok, false, snapshot.output);
    // Maven goes on without a POM, but only with a warning and no dependency information.
    assert.match(release.output, /The POM for \S*hello:jar:1\.1\.0 is missing, no dependency information available/, release.output);
    const problems = async (repo: string): Promise<string[]> => (await verifyRepository({ target: new LocalTransport(repo) })).problems.map((problem) => problem.message);
    assert.deepEqual(await problems(snapshotRepo), [
      "org/example/snap/maven-metadata.xml: lists version 1.0-SNAPSHOT, whose 1.0-SNAPSHOT/maven-metadata.xml (where Maven finds its timestamped files) is missing",
    ]);
    assert.deepEqual(await problems(releaseRepo), ["org/example/hello/maven-metadata.xml: lists version 1.1.0, whose POM hello-1.1.0.pom is missing"]);
  });

  it("never reaches a network repository, even one a resolved POM declares, and does not hang", async function () {
    const repo = await freshRepo("declares-network-repo");
    await writeRelease(
      repo,
      "needy",
      "1.0.0",
      `
  <repositories>
    <repository><id>elsewhere</id><url>https://repo.example.invalid/maven2</url></repository>
  </repositories>
  <dependencies>
    <dependency><groupId>org.example</groupId><artifactId>absent</artifactId><version>9.9.9</version></dependency>
  </dependencies>`,
    );
    const result = await resolve(repo, [{ groupId: G, artifactId: "needy", version: "1.0.0" }]);
    assert.equal(result.ok, false, result.output);
    assert.match(result.output, /org\.example:absent:jar:9\.9\.9/);
    // The POM's https repository was redirected to the blocked mirror, which offline mode refuses.
    assert.match(result.output, /Cannot access no-other-repositories \(http:\/\/0\.0\.0\.0\/\) in offline mode/);
  });
});
