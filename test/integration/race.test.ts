// Several promotions of different releases started at the same instant against one target,
// locally and over SFTP: each succeeds or fails cleanly with the lock message (exit 3), every
// version of every successful one is listed, and nothing listed before is lost.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { parseMetadata } from "../../src/maven/metadata.js";
import { cliPath } from "../helpers/paths.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { makeTempDir, removeTempDirs } from "../helpers/temp-repos.js";

const VERSIONS = ["1.2.0", "1.3.0", "1.4.0", "1.5.0"];
const METADATA = "org/example/hello/maven-metadata.xml";

interface Outcome {
  version: string;
  code: number;
  stderr: string;
}

function runPromote(staging: string, to: string, extra: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, "promote", "--from", staging, "--to", to, ...extra], { env: { PATH: process.env.PATH } }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stderr });
    });
  });
}

/** One target with 1.0.0 and 1.1.0, and one stage per version in VERSIONS. */
function setUp(parent: string): { target: string; stages: Map<string, string> } {
  const stages = new Map<string, string>();
  let target = "";
  for (const version of VERSIONS) {
    const example = writeExampleRepositories(join(parent, version), { stagedVersion: version });
    stages.set(version, example.staging);
    target ||= example.target;
  }
  const shared = join(parent, "target");
  cpSync(target, shared, { recursive: true });
  return { target: shared, stages };
}

async function race(stages: Map<string, string>, to: string, extra: string[]): Promise<Outcome[]> {
  return Promise.all([...stages].map(async ([version, staging]) => ({ version, ...(await runPromote(staging, to, extra)) })));
}

function checkOutcomes(outcomes: Outcome[], targetDir: string): void {
  for (const outcome of outcomes) {
    assert.ok(outcome.code === 0 || outcome.code === 3, `${outcome.version}: exit ${outcome.code}\n${outcome.stderr}`);
    if (outcome.code === 3) {
      assert.match(outcome.stderr, /^maven-promote: .* is locked by promotion \S+ \(\S+@\S+, pid \d+, since .*\) \[ERR_LOCK_HELD\]/);
    }
  }
  const listed = parseMetadata(readFileSync(join(targetDir, METADATA)), METADATA).metadata.versioning!.versions;
  for (const before of ["1.0.0", "1.1.0"]) assert.ok(listed.includes(before), `${before} is still listed`);
  for (const outcome of outcomes.filter((candidate) => candidate.code === 0)) {
    assert.ok(listed.includes(outcome.version), `${outcome.version} succeeded and is listed: ${listed.join(", ")}`);
    assert.ok(existsSync(join(targetDir, "org/example/hello", outcome.version, `hello-${outcome.version}.jar`)));
  }
  for (const outcome of outcomes.filter((candidate) => candidate.code === 3)) {
    assert.ok(!listed.includes(outcome.version), `${outcome.version} was refused and is not listed`);
  }
  assert.equal(existsSync(join(targetDir, ".maven-promote/lock")), false, "the lock is free again");
}

describe("integration: racing promotions", function () {
  this.timeout(180_000);
  afterEach(removeTempDirs);

  it("local target, no waiting: each succeeds or fails cleanly with the lock message", async () => {
    const { target, stages } = setUp(makeTempDir());
    const outcomes = await race(stages, target, []);
    assert.ok(outcomes.some((outcome) => outcome.code === 0), "at least one wins");
    checkOutcomes(outcomes, target);
  });

  it("local target, --wait: all of them go through, one after another, and none is lost", async () => {
    const { target, stages } = setUp(makeTempDir());
    const outcomes = await race(stages, target, ["--wait", "120s"]);
    assert.deepEqual(outcomes.map((outcome) => outcome.code), VERSIONS.map(() => 0), outcomes.map((outcome) => outcome.stderr).join("\n"));
    checkOutcomes(outcomes, target);
    const listed = parseMetadata(readFileSync(join(target, METADATA)), METADATA).metadata.versioning!;
    assert.equal(listed.release, "1.5.0");
  });

  describe("over SFTP", () => {
    let server: SshServer;
    before(async function () {
      skipWithoutSshd(this);
      server = await startSshd();
    });
    after(async () => server?.stop());

    for (const [label, extra] of [
      ["no waiting", []],
      ["--wait", ["--wait", "120s"]],
    ] as const) {
      it(`${label}: the same guarantees`, async () => {
        const { target, stages } = setUp(makeTempDir());
        const ssh = ["--identity", server.clientKeyPath, "--known-hosts", server.knownHostsPath];
        const outcomes = await race(stages, `sftp://${server.user}@127.0.0.1:${server.port}${target}`, [...extra, ...ssh]);
        if (extra.length > 0) assert.deepEqual(outcomes.map((outcome) => outcome.code), VERSIONS.map(() => 0), outcomes.map((outcome) => outcome.stderr).join("\n"));
        checkOutcomes(outcomes, target);
      });
    }
  });
});
