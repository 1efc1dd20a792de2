// status, resume, rollback, cleanup and unlock as users run them: exit codes and what they print.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCliProcess } from "../../helpers/cli.js";
import { copyRepoFixture, removeTempDirs, treeFingerprint } from "../../helpers/temp-repos.js";

const LOCK = {
  id: "20261121T090000Z-dead",
  user: "ci",
  host: "runner-4",
  pid: 4242,
  start: "2026-11-21T09:00:00.000Z",
  expiry: "2026-11-21T10:00:00.000Z",
};

describe("recovery commands (CLI)", function () {
  this.timeout(30_000);
  afterEach(removeTempDirs);

  it("promote exits 3 naming the holder; unlock needs --force and says whose lock it broke", async () => {
    const dirs = copyRepoFixture("basic");
    const lockDir = join(dirs.target, ".maven-promote");
    mkdirSync(lockDir);
    writeFileSync(join(lockDir, "lock"), JSON.stringify(LOCK));
    const before = treeFingerprint(dirs.target);
    const locked = await runCliProcess(["promote", "--from", dirs.staging, "--to", dirs.target]);
    assert.equal(locked.code, 3);
    assert.match(locked.stderr, /^maven-promote: .* is locked by promotion 20261121T090000Z-dead \(ci@runner-4, pid 4242, since 2026-11-21T09:00:00\.000Z, .* ago\) \[ERR_LOCK_HELD\]\n  hint: .*resume 20261121T090000Z-dead/);
    assert.deepEqual(treeFingerprint(dirs.target), before);

    const status = await runCliProcess(["status", "--json", "--to", dirs.target]);
    assert.equal(status.code, 0);
    assert.equal(JSON.parse(status.stdout).lock.id, LOCK.id);

    const refused = await runCliProcess(["unlock", "--to", dirs.target]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /add --force/);
    const broken = await runCliProcess(["unlock", "--to", dirs.target, "--force"]);
    assert.equal(broken.code, 0);
    assert.match(broken.stdout, /^Broke the lock of promotion 20261121T090000Z-dead \(ci@runner-4, pid 4242/);
    assert.equal(existsSync(join(lockDir, "lock")), false);
    assert.equal((await runCliProcess(["promote", "--from", dirs.staging, "--to", dirs.target])).code, 0);
  });

  it("status lists promotions; rollback undoes one; cleanup removes its record", async () => {
    const dirs = copyRepoFixture("basic");
    const original = treeFingerprint(dirs.target);
    const promoted = await runCliProcess(["promote", "--json", "--from", dirs.staging, "--to", dirs.target]);
    const id = JSON.parse(promoted.stdout).id as string;
    const status = await runCliProcess(["status", "--to", dirs.target]);
    assert.match(status.stdout, new RegExp(`^Lock: free\\n\\nPromotions \\(1\\):\\n  ${id}  committed +\\S+  \\S+@\\S+  org\\.example:demo:1\\.2$`, "m"));

    const rolledBack = await runCliProcess(["rollback", id, "--to", dirs.target]);
    assert.equal(rolledBack.code, 0, rolledBack.stderr);
    assert.match(rolledBack.stdout, new RegExp(`^Rolled back promotion ${id} \\(it was committed\\)\\.`));
    const again = await runCliProcess(["resume", id, "--to", dirs.target]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /was rolled back; promote the release again instead \[ERR_RECOVERY_REFUSED\]/);

    const dry = await runCliProcess(["cleanup", "--to", dirs.target, "--older-than", "0s", "--dry-run"]);
    assert.match(dry.stdout, new RegExp(`^Would remove 1 item:\\n  \\.maven-promote/${id}  \\(promotion record of ${id}\\)`));
    const cleaned = await runCliProcess(["cleanup", "--json", "--to", dirs.target, "--older-than", "0s"]);
    assert.equal(JSON.parse(cleaned.stdout).actions.length, 1);
    assert.deepEqual(treeFingerprint(dirs.target), original, "byte for byte as before, with no .maven-promote/ left");
  });

  it("bad ids and durations are one-line usage errors", async () => {
    const dirs = copyRepoFixture("basic");
    const badId = await runCliProcess(["resume", "../../etc", "--to", dirs.target]);
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /^maven-promote: "\.\.\/\.\.\/etc": not a promotion id \[ERR_USAGE\]/);
    const unknown = await runCliProcess(["rollback", "20991231T000000Z-0000", "--to", dirs.target]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no journal at \.maven-promote\/20991231T000000Z-0000\/journal\.json/);
    const badWait = await runCliProcess(["promote", "--from", dirs.staging, "--to", dirs.target, "--wait", "soon"]);
    assert.equal(badWait.code, 2);
    assert.match(badWait.stderr, /--wait "soon": not a duration/);
    assert.equal(readFileSync(join(dirs.target, "org/example/demo/maven-metadata.xml"), "utf8").includes("1.2"), false);
  });
});
