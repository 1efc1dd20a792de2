// A disk that fills (issue 17, part 2), on real parts: a tmpfs this test mounts (as root), the
// real CLI, and the real OpenSSH sshd (logged in as root, writing into the tmpfs) with its shell
// (unzip, the rename script) and with --sftp-only; and the local executor. The disk is filled to
// an exact number of free bytes (and inodes) computed from the plan's sizes, before the run or
// between two of its phases (a before-commit hook: another writer filling the disk meanwhile).
//
// Each case must end with one line on stderr (and its hint) that names the target and says
// "no space left", exit 1, and a target that is as it was (outside .maven-promote/, which keeps
// the failed promotion's journal for `status`) or, for a commit the disk stopped, fully promoted
// by `resume` once the space is back. Either way the target must take the next promotion.
import assert from "node:assert/strict";
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { runCliProcess, type CliResult } from "../helpers/cli.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { emptyFiller, fillDisk, mountSmallDisk, smallDiskProgram, unmountSmallDisks, whyNoMount } from "../helpers/small-disk.js";
import { copyRepoFixture, makeTempDir, removeTempDirs, treeFingerprint } from "../helpers/temp-repos.js";

const PAGE = 4096;
/** The staged jar: large beside everything else, so that "fits" and "does not fit" are far apart. */
const JAR_BYTES = 512 * 1024;
/** Room for the small files a promotion writes besides its uploads and journal (rename.sh, rename.pl, fence, steps.log). */
const SMALL_FILES = 64 * 1024;
const DISK_BYTES = 8 * 1024 * 1024;
const DISK_INODES = 1000;

type TargetKind = "local" | "sftp+shell" | "sftp-only";
const KINDS: TargetKind[] = ["local", "sftp+shell", "sftp-only"];

const roundUp = (bytes: number): number => Math.ceil(bytes / PAGE) * PAGE;

/** The target as Maven clients see it: everything but the promotion's state directory. */
function liveTree(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
}

/** Deterministic bytes that no zip can shrink (a sha256 chain from a fixed seed). */
function seededBytes(length: number): Buffer {
  const blocks: Buffer[] = [];
  let block = createHash("sha256").update("disk-full").digest();
  for (let size = 0; size < length; size += block.length) {
    blocks.push(block);
    block = createHash("sha256").update(block).digest();
  }
  return Buffer.concat(blocks).subarray(0, length);
}

describe("integration: a disk that fills", function () {
  this.timeout(120_000);
  let sshd: SshServer;
  let staging: string;
  let fixtureTarget: string;
  /** The basic fixture's target after a promotion on a roomy disk: what every resumed or repeated run must give. */
  let promoted: Record<string, string>;
  let journalBytes: number;
  let uploadBytes: number;

  before(async function () {
    const why = whyNoMount();
    if (why !== undefined) {
      console.log(`    SKIPPED: ${why}`);
      this.skip();
    }
    skipWithoutSshd(this);
    sshd = await startSshd();
    const dirs = copyRepoFixture("basic");
    staging = dirs.staging;
    fixtureTarget = dirs.target;
    const jar = join(staging, "org/example/demo/1.2/demo-1.2.jar");
    const bytes = seededBytes(JAR_BYTES);
    writeFileSync(jar, bytes);
    writeFileSync(`${jar}.md5`, createHash("md5").update(bytes).digest("hex"));
    writeFileSync(`${jar}.sha1`, createHash("sha1").update(bytes).digest("hex"));

    // A local target keeps the staged files' modes and SFTP writes 0644: the same modes for every
    // target, whatever umask the checkout was made under.
    for (const file of readdirSync(staging, { recursive: true, withFileTypes: true })) if (file.isFile()) chmodSync(join(file.parentPath, file.name), 0o644);

    const plan = await runCliProcess(["plan", "--json", "--from", staging, "--to", fixtureTarget]);
    assert.equal(plan.code, 0, plan.stderr);
    uploadBytes = (JSON.parse(plan.stdout) as { uploads: Array<{ size: number }> }).uploads.reduce((sum, upload) => sum + upload.size, 0);

    const reference = join(makeTempDir(), "target");
    cpSync(fixtureTarget, reference, { recursive: true });
    const result = await runCliProcess(["promote", "--quiet", "--from", staging, "--to", reference]);
    assert.equal(result.code, 0, result.stderr);
    promoted = liveTree(reference);
    const [id] = readdirSync(join(reference, ".maven-promote"));
    journalBytes = readFileSync(join(reference, ".maven-promote", id!, "journal.json")).length;
    // The cases below rest on these: a journal larger than a page, and a jar far larger than
    // every margin, so that what fits and what does not never depends on a few bytes.
    assert.ok(journalBytes > PAGE, `the journal (${journalBytes} bytes) is larger than one page`);
    assert.ok(JAR_BYTES > 4 * SMALL_FILES + roundUp(journalBytes + PAGE));
  });

  after(async () => {
    await sshd?.stop();
    unmountSmallDisks();
    removeTempDirs();
  });

  /** A fresh tmpfs holding a copy of the fixture's target at <disk>/repo (the filler goes beside it). */
  function targetOnSmallDisk(): { disk: string; root: string } {
    const disk = mountSmallDisk(DISK_BYTES, DISK_INODES);
    const root = join(disk, "repo");
    cpSync(fixtureTarget, root, { recursive: true });
    return { disk, root };
  }

  function targetArgs(kind: TargetKind, root: string): string[] {
    if (kind === "local") return ["--to", root];
    const ssh = ["--identity", sshd.clientKeyPath, "--known-hosts", sshd.knownHostsPath, "--ssh-config", "none"];
    return ["--to", `sftp://${sshd.user}@127.0.0.1:${sshd.port}${root}`, ...ssh, ...(kind === "sftp-only" ? ["--sftp-only"] : [])];
  }

  function location(kind: TargetKind, root: string): string {
    return kind === "local" ? root : `sftp://${sshd.user}@127.0.0.1:${sshd.port}${root}`;
  }

  /** One error line naming the target and saying "no space left", its hint about space, and exit 1. */
  function assertNoSpace(result: CliResult, kind: TargetKind, root: string, where: RegExp): void {
    assert.equal(result.code, 1, `exit 1\n${result.stderr}`);
    const lines = result.stderr.split("\n").filter((line) => line !== "");
    assert.equal(lines.length, 2, `one error line and its hint:\n${result.stderr}`);
    const [error, hint] = lines as [string, string];
    assert.match(error, /^maven-promote: .*no space left on the device.* \[ERR_NO_SPACE\]$/);
    assert.ok(error.includes(`${location(kind, root)}: no space left`), `names the target: ${error}`);
    assert.match(error, where);
    assert.match(hint, /^ {2}hint: .*free space/);
    assert.doesNotMatch(hint, /permission/i);
  }

  /** After the space is back, the next promotion of the same release goes through and gives the reference tree. */
  async function assertPromotesOnceFreed(kind: TargetKind, disk: string, root: string): Promise<void> {
    emptyFiller(disk);
    const again = await runCliProcess(["promote", "--quiet", "--from", staging, ...targetArgs(kind, root)]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(liveTree(root), promoted);
  }

  for (const kind of KINDS) {
    describe(`${kind} target`, () => {
      it("plan warns (report and --json) when the free space is below the uploads plus the backups, and not when it is not", async () => {
        const { disk, root } = targetOnSmallDisk();
        // The commit backs up the metadata file it replaces and its checksums (hard links, counted as copies).
        const metadata = join(fixtureTarget, "org/example/demo/maven-metadata.xml");
        const backupBytes = [metadata, `${metadata}.md5`, `${metadata}.sha1`].reduce((sum, path) => sum + readFileSync(path).length, 0);
        const needed = uploadBytes + backupBytes;
        const warningsWith = async (free: number) => {
          emptyFiller(disk);
          fillDisk(disk, free);
          const plan = await runCliProcess(["plan", "--json", "--from", staging, ...targetArgs(kind, root)]);
          assert.equal(plan.code, 0, plan.stderr);
          const report = await runCliProcess(["plan", "--from", staging, ...targetArgs(kind, root)]);
          assert.equal(report.code, 0, report.stderr);
          const warnings = (JSON.parse(plan.stdout) as { warnings: Array<{ message: string }> }).warnings.map((warning) => warning.message);
          return { warnings: warnings.filter((message) => message.includes("no space left")), report: report.stdout };
        };

        const short = await warningsWith(roundUp(needed) - PAGE);
        assert.equal(short.warnings.length, 1, "one warning when a page short");
        assert.ok(short.warnings[0]!.startsWith(`${location(kind, root)}: `), short.warnings[0]);
        assert.match(short.warnings[0]!, /free, less than the .* this promotion writes \(uploads .*, backups .*\)/);
        assert.ok(short.report.includes(short.warnings[0]!), "the readable report shows it too");

        const enough = await warningsWith(roundUp(needed));
        assert.deepEqual(enough.warnings, [], "no warning when the uploads and backups fit");
        assert.deepEqual(liveTree(root), liveTree(fixtureTarget), "plan writes nothing");
      });

      it("full before it starts (0 bytes free): refused at the lock; the target is byte-identical, .maven-promote/ included", async () => {
        const { disk, root } = targetOnSmallDisk();
        const before = treeFingerprint(root);
        fillDisk(disk, 0);
        const result = await runCliProcess(["promote", "--quiet", "--from", staging, ...targetArgs(kind, root)]);
        assertNoSpace(result, kind, root, /\.maven-promote\/lock/);
        assert.deepEqual(treeFingerprint(root), before, "no lock, no empty .maven-promote/ left behind");
        await assertPromotesOnceFreed(kind, disk, root);
      });

      it("filled by the journal itself (one page free: the lock fits, the journal does not): nothing left, not even the journal", async () => {
        const { disk, root } = targetOnSmallDisk();
        const before = treeFingerprint(root);
        fillDisk(disk, PAGE);
        const result = await runCliProcess(["promote", "--quiet", "--from", staging, ...targetArgs(kind, root)]);
        assertNoSpace(result, kind, root, /stopped during upload: .*journal\.json/);
        assert.deepEqual(treeFingerprint(root), before, "a journal that never reached the disk leaves no state directory, and the lock is released");
        await assertPromotesOnceFreed(kind, disk, root);
      });

      it("fills during the upload (room for the lock, the journal and half the jar): the .rip items are withdrawn, the lock released", async () => {
        const { disk, root } = targetOnSmallDisk();
        const before = liveTree(root);
        fillDisk(disk, PAGE + roundUp(journalBytes + PAGE) + JAR_BYTES / 2);
        const result = await runCliProcess(["promote", "--quiet", "--from", staging, ...targetArgs(kind, root)]);
        assertNoSpace(result, kind, root, /stopped during upload: /);
        assert.doesNotMatch(result.stderr, /journal\.json/, "the journal was written; the upload is what did not fit");
        assert.deepEqual(liveTree(root), before, "no .rip item and no new directory is left");
        assertFailedOnRecord(root);
        await assertPromotesOnceFreed(kind, disk, root);
      });

      if (kind === "sftp+shell") {
        it("fills during the unpack (the bundle fits, its unzipped files do not: unzip exits 50): withdrawn like a failed upload", async () => {
          const { disk, root } = targetOnSmallDisk();
          const before = liveTree(root);
          // The bundle stores the jar (no deflate) and holds the small files and both rename scripts: at most the uploads plus SMALL_FILES.
          const bundle = roundUp(uploadBytes + SMALL_FILES);
          fillDisk(disk, PAGE + roundUp(journalBytes + PAGE) + bundle + SMALL_FILES);
          const result = await runCliProcess(["promote", "--quiet", "--from", staging, ...targetArgs(kind, root), "--unpack", "zip"]);
          assertNoSpace(result, kind, root, /stopped during upload: .*unpacking the bundle: unzip exit 50; \d+ bytes free/);
          assert.deepEqual(liveTree(root), before, "what unzip wrote is withdrawn");
          assertFailedOnRecord(root);
          await assertPromotesOnceFreed(kind, disk, root);
        });

        it("fills during the streamed unpack (--unpack tar: tar -x runs out of space mid-stream): withdrawn like a failed upload", async () => {
          const { disk, root } = targetOnSmallDisk();
          const before = liveTree(root);
          fillDisk(disk, PAGE + roundUp(journalBytes + PAGE) + JAR_BYTES / 2);
          const result = await runCliProcess(["promote", "--quiet", "--from", staging, ...targetArgs(kind, root), "--unpack", "tar"]);
          assertNoSpace(result, kind, root, /stopped during upload: .*unpacking the stream: exit 2: .*No space left on device/);
          assert.deepEqual(liveTree(root), before, "what tar wrote is withdrawn");
          assertFailedOnRecord(root);
          await assertPromotesOnceFreed(kind, disk, root);
        });
      }

      it("fills before the commit (a before-commit hook leaves 2 inodes): stopped in the backups, nothing live changed; resume finishes it once space is freed", async () => {
        const { disk, root } = targetOnSmallDisk();
        const before = liveTree(root);
        // On tmpfs a hard-linked backup takes no page but an inode slot, as each backup directory
        // does: the commit's first new file (steps.log) fits, its backups do not.
        const hook = `before-commit=${process.execPath} ${smallDiskProgram} ${disk} ${SMALL_FILES * 4} 2`;
        const result = await runCliProcess(["promote", "--quiet", "--from", staging, ...targetArgs(kind, root), "--hook", hook]);
        assertNoSpace(result, kind, root, /stopped during commit: .*backup/);
        assert.match(result.stderr, /hint: .*maven-promote resume \S+ --to /);
        const id = /promotion (\S+) stopped during commit/.exec(result.stderr)![1]!;
        const live = liveTree(root);
        for (const path of Object.keys(live)) if (!(path in before)) assert.match(path, /\.rip(\/|$)/, `only .rip names are new: ${path}`);
        for (const [path, print] of Object.entries(before)) assert.equal(live[path], print, `${path} is untouched`);
        assert.ok(existsSync(join(root, ".maven-promote/lock")), "the commit keeps its lock until resume or rollback");

        const stillFull = await runCliProcess(["resume", id, "--quiet", ...targetArgs(kind, root)]);
        assert.equal(stillFull.code, 1, `resume on a disk still full fails the same way\n${stillFull.stderr}`);
        assert.match(stillFull.stderr, /no space left on the device.*\[ERR_NO_SPACE\]/);

        emptyFiller(disk);
        const resumed = await runCliProcess(["resume", id, "--quiet", ...targetArgs(kind, root)]);
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.deepEqual(liveTree(root), promoted, "fully promoted, as on a roomy disk");
        assert.ok(!existsSync(join(root, ".maven-promote/lock")), "and the lock is released");
      });

      it("fills after the commit (an after-commit hook leaves 0 bytes): live already, only the finish's journal fails; resume records it once space is freed", async () => {
        const { disk, root } = targetOnSmallDisk();
        const hook = `after-commit=${process.execPath} ${smallDiskProgram} ${disk} 0`;
        const result = await runCliProcess(["promote", "--quiet", "--from", staging, ...targetArgs(kind, root), "--hook", hook]);
        assertNoSpace(result, kind, root, /stopped during finish: .*journal\.json/);
        assert.match(result.stderr, /hint: The promotion is live; .*maven-promote resume \S+ --to /);
        assert.deepEqual(liveTree(root), promoted, "the release is live and complete");
        const id = /promotion (\S+) stopped during finish/.exec(result.stderr)![1]!;

        emptyFiller(disk);
        const resumed = await runCliProcess(["resume", id, "--quiet", ...targetArgs(kind, root)]);
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.deepEqual(liveTree(root), promoted);
        const journal = JSON.parse(readFileSync(join(root, ".maven-promote", id, "journal.json"), "utf8")) as { state: string; verify?: { ok: boolean } };
        assert.equal(journal.state, "committed");
        assert.equal(journal.verify?.ok, true, "the journal now records the finished promotion");
        assert.ok(!existsSync(join(root, ".maven-promote/lock")), "no lock is left");
      });
    });
  }
});

/** The failed promotion stays on record (its journal, state "failed") and holds no lock. */
function assertFailedOnRecord(root: string): void {
  const state = join(root, ".maven-promote");
  assert.ok(!existsSync(join(state, "lock")), "the lock is released");
  const ids = readdirSync(state);
  assert.equal(ids.length, 1, `one promotion on record: ${ids.join(", ")}`);
  const journal = JSON.parse(readFileSync(join(state, ids[0]!, "journal.json"), "utf8")) as { state: string; error: string };
  assert.equal(journal.state, "failed");
  assert.match(journal.error, /no space left/);
}
