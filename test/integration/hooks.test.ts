// --hook KIND=COMMAND on the real CLI: each kind passes, stops (before-*) or fails (after-*,
// on-failure), and hangs past --hook-timeout; what each hook saw in its environment, what the
// target holds afterwards, and what the journal and the exit code say.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCliProcess } from "../helpers/cli.js";
import { copyRepoFixture, makeTempDir, removeTempDirs, treeFingerprint } from "../helpers/temp-repos.js";

/** The target's files as a client sees them (no .maven-promote/ bookkeeping). */
function visible(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
}

/** Whether a process still runs (a zombie nobody has reaped yet does not: it ended). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("integration: --hook", function () {
  this.timeout(60_000);
  afterEach(removeTempDirs);

  it("every kind passes: each runs once, in order, with the promotion in its environment", async () => {
    const dirs = copyRepoFixture("basic");
    const log = join(makeTempDir(), "hooks.log");
    const record = (kind: string) => `${kind}=echo "${kind} $MAVEN_PROMOTE_HOOK $MAVEN_PROMOTE_PHASE $MAVEN_PROMOTE_ID $MAVEN_PROMOTE_TARGET" >> ${log}; echo "said by ${kind}"`;
    const plans = makeTempDir();
    const result = await runCliProcess([
      "promote", "--json", "--from", dirs.staging, "--to", dirs.target,
      "--hook", record("before-upload"), "--hook", `before-upload=cp "$MAVEN_PROMOTE_PLAN" ${plans}/plan.json`,
      "--hook", record("before-commit"), "--hook", record("after-commit"), "--hook", record("after-finish"), "--hook", record("on-failure"),
    ]);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.equal(json.state, "committed");
    assert.deepEqual(json.hookFailures, []);
    assert.equal(json.stoppedBy, null);
    assert.deepEqual(readFileSync(log, "utf8").trimEnd().split("\n"), [
      `before-upload before-upload upload ${json.id} ${dirs.target}`,
      `before-commit before-commit commit ${json.id} ${dirs.target}`,
      `after-commit after-commit commit ${json.id} ${dirs.target}`,
      `after-finish after-finish finish ${json.id} ${dirs.target}`,
    ]);
    assert.equal(JSON.parse(readFileSync(join(plans, "plan.json"), "utf8")).id, json.id, "MAVEN_PROMOTE_PLAN is the plan as JSON");
    assert.match(result.stderr, /said by before-upload\n/, "a hook's output is passed through (on stderr: stdout is the JSON's)");
  });

  for (const kind of ["before-upload", "before-commit"]) {
    it(`${kind} exits 3: the promotion stops cleanly (no .rip left, lock released, journal says why), exit 1`, async () => {
      const dirs = copyRepoFixture("basic");
      const before = visible(dirs.target);
      const result = await runCliProcess(["promote", "--json", "--from", dirs.staging, "--to", dirs.target, "--hook", `${kind}=echo "not approved" >&2; exit 3`]);
      assert.equal(result.code, 1, result.stderr);
      const json = JSON.parse(result.stdout);
      assert.equal(json.state, "stopped");
      assert.deepEqual(json.stoppedBy, { hook: kind, exitCode: 3, reason: "exited 3" });
      assert.match(result.stderr, /not approved\n/);
      assert.match(result.stderr, new RegExp(`^maven-promote: promotion ${json.id} stopped by the ${kind} hook \\(exited 3\\); nothing was promoted \\[ERR_HOOK_STOPPED\\]$`, "m"));
      assert.deepEqual(visible(dirs.target), before, "the target is as it was");
      assert.equal(Object.keys(treeFingerprint(dirs.target)).some((path) => path.includes(".rip")), false, "no .rip items");
      assert.equal(existsSync(join(dirs.target, ".maven-promote/lock")), false, "the lock is released");
      // The stop is on record (before the upload, the journal is all that is written), and status shows it.
      const journal = JSON.parse(readFileSync(join(dirs.target, `.maven-promote/${json.id}/journal.json`), "utf8"));
      assert.equal(journal.state, "failed");
      assert.deepEqual(journal.stoppedBy, { hook: kind, exitCode: 3, reason: "exited 3" });
      const status = await runCliProcess(["status", "--to", dirs.target, "--json"]);
      const record = (JSON.parse(status.stdout) as { promotions: Array<{ id: string; state: string; stoppedBy?: unknown }> }).promotions.find((promotion) => promotion.id === json.id);
      assert.deepEqual([record?.state, record?.stoppedBy], ["failed", { hook: kind, exitCode: 3, reason: "exited 3" }]);
      const text = await runCliProcess(["status", "--to", dirs.target]);
      assert.ok(text.stdout.includes(`\n      stopped by the ${kind} hook (exit 3): exited 3\n`), text.stdout);
      // A stopped promotion leaves nothing in the way of the next one.
      const again = await runCliProcess(["promote", "--from", dirs.staging, "--to", dirs.target]);
      assert.equal(again.code, 0, again.stderr);
    });

    it(`${kind} hangs: stopped after --hook-timeout with all it started, and counted as a refusal`, async () => {
      const dirs = copyRepoFixture("basic");
      const pidFile = join(makeTempDir(), "pid");
      const before = visible(dirs.target);
      const result = await runCliProcess(["promote", "--json", "--from", dirs.staging, "--to", dirs.target, "--hook-timeout", "1s", "--hook", `${kind}=sleep 600 & echo $! > ${pidFile}; wait`]);
      assert.equal(result.code, 1, result.stderr);
      const json = JSON.parse(result.stdout);
      assert.deepEqual(json.stoppedBy, { hook: kind, exitCode: null, reason: "did not end within 1 s (--hook-timeout); stopped" });
      assert.equal(alive(Number(readFileSync(pidFile, "utf8"))), false, "the hook's own child was stopped too");
      assert.deepEqual(visible(dirs.target), before);
    });
  }

  for (const kind of ["after-commit", "after-finish"]) {
    it(`${kind} fails (exit 2) or hangs: reported, exit 1, the promotion stands`, async () => {
      for (const [command, reason] of [
        ["exit 2", "exited 2"],
        ["sleep 600", "did not end within 1 s (--hook-timeout); stopped"],
      ] as const) {
        const dirs = copyRepoFixture("basic");
        const log = join(makeTempDir(), "after.log");
        const result = await runCliProcess([
          "promote", "--json", "--from", dirs.staging, "--to", dirs.target, "--hook-timeout", "1s",
          "--hook", `${kind}=${command}`, "--hook", `after-finish=echo ran >> ${log}`,
        ]);
        assert.equal(result.code, 1, result.stderr);
        const json = JSON.parse(result.stdout);
        assert.equal(json.state, "committed");
        assert.deepEqual(json.hookFailures, [{ hook: kind, exitCode: command === "exit 2" ? 2 : null, reason }]);
        assert.match(result.stderr, new RegExp(`^maven-promote: the ${kind} hook of promotion ${json.id} failed \\(.*\\); nothing was undone \\[ERR_HOOK_FAILED\\]$`, "m"));
        assert.ok(existsSync(join(dirs.target, "org/example/demo/1.2/demo-1.2.jar")), "promoted");
        assert.equal(readFileSync(log, "utf8"), "ran\n", "the hooks after it still ran");
      }
    });
  }

  it("on-failure runs when a phase fails, with the error; its own failure is reported too", async () => {
    const dirs = copyRepoFixture("basic");
    const seen = join(makeTempDir(), "failure");
    // before-commit passes but takes a staged item away: the commit then fails for real.
    const result = await runCliProcess([
      "promote", "--from", dirs.staging, "--to", dirs.target, "--executor", "transport",
      "--hook", `before-commit=rm -rf "${dirs.target}/org/example/demo/1.2.rip"`,
      "--hook", `on-failure=echo "$MAVEN_PROMOTE_PHASE: $MAVEN_PROMOTE_ERROR" > ${seen}; exit 5`,
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(readFileSync(seen, "utf8"), /^commit: .*1\.2\.rip/);
    assert.match(result.stderr, /^maven-promote: promotion \S+ stopped during commit: /m);
  });

  it("a bad --hook is one line (exit 2); hooks also come from the config file", async () => {
    const dirs = copyRepoFixture("basic");
    const bad = await runCliProcess(["promote", "--from", dirs.staging, "--to", dirs.target, "--hook", "during-commit=true"]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.split("\n")[0], `maven-promote: --hook "during-commit=true": expected KIND=COMMAND with KIND one of before-upload, before-commit, after-commit, after-finish, on-failure [ERR_USAGE]`);
    const project = makeTempDir();
    const log = join(project, "from-config.log");
    writeFileSync(join(project, "maven-promote.json"), JSON.stringify({ hook: [`before-upload=echo configured > ${log}`] }));
    const configured = await runCliProcess(["promote", "--from", dirs.staging, "--to", dirs.target], {}, project);
    assert.equal(configured.code, 0, configured.stderr);
    assert.equal(readFileSync(log, "utf8"), "configured\n");
    assert.deepEqual(readdirSync(join(dirs.target, "org/example/demo")).includes("1.2"), true);
  });
});
