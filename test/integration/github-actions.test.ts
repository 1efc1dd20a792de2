// Under a simulated GitHub Actions runner (GITHUB_ACTIONS=true, and the GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files a runner provides): the plain CLI and the action's entry
// (dist/src/action/entry.js, what action.yml runs) mask secrets, annotate stage problems (10 at
// most, the rest counted), write the job summary and set the step outputs. The action promotes
// over SFTP to the test sshd with the SSH key, known_hosts and signing key given as inputs.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ACTION_INPUTS, inputVariable } from "../../src/action/main.js";
import { runCliProcess } from "../helpers/cli.js";
import { makeGpgHome, type GpgHome } from "../helpers/gpg.js";
import { projectRoot } from "../helpers/paths.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { copyRepoFixture, makeTempDir, removeTempDirs } from "../helpers/temp-repos.js";

const run = promisify(execFile);

/** The files a runner gives a step, and the variables that name them. */
function runnerEnvironment(): { env: NodeJS.ProcessEnv; output: string; summary: string } {
  const dir = makeTempDir();
  const output = join(dir, "github_output");
  const summary = join(dir, "step_summary");
  writeFileSync(output, "");
  writeFileSync(summary, "");
  return { env: { GITHUB_ACTIONS: "true", CI: "true", GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary, RUNNER_TEMP: dir }, output, summary };
}

function outputsOf(file: string): Record<string, string> {
  return Object.fromEntries(readFileSync(file, "utf8").trimEnd().split("\n").filter(Boolean).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
}

describe("integration: GitHub Actions (a simulated runner)", function () {
  this.timeout(120_000);
  let gpg: GpgHome;
  let sshd: SshServer;

  before(async function () {
    skipWithoutSshd(this);
    gpg = await makeGpgHome("sign me 7");
    sshd = await startSshd();
  });

  after(async () => {
    await sshd?.stop();
    await gpg?.remove();
    removeTempDirs();
  });

  it("a refused stage: 10 annotations, the rest counted in one line, and a summary saying so", async () => {
    const dirs = copyRepoFixture("basic");
    for (let index = 0; index < 12; index++) writeFileSync(join(dirs.staging, `org/example/demo/1.2/stray-${String(index).padStart(2, "0")}.txt.sha1`), "not a digest\n");
    const runner = runnerEnvironment();
    const summaryFile = join(makeTempDir(), "summary.md");
    const result = await runCliProcess(["promote", "--from", dirs.staging, "--to", dirs.target, "--summary", summaryFile], runner.env);
    assert.equal(result.code, 4);
    const annotations = result.stderr.split("\n").filter((line) => line.startsWith("::error "));
    assert.equal(annotations.length, 10, result.stderr);
    for (const line of annotations) assert.match(line, /^::error file=org\/example\/demo\/1\.2\/[^,]+,title=ERR_[A-Z_]+::org\/example\/demo\/1\.2\/.* /);
    const total = Number(/^Errors \((\d+)\):$/m.exec(result.stdout)![1]);
    assert.match(result.stderr, new RegExp(`^maven-promote: ${total - 10} more problems not annotated \\(${total} errors, 0 warnings in all: see the report or the job summary\\)$`, "m"));
    const summary = readFileSync(runner.summary, "utf8");
    assert.match(summary, /^## maven-promote: refused\n/);
    assert.match(summary, new RegExp(`The stage was refused: ${total} problems\\. Nothing was written\\.`));
    assert.equal(readFileSync(summaryFile, "utf8"), summary, "--summary writes the same Markdown");
    assert.deepEqual(outputsOf(runner.output).state, "planned");
  });

  it("the plain CLI: the passphrase masked, outputs for later steps, a job summary with the table, the phases and verify", async () => {
    const dirs = copyRepoFixture("basic");
    const runner = runnerEnvironment();
    const keyFile = join(makeTempDir(), "sign.asc");
    writeFileSync(keyFile, gpg.armoredSecretKey);
    const result = await runCliProcess(["promote", "--json", "--from", dirs.staging, "--to", dirs.target, "--sign-key", keyFile, "--sign-passphrase-env", "SIGN_PASS"], { ...runner.env, SIGN_PASS: gpg.passphrase });
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.match(result.stderr, /^::add-mask::sign me 7$/m, "the passphrase is masked before anything else");
    assert.deepEqual(outputsOf(runner.output), { "promotion-id": json.id, versions: "org.example:demo:1.2", "metadata-window-ms": String(json.metadataWindowMs ?? ""), state: "committed" });
    const summary = readFileSync(runner.summary, "utf8");
    assert.match(summary, /^## maven-promote: committed\n/);
    assert.match(summary, /\| `org\.example:demo` \| 1\.2 \| 1\.1 → 1\.2 \| 1\.1 → 1\.2 \|/);
    assert.match(summary, /\| phase \| time \|\n\| --- \| --- \|\n(\| (plan|stage|upload|commit|verify|finish) \| \d+\.\d\d s \|\n){6}/);
    assert.match(summary, /Verified: every changed file reads back as planned\./);
    assert.doesNotMatch(summary + result.stdout, /sign me 7/);
  });

  it("the action's entry: SSH key, known_hosts and signing key from inputs; promoted over SFTP; masks, outputs and summary; no key left on disk", async () => {
    const dirs = copyRepoFixture("basic");
    const runner = runnerEnvironment();
    const before = readdirSync(tmpdir()).filter((name) => name.startsWith("maven-promote-action-"));
    const inputs: Record<string, string> = {
      from: dirs.staging,
      to: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${dirs.target}`,
      "ssh-key": readFileSync(sshd.clientKeyPath, "utf8"),
      "known-hosts": readFileSync(sshd.knownHostsPath, "utf8"),
      "sign-key": gpg.armoredSecretKey,
      "sign-key-passphrase": gpg.passphrase,
      args: "--checksums sha256 --ssh-config none",
    };
    const env = { PATH: process.env.PATH, MAVEN_PROMOTE_NOW: "2026-11-22T10:15:00Z", ...runner.env, ...Object.fromEntries(Object.entries(inputs).map(([name, value]) => [inputVariable(name as never), value])) };
    let result: { stdout: string; stderr: string; code: number };
    try {
      const ran = await run(process.execPath, [join(projectRoot, "dist/src/action/entry.js")], { env, maxBuffer: 16 * 1024 * 1024 });
      result = { ...ran, code: 0 };
    } catch (error) {
      result = error as { stdout: string; stderr: string; code: number };
    }
    assert.equal(result.code, 0, result.stderr);
    // Every line of every secret is masked.
    const masked = new Set(result.stderr.split("\n").filter((line) => line.startsWith("::add-mask::")).map((line) => line.slice("::add-mask::".length)));
    for (const secret of [inputs["ssh-key"]!, inputs["sign-key"]!, inputs["sign-key-passphrase"]!]) {
      for (const line of secret.split("\n").filter((text) => text.trim() !== "")) assert.ok(masked.has(line), `masked: ${line.slice(0, 20)}…`);
    }
    const outputs = outputsOf(runner.output);
    assert.equal(outputs.state, "committed");
    assert.equal(outputs.versions, "org.example:demo:1.2");
    assert.match(outputs["promotion-id"]!, /^20261122T101500Z-[0-9a-f]{4}$/);
    assert.match(readFileSync(runner.summary, "utf8"), /\| `org\.example:demo` \| 1\.2 \|/);
    assert.ok(existsSync(join(dirs.target, "org/example/demo/1.2/demo-1.2.jar.sha256")), "--checksums from args");
    assert.ok(existsSync(join(dirs.target, "org/example/demo/maven-metadata.xml.asc")), "the metadata was signed with the sign-key input");
    const after = readdirSync(tmpdir()).filter((name) => name.startsWith("maven-promote-action-"));
    assert.deepEqual(after, before, "the key files' directory is removed");
  });

  it("action.yml declares exactly the inputs the entry reads, and passes each to it", () => {
    const yml = readFileSync(join(projectRoot, "action.yml"), "utf8");
    const inputsBlock = yml.slice(yml.indexOf("\ninputs:\n"), yml.indexOf("\noutputs:\n"));
    const declared = [...inputsBlock.matchAll(/^ {2}([a-z-]+):$/gm)].map((match) => match[1]);
    assert.deepEqual([...declared].sort(), [...ACTION_INPUTS].sort());
    for (const name of ACTION_INPUTS) assert.ok(yml.includes(`${inputVariable(name)}: \${{ inputs.${name} }}`), `action.yml passes ${name}`);
    for (const output of ["promotion-id", "versions", "metadata-window-ms", "state"]) assert.match(yml, new RegExp(`^ {2}${output}:\\n.*\\n {4}value: \\$\\{\\{ steps\\.run\\.outputs\\.${output} \\}\\}$`, "m"));
    assert.match(yml, /using: composite/);
  });
});
