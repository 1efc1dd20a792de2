// When stdout cannot take the output: its reader left (`promote --json | head -c 20`, a consumer
// that crashed) or it is a file on a full disk. The command must still run to its end (a promotion
// never stops half-way over a lost report) and never end with a stack trace. A reader that left is
// the reader's choice: exit code and stderr stay the command's own, as with tools that SIGPIPE
// ends quietly. A full disk loses output a script asked for: one line on stderr, and exit 1.
// Each case is deterministic: the reader is gone before the first write, or leaves after its first
// chunk of a report many times larger than a pipe holds, or the file is /dev/full.
import assert from "node:assert/strict";
import { spawn, spawnSync, type StdioOptions } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { join } from "node:path";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { runCliProcess } from "../helpers/cli.js";
import { cliPath } from "../helpers/paths.js";
import { makeTempDir, removeTempDirs } from "../helpers/temp-repos.js";

const ENV = { PATH: process.env.PATH, MAVEN_PROMOTE_NOW: "2026-11-22T10:15:00Z" };

/** A pipe's write end whose only reader has already closed: every write to it fails with EPIPE. */
function pipeWithNoReader(): number {
  const fifo = join(makeTempDir(), "fifo");
  spawnSync("mkfifo", [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  closeSync(reader);
  return writer;
}

function runWithStdout(args: string[], stdout: number): { code: number | null; stderr: string } {
  const stdio: StdioOptions = ["ignore", stdout, "pipe"];
  const result = spawnSync(process.execPath, [cliPath, ...args], { env: ENV, stdio, encoding: "utf8" });
  closeSync(stdout);
  return { code: result.status, stderr: result.stderr };
}

async function assertPromoted(target: string): Promise<void> {
  const verified = await runCliProcess(["verify", "--to", target]);
  assert.equal(verified.code, 0, verified.stderr);
  const status = await runCliProcess(["status", "--to", target, "--json"]);
  assert.equal(JSON.parse(status.stdout).promotions[0].state, "committed", status.stdout);
}

describe("stdout that cannot take the output", function () {
  this.timeout(120_000);
  after(removeTempDirs);

  it("plan --json into a pipe whose reader has gone: exit 0 and nothing on stderr, no 'Unhandled error' stack", () => {
    const repos = writeExampleRepositories(makeTempDir());
    const { code, stderr } = runWithStdout(["plan", "--json", "--from", repos.staging, "--to", repos.target], pipeWithNoReader());
    assert.equal(stderr, "");
    assert.equal(code, 0);
  });

  it("promote --json into a pipe whose reader has gone: the promotion commits, exit 0, nothing on stderr", async () => {
    const repos = writeExampleRepositories(makeTempDir());
    const { code, stderr } = runWithStdout(["promote", "--json", "--from", repos.staging, "--to", repos.target], pipeWithNoReader());
    assert.equal(stderr, "");
    assert.equal(code, 0);
    await assertPromoted(repos.target);
  });

  it("promote --json whose reader leaves after its first chunk of a 1 MB report (`| head -c 20`): exit 0, nothing on stderr", async () => {
    const repos = writeExampleRepositories(makeTempDir(), { extraArtifacts: 300 });
    const child = spawn(process.execPath, [cliPath, "promote", "--json", "--from", repos.staging, "--to", repos.target], { env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    let firstChunk = "";
    child.stdout.once("data", (chunk: Buffer) => {
      firstChunk = chunk.toString();
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", (exitCode) => resolve(exitCode)));
    assert.match(firstChunk, /^\{/, "the report had begun");
    assert.equal(stderr, "");
    assert.equal(code, 0);
    await assertPromoted(repos.target);
  });

  it("promote --json with stdout on a full disk (/dev/full): one line naming stdout, exit 1, and the promotion commits", async () => {
    const repos = writeExampleRepositories(makeTempDir());
    const { code, stderr } = runWithStdout(["promote", "--json", "--from", repos.staging, "--to", repos.target], openSync("/dev/full", "w"));
    assert.equal(stderr, "maven-promote: could not write to stdout: ENOSPC: no space left on device, write [ERR_IO]\n  hint: Check where stdout goes: the output is incomplete.\n");
    assert.equal(code, 1);
    await assertPromoted(repos.target);
  });
});
