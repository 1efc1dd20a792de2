// `maven-promote plan` as users and scripts run it: the real executable in a child process,
// its exit codes, its report, its JSON, and one clear line for each kind of bad input.
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as openpgp from "openpgp";
import { runCliProcess, type CliResult } from "../../helpers/cli.js";
import { copyRepoFixture, makeTempDir, removeTempDirs, treeFingerprint } from "../../helpers/temp-repos.js";

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCliProcess(args, env);
}

/** Every refusal is a single line (plus its hint), never a stack trace. */
function assertOneLineError(result: CliResult, pattern: RegExp): void {
  const lines = result.stderr.trimEnd().split("\n");
  assert.ok(lines.length <= 2, `at most an error line and a hint line:\n${result.stderr}`);
  assert.match(lines[0]!, /^maven-promote: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
}

describe("maven-promote plan (CLI)", () => {
  afterEach(removeTempDirs);

  it("prints the report and exits 0 when the promotion could proceed", async () => {
    const dirs = copyRepoFixture("basic");
    const before = treeFingerprint(dirs.root);
    const result = await cli(["plan", "--from", dirs.staging, "--to", dirs.target]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Promotion 20261122T101500Z-[0-9a-f]{4}: /);
    assert.match(result.stdout, /org\.example:demo\n  versions added  1\.2\n  release         1\.1 → 1\.2\n  latest          1\.1 → 1\.2/);
    assert.match(result.stdout, /org\/example\/demo\/1\.2\/demo-1\.2\.jar +33 B/);
    assert.match(result.stdout, /Result: the promotion can proceed\. Nothing was written\.\n$/);
    assert.deepEqual(treeFingerprint(dirs.root), before);
  });

  it("--json prints one object with the documented fields", async () => {
    const dirs = copyRepoFixture("plugin");
    const result = await cli(["plan", "--json", "--from", dirs.staging, "--to", `file://${dirs.target}`]);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.equal(json.ok, true);
    assert.deepEqual(json.errors, []);
    const artifact = json.metadata.find((entry: { kind: string }) => entry.kind === "artifact");
    assert.deepEqual(
      { path: artifact.path, groupId: artifact.groupId, artifactId: artifact.artifactId, versionsAdded: artifact.versionsAdded, latest: artifact.latest, release: artifact.release, pluginsAdded: artifact.pluginsAdded },
      {
        path: "org/example/plugins/demo-maven-plugin/maven-metadata.xml",
        groupId: "org.example.plugins",
        artifactId: "demo-maven-plugin",
        versionsAdded: ["1.0"],
        latest: { before: null, after: "1.0" },
        release: { before: null, after: "1.0" },
        pluginsAdded: [],
      },
    );
    const group = json.metadata.find((entry: { kind: string }) => entry.kind === "group");
    assert.deepEqual(group.pluginsAdded, [{ prefix: "demo", artifactId: "demo-maven-plugin", name: "Demo Maven Plugin" }]);
    for (const upload of json.uploads) {
      assert.equal(typeof upload.path, "string");
      assert.equal(typeof upload.size, "number");
      assert.equal(upload.content, undefined, "file contents stay out of the JSON");
    }
  });

  it("exits 4 and lists every problem, each naming its file", async () => {
    const dirs = copyRepoFixture("basic");
    appendFileSync(join(dirs.staging, "org/example/demo/1.2/demo-1.2.jar"), "tampered");
    writeFileSync(join(dirs.staging, "org/example/demo/1.2/demo-1.2.pom"), "<project><groupId>org.evil</groupId></project>");
    const before = treeFingerprint(dirs.target);
    const text = await cli(["plan", "--from", dirs.staging, "--to", dirs.target]);
    assert.equal(text.code, 4);
    assert.match(text.stdout, /Errors \(\d+\):/);
    assert.match(text.stdout, /org\/example\/demo\/1\.2\/demo-1\.2\.jar: its md5 is/);
    assert.match(text.stdout, /demo-1\.2\.pom: groupId is "org\.evil" but its path says "org\.example" \[ERR_POM_MISMATCH\]/);
    assert.match(text.stdout, /Result: refused/);
    const json = await cli(["plan", "--json", "--from", dirs.staging, "--to", dirs.target]);
    assert.equal(json.code, 4);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.ok, false);
    for (const error of parsed.errors) assert.deepEqual(Object.keys(error).sort(), ["code", "message", "path"]);
    assert.ok(parsed.errors.some((error: { code: string; path: string }) => error.code === "ERR_CHECKSUM_MISMATCH" && error.path === "org/example/demo/1.2/demo-1.2.jar"));
    // Both forms also say why on stderr, one line per problem.
    for (const result of [text, json]) {
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, parsed.errors.length, result.stderr);
      assert.deepEqual(lines, parsed.errors.map((error: { code: string; message: string }) => `maven-promote: ${error.message} [${error.code}]`));
    }
    assert.deepEqual(treeFingerprint(dirs.target), before);
  });

  it("a refusal with more than 10 problems: 10 lines on stderr, then how many more", async () => {
    const dirs = copyRepoFixture("basic");
    const version = join(dirs.staging, "org/example/demo/1.2");
    for (let index = 0; index < 12; index++) writeFileSync(join(version, `stray-${String(index).padStart(2, "0")}.txt.sha1`), "not a digest\n");
    const result = await cli(["plan", "--from", dirs.staging, "--to", dirs.target]);
    assert.equal(result.code, 4);
    const count = Number(/^Errors \((\d+)\):$/m.exec(result.stdout)![1]);
    assert.ok(count > 10, result.stdout);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 11, result.stderr);
    assert.equal(lines[10], `maven-promote: and ${count - 10} more problem${count - 10 === 1 ? "" : "s"} (all of them are in the report on stdout)`);
  });

  describe("usage and configuration errors exit 2 with one line", () => {
    it("an unknown option", async () => {
      const result = await cli(["plan", "--from", "a", "--to", "b", "--frobnicate"]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /unknown option '--frobnicate'/);
    });

    it("a missing --to", async () => {
      const result = await cli(["plan", "--from", "a"]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /required option '--to <repo>' not specified/);
    });

    it("an unknown --metadata-mode", async () => {
      const result = await cli(["plan", "--from", "a", "--to", "b", "--metadata-mode", "nexus"]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--metadata-mode/);
    });

    it("a target that does not exist", async () => {
      const dirs = copyRepoFixture("basic");
      const result = await cli(["plan", "--from", dirs.staging, "--to", join(dirs.root, "nope")]);
      assert.equal(result.code, 2);
      assertOneLineError(result, /--to .*nope: target repository .* is not a directory \[ERR_REPOSITORY_NOT_FOUND\]/);
    });

    it("an unknown checksum algorithm", async () => {
      const dirs = copyRepoFixture("basic");
      const result = await cli(["plan", "--from", dirs.staging, "--to", dirs.target, "--checksums", "sha256,crc32"]);
      assert.equal(result.code, 2);
      assertOneLineError(result, /--checksums: unknown algorithm "crc32"/);
    });

    it("a signing key file that does not exist", async () => {
      const dirs = copyRepoFixture("basic");
      const result = await cli(["plan", "--from", dirs.staging, "--to", dirs.target, "--sign-key", join(dirs.root, "missing.asc")]);
      assert.equal(result.code, 2);
      assertOneLineError(result, /--sign-key .*missing\.asc: cannot read the file \(ENOENT\)/);
    });

    it("a passphrase variable that is not set, with --json still printing JSON", async () => {
      const dirs = copyRepoFixture("basic");
      const keyFile = join(makeTempDir(), "key.asc");
      writeFileSync(keyFile, "irrelevant");
      const result = await cli(["plan", "--json", "--from", dirs.staging, "--to", dirs.target, "--sign-key", keyFile, "--sign-passphrase-env", "NO_SUCH_VARIABLE"]);
      assert.equal(result.code, 2);
      assertOneLineError(result, /--sign-passphrase-env: the environment variable NO_SUCH_VARIABLE is not set/);
      assert.equal(JSON.parse(result.stdout).ok, false);
    });
  });

  describe("secrets", () => {
    it("never prints the passphrase or the key, even when the passphrase is wrong", async () => {
      const passphrase = "correct horse battery staple 7731";
      const { privateKey } = await openpgp.generateKey({ type: "curve25519", userIDs: [{ email: "release@example.org" }], passphrase, format: "armored" });
      const keyFile = join(makeTempDir(), "release-key.asc");
      writeFileSync(keyFile, privateKey);
      const dirs = copyRepoFixture("basic");
      const wrong = await cli(["plan", "--from", dirs.staging, "--to", dirs.target, "--sign-key", keyFile, "--sign-passphrase-env", "RELEASE_PASS"], { RELEASE_PASS: "wrong " + passphrase });
      assert.equal(wrong.code, 2);
      assertOneLineError(wrong, /release-key\.asc: the passphrase does not unlock the private key [0-9A-F]+/);
      const right = await cli(["plan", "--json", "--from", dirs.staging, "--to", dirs.target, "--sign-key", keyFile, "--sign-passphrase-env", "RELEASE_PASS"], { RELEASE_PASS: passphrase });
      assert.equal(right.code, 0, right.stderr);
      assert.equal(JSON.parse(right.stdout).metadata[0].signature, "sign");
      const keyBody = privateKey.split("\n").filter((line) => line.length > 40)[1]!;
      for (const output of [wrong.stdout, wrong.stderr, right.stdout, right.stderr]) {
        assert.ok(!output.includes(passphrase), "the passphrase never appears");
        assert.ok(!output.includes(keyBody), "key material never appears");
      }
      assert.ok(readFileSync(keyFile, "utf8") === privateKey);
    });
  });

  it("--help and --version exit 0", async () => {
    const help = await cli(["plan", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--metadata-mode <mode>/);
    const version = await cli(["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
