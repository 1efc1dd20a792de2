// Several repositories promoted as one (issue 19, part 1), against real servers: two private
// sshd targets (each its own server, host key and port) and a local one. What it proves:
// all three show the new release; a failure in the second target's upload leaves all three as
// they were; a failure in the second target's commit rolls all three back (--on-partial
// rollback) or keeps the committed one and says so (--on-partial keep), and `rollback ID` with
// the same --to list then undoes the group; a group killed after every target was prepared is
// finished by `resume ID` with the same --to list. Failures are injected at an event of the
// promotion (MAVEN_PROMOTE_STOP_AT), never at a time.
import assert from "node:assert/strict";
import { appendFileSync, cpSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { runCliProcess } from "../helpers/cli.js";
import { continueStopped, spawnCli, stopAtMatcher } from "../helpers/cli-process.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { makeTempDir, removeTempDirs, treeFingerprint } from "../helpers/temp-repos.js";

const METADATA = "org/example/hello/maven-metadata.xml";

/** What Maven sees: everything but maven-promote's own records. */
function comparableTree(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
}

interface GroupJson {
  id: string;
  ok: boolean;
  state: string;
  targets: Array<{ to: string; state: string; versions: string[]; error: string | null }>;
}

describe("integration: a group promotion into two sshd targets and a local one", function () {
  this.timeout(180_000);
  let first: SshServer;
  let second: SshServer;
  let knownHosts: string;
  let example: { staging: string; target: string };

  before(async function () {
    skipWithoutSshd(this);
    [first, second] = [await startSshd(), await startSshd()];
    // One client key for both servers, one known_hosts naming both.
    appendFileSync(join(second.dir, "authorized_keys"), `${first.clientPublicKey}\n`);
    knownHosts = join(makeTempDir(), "known_hosts");
    writeFileSync(knownHosts, readFileSync(first.knownHostsPath, "utf8") + readFileSync(second.knownHostsPath, "utf8"));
    example = writeExampleRepositories(makeTempDir());
  });

  after(async () => {
    await first?.stop();
    await second?.stop();
    removeTempDirs();
  });

  /** Three copies of the example's target, in the group's order (sorted by URL: the local one, then the two servers). */
  function freshGroup(): { dirs: [string, string, string]; urls: [string, string, string] } {
    const servers = [first, second].map((server) => {
      const dir = join(makeTempDir(), "target");
      cpSync(example.target, dir, { recursive: true });
      return { dir, url: `sftp://${server.user}@127.0.0.1:${server.port}${dir}` };
    });
    servers.sort((a, b) => (a.url < b.url ? -1 : 1));
    const local = join(makeTempDir(), "target");
    cpSync(example.target, local, { recursive: true });
    return { dirs: [local, servers[0]!.dir, servers[1]!.dir], urls: [local, servers[0]!.url, servers[1]!.url] };
  }

  const toArgs = (urls: readonly string[]): string[] => urls.flatMap((url) => ["--to", url]);
  const sshArgs = (): string[] => ["--identity", first.clientKeyPath, "--known-hosts", knownHosts];
  const isNew = (dir: string): boolean => readFileSync(join(dir, METADATA), "utf8").includes("<version>1.2.0</version>");

  it("promotes into all three as one: every target shows the new release, and each journal names the group", async () => {
    const { dirs, urls } = freshGroup();
    // Given in another order than the group's: the group sorts them.
    const summary = join(makeTempDir(), "summary.md");
    const run = await runCliProcess(["promote", "--from", example.staging, ...toArgs([urls[2], urls[0], urls[1]]), ...sshArgs(), "--json", "--summary", summary]);
    assert.equal(run.code, 0, run.stderr);
    // The job summary: one table, a row per target.
    const rows = readFileSync(summary, "utf8").split("\n").filter((line) => line.startsWith("| `"));
    assert.deepEqual(rows.map((row) => row.split(" | ").slice(0, 3)), urls.map((url) => [`| \`${url}\``, "committed", "hello 1.2.0"]));
    const report = JSON.parse(run.stdout) as GroupJson;
    assert.deepEqual([report.ok, report.state], [true, "committed"]);
    assert.deepEqual(report.targets.map((target) => [target.to, target.state, target.versions]), urls.map((url) => [url, "committed", ["org.example:hello:1.2.0"]]));
    for (const dir of dirs) assert.ok(isNew(dir), dir);
    const status = await runCliProcess(["status", "--to", urls[1], ...sshArgs()]);
    assert.match(status.stdout, new RegExp(`${report.id}  committed .*\\n      one of a group promotion into ${urls.join(", ").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n`));
    for (const url of urls) assert.equal((await runCliProcess(["verify", "--to", url, ...sshArgs()])).code, 0, url);
  });

  it("a failure in the second target's upload leaves all three as they were", async function () {
    const { dirs, urls } = freshGroup();
    const locked = join(dirs[1], "org/example/hello");
    // Root ignores file modes; the immutable flag stops it too.
    try {
      execFileSync("chattr", ["+i", locked], { stdio: "ignore" });
    } catch {
      console.log("    SKIPPED: chattr +i is not supported here");
      return this.skip();
    }
    const before = dirs.map(comparableTree);
    try {
      const run = await runCliProcess(["promote", "--from", example.staging, ...toArgs(urls), ...sshArgs(), "--json"]);
      assert.equal(run.code, 1, run.stderr);
      const report = JSON.parse(run.stdout) as GroupJson;
      assert.equal(report.state, "withdrawn");
      assert.deepEqual(report.targets.map((target) => target.state), ["withdrawn", "untouched", "untouched"]);
      assert.match(run.stderr, /^maven-promote: group promotion \S+ stopped before any commit; nothing changed on any target: .*Operation not permitted.* \[ERR_[A-Z_]+\]\n  hint: /m);
    } finally {
      execFileSync("chattr", ["-i", locked]);
    }
    assert.deepEqual(dirs.map(comparableTree), before);
  });

  /**
   * Runs the group, stopping it at the local target's first commit step (the first target to
   * commit), where `meanwhile` changes the second target's metadata outside the lock: its
   * commit then refuses (ERR_TARGET_CHANGED), after the local target committed.
   */
  async function groupWithSecondCommitFailing(urls: readonly string[], dirs: readonly string[], extra: string[]): Promise<{ code: number | null; report: GroupJson; stderr: string }> {
    const stopAt = "commit:step:0";
    const cli = spawnCli(["promote", "--from", example.staging, ...toArgs(urls), ...sshArgs(), "--json", ...extra], { MAVEN_PROMOTE_STOP_AT: stopAt });
    await cli.waitForEvent(stopAtMatcher(stopAt));
    // The event's line is written just before the process stops itself: nothing else runs meanwhile.
    writeFileSync(join(dirs[1]!, METADATA), readFileSync(join(dirs[1]!, METADATA), "utf8") + "<!-- changed by a writer that ignores the lock -->\n");
    await continueStopped(cli.child.pid!); // once it is stopped: a SIGCONT before the SIGSTOP lands would leave it stopped
    const { code, stdout, stderr } = await cli.exited;
    return { code, report: JSON.parse(stdout) as GroupJson, stderr };
  }

  it("a failure in the second target's commit rolls every target back (--on-partial rollback, the default)", async () => {
    const { dirs, urls } = freshGroup();
    const before = dirs.map(comparableTree);
    const { code, report, stderr } = await groupWithSecondCommitFailing(urls, dirs, []);
    assert.equal(code, 1, stderr);
    assert.equal(report.state, "rolled-back");
    assert.deepEqual(report.targets.map((target) => target.state), ["rolled-back", "rolled-back", "withdrawn"]);
    assert.match(report.targets[1]!.error!, /maven-metadata\.xml: changed on the target since this promotion was planned/);
    assert.match(stderr, /group promotion \S+ rolled back on every target after a commit failed: .* \[ERR_GROUP_ROLLED_BACK\]/);
    // The local target committed and was rolled back; the others never changed (but for the outside writer's line).
    assert.deepEqual(comparableTree(dirs[0]), before[0]);
    assert.deepEqual(comparableTree(dirs[2]), before[2]);
    assert.equal(isNew(dirs[1]), false);
    assert.equal(Object.keys(treeFingerprint(dirs[1])).some((path) => path.includes(".rip")), false);
  });

  it("--on-partial keep keeps the committed target and says so; `rollback ID` with the same --to list undoes the group", async () => {
    const { dirs, urls } = freshGroup();
    const before = dirs.map(comparableTree);
    const { code, report, stderr } = await groupWithSecondCommitFailing(urls, dirs, ["--on-partial", "keep"]);
    assert.equal(code, 1, stderr);
    assert.equal(report.state, "partial");
    assert.deepEqual(report.targets.map((target) => target.state), ["committed", "failed", "withdrawn"]);
    assert.match(stderr, /\[ERR_GROUP_PARTIAL\]\n  hint: .*rollback ID/);
    assert.ok(isNew(dirs[0]));

    const undo = await runCliProcess(["rollback", report.id, ...toArgs(urls), ...sshArgs()]);
    assert.equal(undo.code, 0, undo.stderr);
    assert.match(undo.stdout, /^Rolled back group promotion \S+: every target shows the release before it\.\n/);
    assert.deepEqual(comparableTree(dirs[0]), before[0]);
    assert.deepEqual(comparableTree(dirs[2]), before[2]);
    assert.equal(isNew(dirs[1]), false);
  });

  it("a group killed once every target was prepared is finished by `resume ID` with the same --to list", async () => {
    const { dirs, urls } = freshGroup();
    const stopAt = "commit:step:0";
    const cli = spawnCli(["promote", "--from", example.staging, ...toArgs(urls), ...sshArgs()], { MAVEN_PROMOTE_STOP_AT: stopAt });
    const id = String((await cli.waitForEvent((event) => event.type === "lock:acquired")).id);
    await cli.waitForEvent(stopAtMatcher(stopAt));
    cli.child.kill("SIGKILL");
    await cli.exited;
    assert.equal(isNew(dirs[2]), false); // not committed yet

    // One target alone is not the group: resume with a shorter list would leave it half done, so the full list is used.
    const resumed = await runCliProcess(["resume", id, ...toArgs(urls), ...sshArgs()]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /^Resumed group promotion \S+: every target shows the new release\./);
    for (const dir of dirs) assert.ok(isNew(dir), dir);
    for (const url of urls) {
      const status = await runCliProcess(["status", "--to", url, ...sshArgs()]);
      assert.match(status.stdout, /^Lock: free/, url);
    }
  });
});
