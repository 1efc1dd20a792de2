// Settings from maven-promote.json and MAVEN_PROMOTE_* variables: flags > environment > file >
// defaults, the nearest file found from the current directory up, every bad key or value one
// line naming the file (or variable) and what was expected, and `config` showing the sources.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCliProcess } from "../../helpers/cli.js";
import { copyRepoFixture, makeTempDir, removeTempDirs, treeFingerprint } from "../../helpers/temp-repos.js";

function configFile(dir: string, values: unknown): string {
  const path = join(dir, "maven-promote.json");
  writeFileSync(path, JSON.stringify(values));
  return path;
}

describe("project config file and environment", () => {
  afterEach(removeTempDirs);

  it("flags beat the environment, which beats the file; plan --json says where each came from", async () => {
    const dirs = copyRepoFixture("basic");
    const other = copyRepoFixture("basic");
    const file = configFile(makeTempDir(), { from: dirs.staging, to: "/nonexistent/from-file", "metadata-mode": "maven" });
    const fromEnv = await runCliProcess(["plan", "--json", "--config", file], { MAVEN_PROMOTE_TO: dirs.target });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    const settings = JSON.parse(fromEnv.stdout).settings;
    assert.deepEqual(settings.from, { source: "config", value: dirs.staging });
    assert.deepEqual(settings.to, { source: "env", value: dirs.target });
    assert.deepEqual(settings["metadata-mode"], { source: "config", value: "maven" });
    assert.equal(settings.checksums, undefined, "unset options are not listed");

    const fromFlag = await runCliProcess(["plan", "--json", "--config", file, "--to", other.target], { MAVEN_PROMOTE_TO: dirs.target });
    assert.equal(fromFlag.code, 0, fromFlag.stderr);
    assert.deepEqual(JSON.parse(fromFlag.stdout).settings.to, { source: "cli", value: other.target });
  });

  it("--to from the file is one target; flags replace it, and repeated make a group (plan takes one)", async () => {
    const dirs = copyRepoFixture("basic");
    const other = copyRepoFixture("basic");
    const file = configFile(makeTempDir(), { from: dirs.staging, to: dirs.target });
    const group = await runCliProcess(["plan", "--json", "--config", file, "--to", dirs.target, "--to", other.target]);
    assert.equal(group.code, 2); // 2 times, not 3: the file's --to is replaced by the flags, not added to
    assert.match(group.stderr, /^maven-promote: --to is given 2 times: plan takes one target \(promote, resume and rollback take several\) \[ERR_USAGE\]/);
    const hooked = await runCliProcess(["promote", "--hook", "before-commit=true", "--config", file, "--to", dirs.target, "--to", other.target]);
    assert.equal(hooked.code, 2, "a group refuses what it cannot do yet");
    assert.match(hooked.stderr, /^maven-promote: --hook is not yet available with several --to targets/);
    const before = [treeFingerprint(dirs.target), treeFingerprint(other.target)];
    const twice = await runCliProcess(["promote", "--config", file, "--to", dirs.target, "--to", dirs.target]);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, new RegExp(`^maven-promote: --to ${dirs.target} is given twice \\[ERR_USAGE\\]\n`));
    const badPartial = await runCliProcess(["promote", "--config", file, "--to", dirs.target, "--to", other.target, "--on-partial", "maybe"]);
    assert.equal(badPartial.code, 2);
    assert.match(badPartial.stderr, /^maven-promote: option '--on-partial <what>' argument 'maybe' is invalid\. Allowed choices are rollback, keep\. \[ERR_USAGE\]\n/);
    const dryRun = await runCliProcess(["promote", "--dry-run", "--json", "--config", file, "--to", other.target, "--to", dirs.target]);
    assert.equal(dryRun.code, 0, dryRun.stderr);
    const plans = JSON.parse(dryRun.stdout) as { dryRun: boolean; ok: boolean; targets: Array<{ to: string; ok: boolean }> };
    assert.deepEqual(plans.targets.map((entry) => [entry.to, entry.ok]), [dirs.target, other.target].sort().map((to) => [to, true]));
    assert.deepEqual([treeFingerprint(dirs.target), treeFingerprint(other.target)], before, "refusals and a dry run write nothing anywhere");
  });

  it("a group's targets in the file are --to for promote, resume and rollback; a --to flag replaces them", async () => {
    const dirs = copyRepoFixture("basic");
    const other = copyRepoFixture("basic");
    const file = configFile(makeTempDir(), { from: dirs.staging, targets: [other.target, dirs.target] });
    const group = await runCliProcess(["promote", "--dry-run", "--json", "--config", file]);
    assert.equal(group.code, 0, group.stderr);
    assert.deepEqual((JSON.parse(group.stdout) as { targets: Array<{ to: string }> }).targets.map((entry) => entry.to), [dirs.target, other.target].sort());
    const one = await runCliProcess(["promote", "--dry-run", "--json", "--config", file, "--to", dirs.target]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal((JSON.parse(one.stdout) as { target: string }).target, dirs.target);
    const both = configFile(makeTempDir(), { from: dirs.staging, to: dirs.target, targets: [dirs.target, other.target] });
    const refused = await runCliProcess(["promote", "--dry-run", "--config", both]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /: "to" and "targets" are both given: one target, or a group \[ERR_CONFIG\]/);
  });

  it("finds maven-promote.json in the current directory or above", async () => {
    const dirs = copyRepoFixture("basic");
    const project = makeTempDir();
    configFile(project, { from: dirs.staging, to: dirs.target });
    const deeper = join(project, "a", "b");
    mkdirSync(deeper, { recursive: true });
    const result = await runCliProcess(["plan", "--json"], {}, deeper);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).settings.to.source, "config");
  });

  it("a repeatable flag replaces the file's list instead of adding to it", async () => {
    const dirs = copyRepoFixture("basic");
    const file = configFile(makeTempDir(), { to: dirs.target, path: ["no/such/prefix"] });
    const fromFile = await runCliProcess(["verify", "--config", file]);
    assert.equal(fromFile.code, 1, "the file's prefix is checked");
    assert.match(fromFile.stdout, /no\/such\/prefix: not found on the target/);
    const replaced = await runCliProcess(["verify", "--config", file, "--path", "org/example"]);
    assert.equal(replaced.code, 0, replaced.stdout + replaced.stderr);
  });

  it("an unknown key, a wrong type, a bad choice, bad JSON and a bad variable are one line each", async () => {
    const dir = makeTempDir();
    const cases: Array<[unknown, RegExp]> = [
      [{ tos: "x" }, /: "tos": not an option of maven-promote \(known: .*\bto\b.*\) \[ERR_CONFIG\]$/],
      [{ json: "yes" }, /: "json": expected true or false \[ERR_CONFIG\]$/],
      [{ executor: "fast" }, /: "executor": expected one of auto, shell, transport \[ERR_CONFIG\]$/],
      [["to"], /: the file: an object of options/],
    ];
    for (const [values, pattern] of cases) {
      const file = configFile(dir, values);
      const result = await runCliProcess(["plan", "--config", file]);
      assert.equal(result.code, 2, result.stderr);
      const first = result.stderr.split("\n")[0]!;
      assert.ok(first.startsWith(`maven-promote: ${file}: `), first);
      assert.match(first, pattern);
    }
    writeFileSync(join(dir, "broken.json"), "{ to: ");
    const broken = await runCliProcess(["plan", "--config", join(dir, "broken.json")]);
    assert.match(broken.stderr.split("\n")[0]!, new RegExp(`^maven-promote: ${join(dir, "broken.json")}: not valid JSON`));
    const variable = await runCliProcess(["plan", "--from", dir, "--to", dir], { MAVEN_PROMOTE_SFTP_ONLY: "perhaps" });
    assert.equal(variable.code, 2);
    assert.equal(variable.stderr.split("\n")[0], 'maven-promote: MAVEN_PROMOTE_SFTP_ONLY="perhaps": expected true or false (1/0, yes/no) [ERR_CONFIG]');
  });

  it("`config --json` prints a command's settings and their sources", async () => {
    const file = configFile(makeTempDir(), { to: "/srv/maven", "trusted-keys": "keys.asc" });
    const result = await runCliProcess(["config", "--json", "--config", file], { MAVEN_PROMOTE_EXECUTOR: "transport" });
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.equal(json.command, "promote");
    assert.equal(json.configFile, file);
    assert.deepEqual(json.settings.to, { source: "config", value: "/srv/maven" });
    assert.deepEqual(json.settings.executor, { source: "env", value: "transport" });
    assert.deepEqual(json.settings.wait, { source: "default", value: "0" });
    const text = await runCliProcess(["config", "--config", file]);
    assert.match(text.stdout, new RegExp(`^  to +"/srv/maven" +config ${file}$`, "m"));
  });
});
