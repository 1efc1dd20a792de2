// A power cut at any instant of the commit (DESIGN.md invariant 9; issue 17, part 3).
//
// What it does. A real promotion (scripts/example-repository.ts: a release of org.example:hello
// over two older ones, plus a new artifact lib0, so two metadata groups, one with backups) is
// stopped just before its commit. Its commit is then recorded under `strace -f`, once per
// executor: the local executor (the real CLI's `resume`, which commits, verifies and finishes),
// and the rendered templates/rename.pl and templates/rename.sh, run by perl and sh in the
// target. Each recording becomes a list of file-system operations (test/helpers/strace-ops.ts),
// replayed on an in-memory copy of the pre-commit tree (test/helpers/fs-model.ts; the replay of
// the whole list must reach, byte for byte, the tree the real run left on disk). Then every state
// a power cut could leave is built (test/helpers/crash-states.ts) and checked:
//   - no maven-metadata.xml lists a version whose directory or files are missing or differ;
//   - no checksum file disagrees with its maven-metadata.xml, except a metadata file this
//     promotion changes when the power failed inside the metadata window (after its first flip
//     was issued, before the barrier after the last flip returned: docs/how-it-works.md, "After a power loss");
//   - a journal or steps.log that says `committed` means the whole promotion is on disk;
// and a seeded sample of the states is put on disk and recovered with the real CLI: `resume`
// must end in the fully promoted tree and `rollback` in the original one, `verify` must pass
// after both, and neither may leave a `.rip` name or the lock.
//
// The model (what may be on disk after a power cut). ALICE's default persistence model
// (Pillai et al., OSDI '14; alicedefaultfs.py), made a little stronger where ext4 data=ordered,
// the file system our servers use, is stronger, and said in full here:
//   1. The power fails after the first k operations returned, for every k (0 … all).
//   2. Each operation is atomic: a rename, link, unlink, mkdir, create, or one write(2). (ALICE
//      found directory operations atomic on every file system it tried, ext4 included; unlike
//      its default model we do not split a rename into an unlink and a link, nor a write into
//      sectors; no torn writes.)
//   3. A completed barrier makes durable what it covers: syncfs(2) and sync(2) every operation
//      issued before them (ALICE has no syncfs; it is what `sync -f .` calls); fsync(2) of a file
//      its data, of a directory the entries made or removed in it (ALICE's rule); and with them
//      what they depend on (rule 4), e.g. the mkdir of the directory an fsynced entry is in.
//      ext4's fsync commits its whole journal, which holds more; strict POSIX promises less.
//   4. Every other issued operation may or may not be on disk, in any combination, except that an
//      operation is there only with every earlier operation it depends on: one that made the name
//      it uses or replaces, the directory it works in, the inode it moves, or an earlier write to
//      the same file (so a file's writes persist as a prefix). And a rename over an existing
//      file needs the earlier writes of the file it moves: ext4's auto_da_alloc (on by default)
//      flushes them before such a rename commits; the journal and the lock rely on that.
// Why this model: it is as weak as ALICE's within an epoch, so that a barrier's place is what
// keeps the target whole, not the lucky order of one journal; ext4's own journal would commit the
// renames in program order (every state a prefix) and no missing barrier could ever show. The
// prefix states (what an in-order journal leaves) are among those checked.
//
// Bounds: at each crash point every allowed subset is checked while there are at most
// PER_CRASH_POINT of them, else that many drawn by the seed; identical trees are checked once.
// The recovery sample is RECOVERIES states per executor, spread over before/inside/after the
// metadata window and in-order/reordered. POWER_CUT_SEED and POWER_CUT_RECOVERIES override them.
//
// Proof that a missing barrier is found: the same recording and enumeration, with the `versions`
// or the `metadata` sync step taken out of the rename list (from the journal's list, which resume
// runs, and from the rendered scripts), must find a state that breaks an invariant.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { readFileIn } from "../helpers/fs-model.js";
import {
  EXECUTORS,
  checkAllStates,
  freshDir,
  pickForRecovery,
  preparePromotion,
  recordCommit,
  recoverState,
  type Executor,
  type PreparedPromotion,
} from "../helpers/power-cut-run.js";
import { copyRepoFixture, makeTempDir, removeTempDirs } from "../helpers/temp-repos.js";

const SEED = process.env.POWER_CUT_SEED ? Number(process.env.POWER_CUT_SEED) : 20261204;
const RECOVERIES = process.env.POWER_CUT_RECOVERIES ? Number(process.env.POWER_CUT_RECOVERIES) : 3;
const PER_CRASH_POINT = 64;
const BARRIERS = ["backups", "versions", "metadata"] as const;

/** Records the commit, checks every crash state enumerated, and recovers `recoveries` of them. */
async function checkExecutor(promotion: PreparedPromotion, work: string, executor: Executor, recoveries: number): Promise<void> {
  const recorded = await recordCommit(promotion.preCommit, freshDir(work, "record"), promotion.id, executor);
  assert.ok(recorded.replayMatchesDisk, "replaying every recorded operation gives the tree the real run left");
  const barriers = recorded.ops.filter((op) => op.barrier !== undefined);
  assert.ok(barriers.some((op) => op.index < recorded.window.start) && recorded.window.end < recorded.ops.length, "a barrier before the first metadata flip and one after the last");
  const { checked, enumerated, exhaustive } = checkAllStates(recorded, promotion.promoted, promotion.facts, SEED, PER_CRASH_POINT);
  const broken = checked.filter((entry) => entry.problems.length > 0);
  assert.deepEqual(
    broken.slice(0, 5).map((entry) => `crash after ${entry.state.crashAt} ops (${entry.state.kind}): ${entry.problems.join("; ")}`),
    [],
  );
  const sample = pickForRecovery(checked, recorded, recoveries, SEED);
  const failures: string[] = [];
  for (const [index, entry] of sample.entries()) {
    const problems = await recoverState(entry, promotion.id, freshDir(work, `recover-${index}`), promotion.expected);
    failures.push(...problems.map((problem) => `state crashed after ${entry.state.crashAt} ops (${entry.state.kind}): ${problem}`));
  }
  console.log(
    `      ${executor}: ${recorded.ops.length} operations recorded, ${enumerated} crash states enumerated${exhaustive ? " (all of them)" : " (sampled where many)"}, ` +
      `${checked.length} distinct states checked, ${sample.length} recovered by resume and by rollback (seed ${SEED})`,
  );
  assert.deepEqual(failures, []);
}

/** The same with one barrier taken out of the rename list: some crash state must break an invariant. */
async function findBrokenWithout(promotion: PreparedPromotion, work: string, executor: Executor, barrier: (typeof BARRIERS)[number]): Promise<void> {
  const recorded = await recordCommit(promotion.preCommit, work, promotion.id, executor, barrier);
  assert.ok(recorded.replayMatchesDisk);
  const { checked } = checkAllStates(recorded, promotion.promoted, promotion.facts, SEED, PER_CRASH_POINT);
  const broken = checked.filter((entry) => entry.problems.length > 0);
  assert.ok(broken.length > 0, `no state of ${checked.length} breaks an invariant without the ${barrier} barrier`);
  const example = broken[0]!;
  console.log(`      ${executor} without ${barrier}: ${broken.length} of ${checked.length} states broken, e.g. after ${example.state.crashAt} ops: ${example.problems[0]}`);
}

describe("integration: a power cut at any instant of the commit (crash states under strace)", function () {
  this.timeout(600_000);
  let root: string;
  let promotion: PreparedPromotion;

  before(async function () {
    if (!(await hasStrace())) this.skip();
    root = makeTempDir("maven-promote-power-cut-");
    const example = writeExampleRepositories(join(root, "example"), { extraArtifacts: 1 });
    promotion = await preparePromotion(root, example.staging, example.target);
  });
  after(removeTempDirs);

  for (const executor of EXECUTORS) {
    it(`${executor} executor: each crash state enumerated keeps the invariants, and resume and rollback recover a sample of them`, async () => {
      await checkExecutor(promotion, freshDir(root, executor), executor, RECOVERIES);
    });
  }

  it("rollback puts back metadata whose flip reached the disk while the log's metadata-start line did not", async () => {
    // The log line is appended before the first flip, but no barrier stands between them: a
    // state the model allows, and one rollback once misread as "no metadata was touched".
    const work = freshDir(root, "lost-mark");
    const recorded = await recordCommit(promotion.preCommit, freshDir(work, "record"), promotion.id, "perl");
    const { checked } = checkAllStates(recorded, promotion.promoted, promotion.facts, SEED, PER_CRASH_POINT);
    const metadata = [...promotion.facts.changedMetadata].sort()[0]!;
    const lostMark = checked.find(
      (entry) =>
        readFileIn(entry.tree, metadata)?.equals(readFileIn(promotion.promoted, metadata)!) === true &&
        !readFileIn(entry.tree, `.maven-promote/${promotion.id}/steps.log`)!.toString("utf8").includes("mark metadata-start"),
    );
    assert.ok(lostMark !== undefined, "the enumeration holds such a state");
    assert.deepEqual(await recoverState(lostMark, promotion.id, freshDir(work, "recover"), promotion.expected), []);
  });

  for (const executor of EXECUTORS) {
    for (const barrier of BARRIERS) {
      it(`${executor} executor without the ${barrier} barrier: the enumeration finds a broken state`, async () => {
        await findBrokenWithout(promotion, freshDir(root, `${executor}-without-${barrier}`), executor, barrier);
      });
    }
  }
});

describe("integration: a power cut during a SNAPSHOT update that replaces a file", function () {
  // A changed file of an existing SNAPSHOT is replaced in one rename, after its backup: the
  // backup must be on disk before the rename, or rollback has nothing to put back.
  this.timeout(600_000);
  let root: string;
  let promotion: PreparedPromotion;

  before(async function () {
    if (!(await hasStrace())) this.skip();
    root = makeTempDir("maven-promote-power-cut-snapshot-");
    const dirs = copyRepoFixture("snapshot");
    const pom = "org/example/snap/2.0-SNAPSHOT/snap-2.0-20261101.100000-3.pom";
    const rebuilt = readFileSync(join(dirs.target, pom), "utf8").replace("</project>", "  <description>rebuilt</description>\n</project>");
    writeFileSync(join(dirs.staging, pom), rebuilt);
    for (const algorithm of ["md5", "sha1"]) writeFileSync(join(dirs.staging, `${pom}.${algorithm}`), createHash(algorithm).update(rebuilt).digest("hex"));
    promotion = await preparePromotion(root, dirs.staging, dirs.target);
  });
  after(removeTempDirs);

  for (const executor of ["local", "perl"] as const) {
    it(`${executor} executor: each crash state enumerated keeps the invariants, and resume and rollback recover a sample of them`, async () => {
      await checkExecutor(promotion, freshDir(root, executor), executor, 2);
    });
    it(`${executor} executor without the backups barrier: the enumeration finds a replaced file with no backup`, async () => {
      await findBrokenWithout(promotion, freshDir(root, `${executor}-without-backups`), executor, "backups");
    });
  }
});

async function hasStrace(): Promise<boolean> {
  const { execFile } = await import("node:child_process");
  return new Promise((resolve) => execFile("strace", ["-V"], (error) => resolve(error === null)));
}
