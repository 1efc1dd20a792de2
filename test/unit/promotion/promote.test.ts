// The promotion pipeline on local directories: both executors give the same tree, the journal
// tells what happened, and a run that is refused or stopped leaves the target byte-identical.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as openpgp from "openpgp";
import { loadSigningKey, loadTrustedKeys, verifyDetachedSignature } from "../../../src/integrity/pgp.js";
import { readJournal } from "../../../src/promotion/journal.js";
import { promote, type PromoteInput } from "../../../src/promotion/promote.js";
import { verifyRepository } from "../../../src/promotion/verify-repository.js";
import { LocalTransport } from "../../../src/transport/local-transport.js";
import { writeWithChecksums } from "../../../scripts/example-repository.js";
import { LocalShellTransport } from "../../helpers/local-shell-transport.js";
import { copyRepoFixture, removeTempDirs, treeFingerprint } from "../../helpers/temp-repos.js";

const NOW = new Date("2026-11-22T10:15:00Z");

/** The target tree as Maven clients see it: without maven-promote's own directory. */
function visibleTree(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
}

async function promoteFixture(name: string, executor: "shell" | "transport", extra: Partial<PromoteInput> = {}, mutate?: (dirs: { staging: string; target: string }) => void) {
  const dirs = copyRepoFixture(name);
  mutate?.(dirs);
  const target = executor === "shell" ? new LocalShellTransport(dirs.target) : new LocalTransport(dirs.target);
  const result = await promote({ stagingDirectory: dirs.staging, target, remoteRoot: dirs.target, executor, now: NOW, ...extra });
  return { result, ...dirs, transport: target };
}

describe("promote (local targets)", function () {
  this.timeout(30_000);
  afterEach(removeTempDirs);

  for (const fixture of ["basic", "snapshot", "plugin"]) {
    it(`${fixture}: the perl and sh rename scripts and the transport executor give the same tree, which verifies`, async () => {
      const viaTransport = await promoteFixture(fixture, "transport");
      const viaPerl = await promoteFixture(fixture, "shell", { commitRunner: "perl" });
      const viaSh = await promoteFixture(fixture, "shell", { commitRunner: "sh" });
      for (const run of [viaTransport, viaPerl, viaSh]) {
        assert.equal(run.result.state, "committed");
        assert.deepEqual(run.result.verifyProblems, []);
        const check = await verifyRepository({ target: new LocalTransport(run.target) });
        assert.deepEqual(check.problems, []);
      }
      assert.deepEqual(visibleTree(viaPerl.target), visibleTree(viaTransport.target));
      assert.deepEqual(visibleTree(viaSh.target), visibleTree(viaTransport.target));
      assert.equal(viaPerl.result.executor, "shell");
      assert.equal(viaPerl.result.runner, "perl");
      assert.equal(viaSh.result.runner, "sh");
      assert.equal(viaTransport.result.executor, "transport");
      // All three log the same steps (timestamps and the runner's name aside).
      const logOf = async (run: typeof viaSh) =>
        (await readJournal(run.transport, `.maven-promote/${run.result.plan.id}`))!.log.filter((entry) => entry.op !== "runner").map((entry) => `${entry.op} ${entry.subject}`);
      assert.deepEqual(await logOf(viaPerl), await logOf(viaTransport));
      assert.deepEqual(await logOf(viaSh), await logOf(viaTransport));
      assert.ok(viaPerl.result.metadataWindow !== undefined, "perl times the metadata window");
    });
  }

  it("shell executor: a large file (uploaded beside the bundle) lands as with the transport executor", async () => {
    const big = (dirs: { staging: string }) => writeWithChecksums(join(dirs.staging, "org/example/demo/1.2/demo-1.2-big.jar"), randomBytes(5 * 1024 * 1024));
    const seed = copyRepoFixture("basic");
    big(seed);
    const sameStage = (dirs: { staging: string }) => cpSync(seed.staging, dirs.staging, { recursive: true, force: true });
    const viaShell = await promoteFixture("basic", "shell", {}, sameStage);
    const viaTransport = await promoteFixture("basic", "transport", {}, sameStage);
    assert.equal(viaShell.result.state, "committed");
    assert.deepEqual(viaShell.result.verifyProblems, []);
    assert.deepEqual(visibleTree(viaShell.target), visibleTree(viaTransport.target));
    assert.ok(existsSync(join(viaShell.target, "org/example/demo/1.2/demo-1.2-big.jar")));
  });

  it("puts every staged file in place and records the promotion in its journal", async () => {
    const { result, target, transport } = await promoteFixture("basic", "transport");
    const id = result.plan.id;
    for (const name of ["demo-1.2.jar", "demo-1.2.jar.sha1", "demo-1.2.pom", "demo-1.2-sources.jar"]) {
      assert.ok(existsSync(join(target, "org/example/demo/1.2", name)), name);
    }
    assert.match(readFileSync(join(target, "org/example/demo/maven-metadata.xml"), "utf8"), /<version>1\.2<\/version>/);
    const recorded = await readJournal(transport, `.maven-promote/${id}`);
    assert.equal(recorded!.state, "committed");
    assert.equal(recorded!.journal.verify?.ok, true);
    assert.equal(recorded!.journal.metadataWindow?.groups, 1);
    assert.ok(existsSync(join(target, `.maven-promote/${id}/backup/org/example/demo/maven-metadata.xml`)), "the replaced metadata is backed up");
    assert.equal(existsSync(join(target, `.maven-promote/${id}/bundle.zip`)), false, "the bundle is removed");
    assert.equal(Object.keys(treeFingerprint(target)).some((path) => path.endsWith(".rip")), false, "no .rip names are left");
    assert.equal(typeof result.metadataWindowMs, "number");
  });

  it("signs the metadata it writes; without a key, removes the stale .asc", async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({ type: "curve25519", userIDs: [{ email: "r@example.org" }], format: "armored" });
    const signer = await loadSigningKey(privateKey, undefined, "key.asc");
    const withAsc = ({ target }: { target: string }) => writeFileSync(join(target, "org/example/demo/maven-metadata.xml.asc"), "stale");
    const signed = await promoteFixture("basic", "shell", { signer }, withAsc);
    const xml = readFileSync(join(signed.target, "org/example/demo/maven-metadata.xml"));
    const asc = readFileSync(join(signed.target, "org/example/demo/maven-metadata.xml.asc"), "utf8");
    assert.equal((await verifyDetachedSignature(xml, asc, await loadTrustedKeys(publicKey, "pub"), "asc")).ok, true);
    const unsigned = await promoteFixture("basic", "shell", {}, withAsc);
    assert.equal(existsSync(join(unsigned.target, "org/example/demo/maven-metadata.xml.asc")), false);
    assert.equal(readFileSync(join(unsigned.target, `.maven-promote/${unsigned.result.plan.id}/backup/org/example/demo/maven-metadata.xml.asc`), "utf8"), "stale");
  });

  it("a promotion stopped before its commit is finished by running its rename.sh, as docs/how-it-works.md says", async () => {
    const stopped = await promoteFixture("basic", "transport", { beforePhase: (phase) => (phase === "commit" ? "pause" : true) });
    assert.equal(stopped.result.state, "stopped");
    assert.ok(existsSync(join(stopped.target, "org/example/demo/1.2.rip/demo-1.2.jar")), "uploaded under .rip names");
    assert.equal(existsSync(join(stopped.target, "org/example/demo/1.2")), false, "nothing visible yet");
    execFileSync("sh", [`.maven-promote/${stopped.result.plan.id}/rename.sh`], { cwd: stopped.target });
    const reference = await promoteFixture("basic", "transport");
    assert.deepEqual(visibleTree(stopped.target), visibleTree(reference.target));
    assert.deepEqual((await verifyRepository({ target: new LocalTransport(stopped.target) })).problems, []);
  });

  describe("leaves the target byte-identical when it does not go ahead", () => {
    it("a validation failure", async () => {
      const dirs = copyRepoFixture("basic");
      appendFileSync(join(dirs.staging, "org/example/demo/1.2/demo-1.2.jar"), "tampered");
      const before = treeFingerprint(dirs.target);
      const result = await promote({ stagingDirectory: dirs.staging, target: new LocalTransport(dirs.target), now: NOW });
      assert.equal(result.plan.ok, false);
      assert.equal(result.state, "planned");
      assert.deepEqual(treeFingerprint(dirs.target), before);
    });

    it("a dry run", async () => {
      const dirs = copyRepoFixture("basic");
      const before = treeFingerprint(dirs.target);
      const result = await promote({ stagingDirectory: dirs.staging, target: new LocalTransport(dirs.target), now: NOW, dryRun: true });
      assert.equal(result.plan.ok, true);
      assert.deepEqual(treeFingerprint(dirs.target), before);
    });

    it("a hook that stops the run before the upload", async () => {
      const dirs = copyRepoFixture("basic");
      const before = treeFingerprint(dirs.target);
      const seen: string[] = [];
      const result = await promote({
        stagingDirectory: dirs.staging,
        target: new LocalTransport(dirs.target),
        now: NOW,
        beforePhase: (phase) => (seen.push(phase), phase !== "upload"),
      });
      assert.equal(result.state, "stopped");
      assert.deepEqual(seen, ["upload"]);
      // The repository is untouched; only the stop's record is kept, for `status` (issue 17).
      const record = `.maven-promote/${result.plan.id}/journal.json`;
      const after = treeFingerprint(dirs.target);
      assert.deepEqual(Object.keys(after).filter((path) => !(path in before)).sort(), [".maven-promote", `.maven-promote/${result.plan.id}`, record]);
      assert.deepEqual(Object.fromEntries(Object.entries(after).filter(([path]) => path in before)), before);
      assert.equal(JSON.parse(readFileSync(join(dirs.target, record), "utf8")).stoppedBy.hook, "beforePhase");
    });

    it("a .rip item left behind by another promotion", async () => {
      const dirs = copyRepoFixture("basic");
      mkdirSync(join(dirs.target, "org/example/demo/1.2.rip"));
      const before = treeFingerprint(dirs.target);
      await assert.rejects(
        promote({ stagingDirectory: dirs.staging, target: new LocalTransport(dirs.target), now: NOW }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, "ERR_STALE_RIP");
          assert.match(error.message, /^promotion \S+ stopped during upload: org\/example\/demo\/1\.2\.rip: already on the target/);
          return true;
        },
      );
      assert.deepEqual(treeFingerprint(dirs.target), before);
    });
  });
});
