// The durability barriers of the rename list (DESIGN.md invariant 9): everything the metadata
// will point at reaches the disk before the first metadata flip, and the flips before the
// journal says committed. Checked in the list itself and, for each executor, in what it does:
// the shell script (a recording `sync` on PATH), the transport executor (a recording transport:
// the SFTP-only path) and the local executor (LocalTransport's own fsync).
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { plan } from "../../../src/api.js";
import { readJournal } from "../../../src/promotion/journal.js";
import { promote } from "../../../src/promotion/promote.js";
import { buildRenameList, type RenameStep } from "../../../src/promotion/rename-list.js";
import { LocalTransport } from "../../../src/transport/local-transport.js";
import type { OrderedOperation } from "../../../src/transport/transport.js";
import { LocalShellTransport } from "../../helpers/local-shell-transport.js";
import { copyRepoFixture, makeTempDir, removeTempDirs } from "../../helpers/temp-repos.js";

const NOW = new Date("2026-11-22T10:15:00Z");
const METADATA = "org/example/demo/maven-metadata.xml";
const VERSION = "org/example/demo/1.2";

type Call = { op: "rename"; to: string } | { op: "sync"; paths: string[] };

/** A local transport that records, in order, the renames it makes and what it syncs. */
class RecordingTransport extends LocalTransport {
  readonly calls: Call[] = [];
  constructor(
    root: string,
    private readonly canSync = true,
  ) {
    super(root);
  }
  override async rename(from: string, to: string, options: { replace: boolean }): Promise<void> {
    await super.rename(from, to, options);
    this.calls.push({ op: "rename", to });
  }
  /** A metadata group's flips, all at once (the local executor's way). */
  override applyNow(operations: readonly OrderedOperation[]): Array<{ error?: Error; at: string }> {
    const answers = super.applyNow(operations);
    for (const operation of operations) if (operation.op === "rename") this.calls.push({ op: "rename", to: operation.to });
    return answers;
  }
  override async sync(paths: readonly string[]): Promise<boolean> {
    if (!this.canSync) return false;
    this.calls.push({ op: "sync", paths: [...paths] });
    return super.sync(paths);
  }
  override syncMethod(): string | null {
    return this.canSync ? super.syncMethod() : null;
  }
}

function lastIndexWhere<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let index = items.length - 1; index >= 0; index--) if (predicate(items[index]!)) return index;
  return -1;
}

function positionOf(steps: RenameStep[], predicate: (step: RenameStep) => boolean): number {
  const index = steps.findIndex(predicate);
  assert.ok(index >= 0, "the step is in the list");
  return index;
}

describe("durability barriers", function () {
  this.timeout(30_000);
  afterEach(removeTempDirs);

  it("the rename list syncs after the backups (before the first move), after the last version move and after the last metadata flip, before committed", async () => {
    for (const fixture of ["basic", "snapshot", "plugin"]) {
      const dirs = copyRepoFixture(fixture);
      const steps = buildRenameList(await plan({ from: dirs.staging, to: dirs.target, now: NOW }));
      const syncs = steps.flatMap((step, index) => (step.op === "sync" ? [{ step, index }] : []));
      assert.deepEqual(
        syncs.map(({ step }) => step.op === "sync" && step.label),
        ["backups", "versions", "metadata"],
        fixture,
      );
      type Sync = { index: number; step: Extract<RenameStep, { op: "sync" }> };
      const [backups, versions, metadata] = syncs as [Sync, Sync, Sync];
      // The power-cut test (test/integration/power-cut.test.ts) found a move that reached the disk
      // without the log's committing line: the first barrier stands between them.
      const committing = positionOf(steps, (step) => step.op === "state" && step.state === "committing");
      const lastBackup = lastIndexWhere(steps, (step) => step.op === "backup");
      const firstMove = positionOf(steps, (step) => step.op === "move-dir" || step.op === "move-file");
      assert.ok(committing < backups.index && lastBackup < backups.index && backups.index < firstMove, `${fixture}: the backups barrier sits between the backups and the first move`);
      assert.ok(backups.step.paths.some((path) => path.endsWith("/steps.log")), `${fixture}: the log with its committing line`);
      const lastMove = lastIndexWhere(steps, (step) => step.op === "move-dir" || (step.op === "move-file" && !step.to.includes("maven-metadata.xml")));
      const firstFlip = positionOf(steps, (step) => step.op === "move-file" && step.to.includes("maven-metadata.xml"));
      const lastFlip = lastIndexWhere(steps, (step) => step.op === "move-file" && step.to.includes("maven-metadata.xml"));
      const committed = positionOf(steps, (step) => step.op === "state" && step.state === "committed");
      assert.ok(lastMove < versions.index && versions.index < firstFlip, `${fixture}: the versions barrier sits between the moves and the first flip`);
      assert.ok(lastFlip < metadata.index && metadata.index === committed - 1, `${fixture}: the metadata barrier sits right before committed`);
      // What the barriers name: every moved file and its directory; every flipped file and its directory.
      for (const step of steps) {
        if (step.op === "move-dir") assert.ok(versions.step.paths.includes(step.to) && versions.step.paths.includes(step.to.replace(/\/[^/]+$/, "")), `${fixture}: ${step.to}`);
        if (step.op === "move-file" && !step.to.includes("maven-metadata.xml")) assert.ok(versions.step.paths.includes(step.to), `${fixture}: ${step.to}`);
        if (step.op === "move-file" && step.to.includes("maven-metadata.xml")) {
          assert.ok(metadata.step.paths.includes(step.to), `${fixture}: ${step.to}`);
          assert.ok(metadata.step.paths.includes(step.to.replace(/\/[^/]+$/, "")), `${fixture}: the directory of ${step.to}`);
        }
      }
    }
  });

  it("shell executor: sync runs after the version is in place and before its metadata changes, and again before committed", async () => {
    const dirs = copyRepoFixture("basic");
    // A `sync` on PATH that records what the target looks like each time it is called.
    const bin = makeTempDir();
    const record = join(bin, "sync-calls");
    writeFileSync(
      join(bin, "sync"),
      `#!/bin/sh\nprintf '%s version=%s metadata=%s\\n' "$*" "$([ -d '${VERSION}' ] && echo yes || echo no)" "$(grep -q '<version>1.2</version>' '${METADATA}' && echo new || echo old)" >> '${record}'\n`,
    );
    chmodSync(join(bin, "sync"), 0o755);
    const target = new LocalShellTransport(dirs.target);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const result = await promote({ stagingDirectory: dirs.staging, target, remoteRoot: dirs.target, executor: "shell", now: NOW });
      assert.equal(result.state, "committed");
      assert.equal(result.durable, true);
    } finally {
      process.env.PATH = path;
    }
    assert.deepEqual(readFileSync(record, "utf8").trim().split("\n"), ["-f . version=no metadata=old", "-f . version=yes metadata=old", "-f . version=yes metadata=new"]);
  });

  it("transport executor (local targets and --sftp-only): fsyncs the moved files and directories before the first flip, the flipped ones before committed", async () => {
    const dirs = copyRepoFixture("basic");
    const target = new RecordingTransport(dirs.target);
    const result = await promote({ stagingDirectory: dirs.staging, target, remoteRoot: dirs.target, executor: "transport", now: NOW });
    assert.equal(result.state, "committed");
    assert.equal(result.durable, true);
    const calls = target.calls.filter((call) => call.op === "sync" || !call.to.startsWith(".maven-promote"));
    const versionMove = calls.findIndex((call) => call.op === "rename" && call.to === VERSION);
    const firstFlip = calls.findIndex((call) => call.op === "rename" && call.to.startsWith(METADATA));
    const lastFlip = lastIndexWhere(calls, (call) => call.op === "rename" && call.to === METADATA);
    const syncIndexes = calls.flatMap((call, index) => (call.op === "sync" ? [index] : []));
    assert.equal(syncIndexes.length, 3);
    assert.ok(syncIndexes[0]! < versionMove, "backups barrier before the move");
    assert.ok(versionMove >= 0 && versionMove < syncIndexes[1]! && syncIndexes[1]! < firstFlip, "versions barrier between the move and the first flip");
    assert.ok(lastFlip < syncIndexes[2]!, "metadata barrier after the last flip");
    const [, first, second] = syncIndexes.map((index) => (calls[index] as Extract<Call, { op: "sync" }>).paths);
    assert.ok(first!.includes(`${VERSION}/demo-1.2.jar`) && first!.includes(VERSION) && first!.includes("org/example/demo"));
    assert.ok(first!.some((path) => path.startsWith(`.maven-promote/${result.plan.id}/backup/`)), "the backups too");
    assert.ok(second!.includes(METADATA) && second!.includes(`${METADATA}.sha1`) && second!.includes("org/example/demo"));
    // The journal says committed only after the second barrier.
    const log = (await readJournal(target, `.maven-promote/${result.plan.id}`))!.log.map((entry) => `${entry.op} ${entry.subject}`);
    assert.ok(log.indexOf("mark metadata-end") < log.indexOf("sync metadata") && log.indexOf("sync metadata") < log.indexOf("state committed"));
  });

  it("a server that cannot fsync: the commit still runs in order, and the log and the result say it is not durable", async () => {
    const dirs = copyRepoFixture("basic");
    const target = new RecordingTransport(dirs.target, false);
    const result = await promote({ stagingDirectory: dirs.staging, target, remoteRoot: dirs.target, executor: "transport", now: NOW });
    assert.equal(result.state, "committed");
    assert.equal(result.durable, false);
    const journal = (await readJournal(target, `.maven-promote/${result.plan.id}`))!;
    assert.equal(journal.journal.durable, false);
    assert.ok(journal.log.some((entry) => entry.op === "sync" && entry.subject === "metadata unsupported"));
  });
});

