// Stages written by real `mvn deploy` (Debian's Maven, offline): a release and a SNAPSHOT of a
// multi-module project are promoted over SFTP into a target that real Maven deployed an earlier
// version to, and a real Maven consumer then resolves the new release, a version range and the
// SNAPSHOT from the target with checksumPolicy=fail.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runCliProcess } from "../helpers/cli.js";
import { canDeployWithMaven, deployWithMaven, REAL_GROUP } from "../helpers/maven-deploy.js";
import { resolveWithMaven } from "../helpers/maven-client.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { makeTempDir, removeTempDirs } from "../helpers/temp-repos.js";

describe("integration: stages made by real `mvn deploy`", function () {
  this.timeout(600_000);
  let server: SshServer;
  let work: string;
  let target: string;
  let release: string;
  let snapshot: string;

  before(async function () {
    skipWithoutSshd(this);
    if (!canDeployWithMaven()) return assert.fail("mvn or unshare is missing: run scripts/install-maven-test-deps.sh");
    server = await startSshd();
    work = makeTempDir();
    target = join(work, "target");
    release = join(work, "stage-release");
    snapshot = join(work, "stage-snapshot");
    // One after another: they share Maven's local repository.
    await deployWithMaven(work, "2.0.0", target);
    await deployWithMaven(work, "2.1.0", release);
    await deployWithMaven(work, "2.2.0-SNAPSHOT", snapshot);
  });

  after(async () => {
    await server?.stop();
    removeTempDirs();
  });

  const sftp = () => ["--to", `sftp://${server.user}@127.0.0.1:${server.port}${target}`, "--identity", server.clientKeyPath, "--known-hosts", server.knownHostsPath];
  const core = join("org/example/real/real-core");

  it("Maven's stages are what the tests expect: sources, javadoc, a classifier, timestamped SNAPSHOT files", () => {
    const names = readdirSync(join(release, core, "2.1.0")).sort();
    assert.ok(names.includes("real-core-2.1.0-sources.jar") && names.includes("real-core-2.1.0-javadoc.jar"), names.join(" "));
    assert.ok(existsSync(join(release, "org/example/real/real-natives/2.1.0/real-natives-2.1.0-linux-x86_64.jar")));
    const snapshotFiles = readdirSync(join(snapshot, core, "2.2.0-SNAPSHOT"));
    assert.ok(snapshotFiles.some((name) => /^real-core-2\.2\.0-\d{8}\.\d{6}-1\.jar$/.test(name)), snapshotFiles.join(" "));
    assert.match(readFileSync(join(snapshot, core, "2.2.0-SNAPSHOT/maven-metadata.xml"), "utf8"), /<snapshotVersions>/);
  });

  it("promotes the release, then the SNAPSHOT, over SFTP; verify passes; Maven resolves all three with checksumPolicy=fail", async () => {
    for (const stage of [release, snapshot]) {
      const result = await runCliProcess(["promote", "--json", "--from", stage, ...sftp()]);
      assert.equal(result.code, 0, result.stderr);
      const json = JSON.parse(result.stdout);
      assert.equal(json.state, "committed", result.stdout);
      assert.deepEqual(json.verify, { ok: true, problems: [] });
    }
    const verified = await runCliProcess(["verify", "--to", target]);
    assert.equal(verified.code, 0, verified.stdout);

    const metadata = readFileSync(join(target, core, "maven-metadata.xml"), "utf8");
    assert.match(metadata, /<release>2\.1\.0<\/release>/);
    assert.match(metadata, /<version>2\.0\.0<\/version>\s*<version>2\.1\.0<\/version>\s*<version>2\.2\.0-SNAPSHOT<\/version>/);

    const maven = await resolveWithMaven(target, [
      { groupId: REAL_GROUP, artifactId: "real-core", version: "2.1.0" },
      { groupId: REAL_GROUP, artifactId: "real-core", version: "[2.0,2.1.0]" },
      { groupId: REAL_GROUP, artifactId: "real-core", version: "2.2.0-SNAPSHOT" },
      { groupId: REAL_GROUP, artifactId: "real-natives", version: "2.1.0" },
    ]);
    assert.ok(maven.ok, maven.output);
    const versions = maven.perRequest.map((entry) => entry.resolved.find((artifact) => artifact.artifactId === entry.request.artifactId));
    assert.equal(versions[0]?.version, "2.1.0");
    assert.equal(versions[1]?.version, "2.1.0", "the range resolves to the newest listed release");
    assert.match(versions[2]?.fileVersion ?? "", /^2\.2\.0-\d{8}\.\d{6}-1$/, maven.output);
    assert.equal(versions[3]?.version, "2.1.0");
  });
});
