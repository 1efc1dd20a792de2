// `verify` checks what a Maven client needs, not just what the metadata lists (issue 10, part 6):
// a release's own POM with a matching .sha1 or .md5, and a SNAPSHOT's own maven-metadata.xml,
// whose POM it names. Each missing piece is one problem line naming its path.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { verifyRepository } from "../../../src/promotion/verify-repository.js";
import { LocalTransport } from "../../../src/transport/local-transport.js";
import { copyRepoFixture, removeTempDirs } from "../../helpers/temp-repos.js";

async function problems(root: string): Promise<string[]> {
  return (await verifyRepository({ target: new LocalTransport(root) })).problems.map((problem) => problem.message);
}

/** Rewrites a metadata file and its checksums, so that only what the test means to break is broken. */
function rewriteMetadata(path: string, edit: (xml: string) => string): void {
  const xml = edit(readFileSync(path, "utf8"));
  writeFileSync(path, xml);
  writeFileSync(`${path}.md5`, createHash("md5").update(xml).digest("hex"));
  writeFileSync(`${path}.sha1`, createHash("sha1").update(xml).digest("hex"));
}

describe("verifyRepository: what a client resolves", () => {
  afterEach(removeTempDirs);
  const demo = "org/example/demo";
  const snap = "org/example/snap/2.0-SNAPSHOT";

  it("the fixtures' targets verify clean", async () => {
    assert.deepEqual(await problems(copyRepoFixture("basic").target), []);
    assert.deepEqual(await problems(copyRepoFixture("snapshot").target), []);
  });

  it("a listed release whose artifactId-version.pom is gone fails, even beside another .pom", async () => {
    const { target } = copyRepoFixture("basic");
    renameSync(join(target, demo, "1.1/demo-1.1.pom"), join(target, demo, "1.1/demo-1.1-extra.pom"));
    assert.deepEqual(await problems(target), [`${demo}/maven-metadata.xml: lists version 1.1, whose POM demo-1.1.pom is missing`]);
  });

  it("a POM with neither .sha1 nor .md5, and a POM whose .sha1 does not match", async () => {
    const { target } = copyRepoFixture("basic");
    rmSync(join(target, demo, "1.0/demo-1.0.pom.sha1"));
    rmSync(join(target, demo, "1.0/demo-1.0.pom.md5"));
    writeFileSync(join(target, demo, "1.1/demo-1.1.pom.sha1"), "0".repeat(40));
    assert.deepEqual(await problems(target), [
      `${demo}/maven-metadata.xml: lists version 1.0, whose POM has no .sha1 or .md5 (Maven fails on that with checksumPolicy=fail)`,
      `${demo}/1.1/demo-1.1.pom.sha1: does not match demo-1.1.pom`,
    ]);
  });

  it("a listed SNAPSHOT whose own maven-metadata.xml was deleted (with its checksums) fails", async () => {
    const { target } = copyRepoFixture("snapshot");
    for (const suffix of ["", ".md5", ".sha1"]) rmSync(join(target, snap, `maven-metadata.xml${suffix}`));
    assert.deepEqual(await problems(target), [
      "org/example/snap/maven-metadata.xml: lists version 2.0-SNAPSHOT, whose 2.0-SNAPSHOT/maven-metadata.xml (where Maven finds its timestamped files) is missing",
    ]);
  });

  it("a SNAPSHOT's own file that lists no POM, or (Maven 2 style) names one that is missing", async () => {
    const { target } = copyRepoFixture("snapshot");
    const file = join(target, snap, "maven-metadata.xml");
    const original = readFileSync(file, "utf8");
    rewriteMetadata(file, (xml) => xml.replace(/<snapshotVersion>\s*<extension>pom<\/extension>[\s\S]*?<\/snapshotVersion>/, ""));
    assert.deepEqual(await problems(target), [`${snap}/maven-metadata.xml: lists no POM among its snapshotVersions`]);

    rewriteMetadata(file, () => original.replace(/<snapshotVersions>[\s\S]*<\/snapshotVersions>/, "").replace("<buildNumber>3<", "<buildNumber>4<"));
    assert.deepEqual(await problems(target), [`${snap}/maven-metadata.xml: names snap-2.0-20261101.100000-4.pom (its <snapshot>), which is missing`]);
    rewriteMetadata(file, () => original.replace(/<snapshotVersions>[\s\S]*<\/snapshotVersions>/, ""));
    assert.deepEqual(await problems(target), []);
  });
});
