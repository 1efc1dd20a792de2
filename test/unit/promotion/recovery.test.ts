// Lock, resume, rollback, status and cleanup on local targets: recovery from every state a
// promotion can stop in, byte for byte.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup } from "../../../src/promotion/cleanup.js";
import { executeSteps } from "../../../src/promotion/execute-steps.js";
import { readTargetStatus } from "../../../src/promotion/history.js";
import { readJournal } from "../../../src/promotion/journal.js";
import { LOCK_PATH, acquireLock, lockFor, readLock } from "../../../src/promotion/lock.js";
import { promote, type PromoteInput } from "../../../src/promotion/promote.js";
import { resume, rollback } from "../../../src/promotion/recovery.js";
import { stateDirectory } from "../../../src/promotion/rename-list.js";
import { verifyRepository } from "../../../src/promotion/verify-repository.js";
import { LocalTransport } from "../../../src/transport/local-transport.js";
import { LocalShellTransport } from "../../helpers/local-shell-transport.js";
import { copyRepoFixture, removeTempDirs, treeFingerprint } from "../../helpers/temp-repos.js";

const NOW = new Date("2026-11-22T10:15:00Z");

function visibleTree(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
}

/** Promotes a fixture but stops before the commit (the state a killed promotion can be in). */
async function stoppedBeforeCommit(fixture = "basic", extra: Partial<PromoteInput> = {}) {
  const dirs = copyRepoFixture(fixture);
  const original = visibleTree(dirs.target);
  const target = new LocalTransport(dirs.target);
  const result = await promote({ stagingDirectory: dirs.staging, target, remoteRoot: dirs.target, now: NOW, beforePhase: (phase) => (phase === "commit" ? "pause" : true), ...extra });
  assert.equal(result.state, "stopped");
  return { ...dirs, target, targetDir: dirs.target, original, id: result.plan.id, plan: result.plan };
}

async function referenceTree(fixture = "basic"): Promise<Record<string, string>> {
  const dirs = copyRepoFixture(fixture);
  await promote({ stagingDirectory: dirs.staging, target: new LocalTransport(dirs.target), remoteRoot: dirs.target, now: NOW });
  return visibleTree(dirs.target);
}

describe("recovery (local targets)", function () {
  this.timeout(30_000);
  afterEach(removeTempDirs);

  describe("lock", () => {
    it("a second promotion fails at once naming the holder, or waits for it", async () => {
      const dirs = copyRepoFixture("basic");
      const target = new LocalTransport(dirs.target);
      await acquireLock(target, { ...lockFor("20261122T000000Z-beef"), user: "alice", host: "ci-7", pid: 4242 });
      const before = visibleTree(dirs.target);
      await assert.rejects(promote({ stagingDirectory: dirs.staging, target, now: NOW }), (error: Error & { code?: string }) => {
        assert.equal(error.code, "ERR_LOCK_HELD");
        assert.match(error.message, /is locked by promotion 20261122T000000Z-beef \(alice@ci-7, pid 4242, since /);
        return true;
      });
      assert.deepEqual(visibleTree(dirs.target), before);
      setTimeout(() => rmSync(join(dirs.target, LOCK_PATH)), 300);
      const waited = await promote({ stagingDirectory: dirs.staging, target, now: NOW, waitMs: 10_000 });
      assert.equal(waited.state, "committed");
      assert.equal(await readLock(target), undefined, "released at the end");
    });

    it("a lock still empty (its holder's write not landed yet) is read again, not reported as unreadable", async () => {
      const dirs = copyRepoFixture("basic");
      const holder = { ...lockFor("20261122T000000Z-cafe"), user: "bob", host: "ci-9", pid: 4343 };
      mkdirSync(join(dirs.target, ".maven-promote"), { recursive: true });
      writeFileSync(join(dirs.target, LOCK_PATH), "");
      // The holder's write lands right after the first read that sees the empty file.
      const target = new (class extends LocalTransport {
        override async readFile(path: string, maxBytes?: number) {
          const bytes = await super.readFile(path, maxBytes);
          if (path === LOCK_PATH && bytes?.length === 0) writeFileSync(join(dirs.target, LOCK_PATH), JSON.stringify(holder));
          return bytes;
        }
      })(dirs.target);
      await assert.rejects(acquireLock(target, lockFor("20261122T000000Z-d00d")), (error: Error & { code?: string }) => {
        assert.equal(error.code, "ERR_LOCK_HELD");
        assert.match(error.message, /is locked by promotion 20261122T000000Z-cafe \(bob@ci-9, pid 4343, since /);
        return true;
      });
    });

    it("a dry run leaves no .maven-promote/ behind; a run stopped by a hook leaves only its record", async () => {
      const dirs = copyRepoFixture("basic");
      const before = treeFingerprint(dirs.target);
      await promote({ stagingDirectory: dirs.staging, target: new LocalTransport(dirs.target), now: NOW, dryRun: true });
      assert.deepEqual(treeFingerprint(dirs.target), before);
      const stopped = await promote({ stagingDirectory: dirs.staging, target: new LocalTransport(dirs.target), now: NOW, beforePhase: () => false });
      const added = Object.keys(treeFingerprint(dirs.target)).filter((path) => !(path in before));
      assert.deepEqual(added.sort(), [".maven-promote", `.maven-promote/${stopped.plan.id}`, `.maven-promote/${stopped.plan.id}/journal.json`]);
    });
  });

  describe("resume", () => {
    it("finishes a promotion stopped before its commit, taking over its lock", async () => {
      const stopped = await stoppedBeforeCommit();
      assert.equal((await readLock(stopped.target))?.id, stopped.id, "the stopped promotion keeps the lock");
      const result = await resume({ target: stopped.target, id: stopped.id, remoteRoot: stopped.targetDir });
      assert.equal(result.state, "committed");
      assert.deepEqual(visibleTree(stopped.targetDir), await referenceTree());
      assert.equal(await readLock(stopped.target), undefined);
      assert.equal((await readJournal(stopped.target, stateDirectory(stopped.id)))!.state, "committed");
    });

    it("uploads again only what is missing or damaged", async () => {
      const stopped = await stoppedBeforeCommit();
      rmSync(join(stopped.targetDir, "org/example/demo/1.2.rip/demo-1.2.jar"));
      writeFileSync(join(stopped.targetDir, "org/example/demo/maven-metadata.xml.rip"), "damaged");
      let uploaded = 0;
      await resume({
        target: stopped.target,
        id: stopped.id,
        remoteRoot: stopped.targetDir,
        onEvent: (event) => {
          if (event.type === "upload:progress") uploaded = event.loaded;
        },
      });
      const jar = stopped.plan.uploads.find((upload) => upload.path.endsWith("demo-1.2.jar"))!;
      const metadata = stopped.plan.uploads.find((upload) => upload.path === "org/example/demo/maven-metadata.xml")!;
      assert.equal(uploaded, jar.size + metadata.size, "exactly the two broken items went up again");
      assert.deepEqual(visibleTree(stopped.targetDir), await referenceTree());
    });

    it("continues a commit that stopped half-way, with either executor", async () => {
      for (const executor of ["transport", "shell"] as const) {
        const dirs = copyRepoFixture("plugin");
        const transport = executor === "shell" ? new LocalShellTransport(dirs.target) : new LocalTransport(dirs.target);
        const stopped = await promote({ stagingDirectory: dirs.staging, target: transport, remoteRoot: dirs.target, now: NOW, executor, beforePhase: (phase) => (phase === "commit" ? "pause" : true) });
        const journal = (await readJournal(transport, stateDirectory(stopped.plan.id)))!.journal;
        const half = Math.floor(journal.steps.length / 2);
        await executeSteps({ transport, stateDirectory: stateDirectory(stopped.plan.id), steps: journal.steps.slice(0, half) });
        assert.equal((await readJournal(transport, stateDirectory(stopped.plan.id)))!.state, "committing");
        await resume({ target: transport, id: stopped.plan.id, remoteRoot: dirs.target });
        assert.deepEqual(visibleTree(dirs.target), await referenceTree("plugin"), executor);
      }
    });

    it("tidies up after a promotion killed between recording its end and releasing its lock", async () => {
      const dirs = copyRepoFixture("basic");
      const target = new LocalTransport(dirs.target);
      const done = await promote({ stagingDirectory: dirs.staging, target, remoteRoot: dirs.target, now: NOW });
      await acquireLock(target, lockFor(done.plan.id)); // as if the process died before releasing it
      writeFileSync(join(dirs.target, stateDirectory(done.plan.id), "bundle.zip"), "left over");
      const result = await resume({ target, id: done.plan.id, remoteRoot: dirs.target });
      assert.equal(result.completed, "finish");
      assert.equal(await readLock(target), undefined);
      assert.equal(existsSync(join(dirs.target, stateDirectory(done.plan.id), "bundle.zip")), false);
    });

    it("refuses to commit over metadata someone changed behind its back", async () => {
      const stopped = await stoppedBeforeCommit();
      const metadata = join(stopped.targetDir, "org/example/demo/maven-metadata.xml");
      writeFileSync(metadata, readFileSync(metadata, "utf8").replace("<version>1.1</version>", "<version>1.1</version><version>1.1.1</version>"));
      const before = visibleTree(stopped.targetDir);
      await assert.rejects(resume({ target: stopped.target, id: stopped.id, remoteRoot: stopped.targetDir }), (error: Error & { code?: string }) => {
        assert.equal(error.code, "ERR_TARGET_CHANGED");
        assert.equal(error.message, "org/example/demo/maven-metadata.xml: changed on the target since this promotion was planned");
        return true;
      });
      assert.deepEqual(visibleTree(stopped.targetDir), before, "nothing was committed: 1.1.1 is not lost");
    });

    it("refuses an unknown id and a rolled-back promotion", async () => {
      const stopped = await stoppedBeforeCommit();
      await assert.rejects(resume({ target: stopped.target, id: "20991231T000000Z-0000", remoteRoot: stopped.targetDir }), /no journal at/);
      await rollback({ target: stopped.target, id: stopped.id, remoteRoot: stopped.targetDir });
      await assert.rejects(resume({ target: stopped.target, id: stopped.id, remoteRoot: stopped.targetDir }), /was rolled back/);
    });
  });

  describe("rollback", () => {
    it("from before the commit: removes the .rip items", async () => {
      const stopped = await stoppedBeforeCommit();
      await rollback({ target: stopped.target, id: stopped.id, remoteRoot: stopped.targetDir });
      assert.deepEqual(visibleTree(stopped.targetDir), stopped.original);
      assert.equal(await readLock(stopped.target), undefined);
    });

    for (const fraction of [0.3, 0.6, 0.9, 1]) {
      it(`from a commit ${fraction * 100}% done: every file back byte for byte`, async () => {
        const withAsc = copyRepoFixture("basic");
        writeFileSync(join(withAsc.target, "org/example/demo/maven-metadata.xml.asc"), "the old signature");
        const original = visibleTree(withAsc.target);
        const target = new LocalTransport(withAsc.target);
        const stopped = await promote({ stagingDirectory: withAsc.staging, target, remoteRoot: withAsc.target, now: NOW, beforePhase: (phase) => (phase === "commit" ? "pause" : true) });
        const journal = (await readJournal(target, stateDirectory(stopped.plan.id)))!.journal;
        await executeSteps({ transport: target, stateDirectory: stateDirectory(stopped.plan.id), steps: journal.steps.slice(0, Math.ceil(journal.steps.length * fraction)) });
        await rollback({ target, id: stopped.plan.id, remoteRoot: withAsc.target });
        assert.deepEqual(visibleTree(withAsc.target), original);
        assert.deepEqual((await verifyRepository({ target })).problems, []);
      });
    }

    it("restores a SNAPSHOT directory and its metadata", async () => {
      const dirs = copyRepoFixture("snapshot");
      const original = visibleTree(dirs.target);
      const target = new LocalTransport(dirs.target);
      const done = await promote({ stagingDirectory: dirs.staging, target, remoteRoot: dirs.target, now: NOW });
      await rollback({ target, id: done.plan.id, remoteRoot: dirs.target });
      assert.deepEqual(visibleTree(dirs.target), original);
    });

    it("is refused when a later promotion changed the same metadata", async () => {
      const dirs = copyRepoFixture("basic");
      const target = new LocalTransport(dirs.target);
      const first = await promote({ stagingDirectory: dirs.staging, target, now: NOW });
      // A second release, 1.3, promoted on top.
      const second = copyRepoFixture("basic");
      rmSync(join(second.staging, "org/example/demo"), { recursive: true });
      const dir = join(second.staging, "org/example/demo/1.3");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "demo-1.3.pom"), "<project><groupId>org.example</groupId><artifactId>demo</artifactId><version>1.3</version></project>");
      await promote({ stagingDirectory: second.staging, target, now: new Date("2026-11-23T10:00:00Z") });
      const before = visibleTree(dirs.target);
      await assert.rejects(rollback({ target, id: first.plan.id, remoteRoot: dirs.target }), (error: Error & { code?: string }) => {
        assert.equal(error.code, "ERR_ROLLBACK_CONFLICT");
        assert.match(error.message, /org\/example\/demo\/maven-metadata\.xml has changed since it was committed/);
        return true;
      });
      assert.deepEqual(visibleTree(dirs.target), before);
    });
  });

  describe("status and cleanup", () => {
    it("lists the lock and the promotions with their states", async () => {
      const stopped = await stoppedBeforeCommit();
      const status = await readTargetStatus(stopped.target);
      assert.equal(status.lock?.id, stopped.id);
      assert.deepEqual(status.promotions.map((promotion) => [promotion.id, promotion.state, promotion.versions]), [[stopped.id, "uploaded", ["org.example:demo:1.2"]]]);
    });

    it("refuses while a promotion holds the lock, then removes stale leftovers by age", async () => {
      const stopped = await stoppedBeforeCommit();
      await assert.rejects(cleanup({ target: stopped.target, olderThanMs: 0, dryRun: false, scan: false }), /cleanup touches nothing while a promotion holds the lock/);
      rmSync(join(stopped.targetDir, LOCK_PATH)); // its process is gone, and someone broke the lock
      const young = await cleanup({ target: stopped.target, olderThanMs: 3600_000, dryRun: false, scan: false });
      assert.deepEqual(young.actions, []);
      assert.ok(existsSync(join(stopped.targetDir, "org/example/demo/1.2.rip")));
      const dry = await cleanup({ target: stopped.target, olderThanMs: 0, dryRun: true, scan: false });
      assert.ok(dry.actions.some((action) => action.path === "org/example/demo/1.2.rip" && action.what === "rip item"));
      assert.ok(existsSync(join(stopped.targetDir, "org/example/demo/1.2.rip")), "a dry run removes nothing");
      await cleanup({ target: stopped.target, olderThanMs: 0, dryRun: false, scan: false });
      assert.deepEqual(treeFingerprint(stopped.targetDir), Object.fromEntries(Object.entries(stopped.original)), "back to the original, with no .maven-promote/");
    });

    it("keeps a promotion stopped mid-commit, and --scan finds orphan .rip names", async () => {
      const stopped = await stoppedBeforeCommit();
      const journal = (await readJournal(stopped.target, stateDirectory(stopped.id)))!.journal;
      await executeSteps({ transport: stopped.target, stateDirectory: stateDirectory(stopped.id), steps: journal.steps.slice(0, 2) });
      rmSync(join(stopped.targetDir, LOCK_PATH));
      const orphan = join(stopped.targetDir, "org/example/other-1.0.jar.rip");
      writeFileSync(orphan, "x");
      utimesSync(orphan, new Date(0), new Date(0));
      const result = await cleanup({ target: stopped.target, olderThanMs: 1000, dryRun: false, scan: true, now: new Date(Date.now() + 10_000) });
      assert.deepEqual(result.kept, [{ id: stopped.id, reason: "stopped mid-commit: resume or roll it back first" }]);
      assert.deepEqual(result.actions, [{ path: "org/example/other-1.0.jar.rip", what: "orphan rip item" }]);
      assert.ok(existsSync(join(stopped.targetDir, "org/example/demo/1.2.rip")), "the mid-commit promotion's items stay");
    });

    it("removes a heartbeat's leftover lock.<pid>.tmp (a holder killed between writing a beat and renaming it)", async () => {
      const stopped = await stoppedBeforeCommit();
      rmSync(join(stopped.targetDir, LOCK_PATH));
      writeFileSync(join(stopped.targetDir, ".maven-promote/lock.999999.tmp"), "{}");
      const listed = await cleanup({ target: stopped.target, olderThanMs: 24 * 3600_000, dryRun: true, scan: false });
      assert.deepEqual(listed.actions, [{ path: ".maven-promote/lock.999999.tmp", what: "lock heartbeat leftover" }]);
      assert.ok(existsSync(join(stopped.targetDir, ".maven-promote/lock.999999.tmp")), "a dry run removes nothing");
      await cleanup({ target: stopped.target, olderThanMs: 24 * 3600_000, dryRun: false, scan: false });
      assert.equal(existsSync(join(stopped.targetDir, ".maven-promote/lock.999999.tmp")), false);
    });
  });
});
