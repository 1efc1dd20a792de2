// The main job end to end, with real parts: the same release promoted by the real CLI into a
// local directory, over SFTP to a real OpenSSH sshd (shell executor), and to a chrooted
// SFTP-only server (transport executor). The trees must be the same, pass `verify`, the real
// Maven client with checksumPolicy=fail, and `gpg --verify` of the new metadata signatures.
// Refused promotions (bad stage, unknown or changed host key, failed authentication) must leave
// the target byte-identical.
import assert from "node:assert/strict";
import { appendFileSync, chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { runCliProcess } from "../helpers/cli.js";
import { makeGpgHome, type GpgHome } from "../helpers/gpg.js";
import { mavenAvailable, resolveWithMaven } from "../helpers/maven-client.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { makeTempDir, removeTempDirs, treeFingerprint } from "../helpers/temp-repos.js";

const METADATA = "org/example/hello/maven-metadata.xml";

/** The tree Maven clients see, minus signatures (each run signs afresh: new salt, new time). */
function comparableTree(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote") && !path.endsWith(".asc")));
}

describe("integration: promote over SFTP to a real sshd", function () {
  this.timeout(180_000);
  let shellServer: SshServer;
  let sftpOnlyServer: SshServer;
  let gpg: GpgHome;
  let keyFile: string;
  let example: { staging: string; target: string };

  before(async function () {
    skipWithoutSshd(this);
    shellServer = await startSshd();
    sftpOnlyServer = await startSshd({ chrootSftpOnly: true });
    gpg = await makeGpgHome();
    keyFile = join(makeTempDir(), "release-key.asc");
    writeFileSync(keyFile, gpg.armoredSecretKey);
    example = writeExampleRepositories(makeTempDir());
  });

  after(async () => {
    await shellServer?.stop();
    await sftpOnlyServer?.stop();
    await gpg?.remove();
    removeTempDirs();
  });

  /** A fresh copy of the example's target, where sshd (running as this user) can write. */
  function freshTarget(parent = makeTempDir()): string {
    const target = join(parent, `target-${Math.random().toString(16).slice(2)}`);
    cpSync(example.target, target, { recursive: true });
    return target;
  }

  function sshArgs(server: SshServer, extra: string[] = []): string[] {
    return ["--identity", server.clientKeyPath, "--known-hosts", server.knownHostsPath, ...extra];
  }

  const signArgs = () => ["--sign-key", keyFile, "--sign-passphrase-env", "RELEASE_KEY_PASSPHRASE"];
  const signEnv = () => ({ RELEASE_KEY_PASSPHRASE: gpg.passphrase });

  it("gives the same tree locally, over SFTP with a shell and over SFTP only; it passes verify, Maven and gpg", async () => {
    const local = freshTarget();
    const viaShell = freshTarget();
    const viaSftpOnly = freshTarget(sftpOnlyServer.sftpRoot!);
    const sftpOnlyName = viaSftpOnly.slice(sftpOnlyServer.sftpRoot!.length + 1);

    const runs = [
      { name: "local", dir: local, args: ["--to", local] },
      { name: "sftp+shell", dir: viaShell, args: ["--to", `sftp://${shellServer.user}@127.0.0.1:${shellServer.port}${viaShell}`, ...sshArgs(shellServer)] },
      {
        name: "sftp-only",
        dir: viaSftpOnly,
        args: ["--to", `sftp://${sftpOnlyServer.user}@127.0.0.1:${sftpOnlyServer.port}/repo/${sftpOnlyName}`, ...sshArgs(sftpOnlyServer, ["--sftp-only"])],
      },
    ];
    for (const run of runs) {
      const result = await runCliProcess(["promote", "--json", "--from", example.staging, ...run.args, ...signArgs()], signEnv());
      assert.equal(result.code, 0, `${run.name}: ${result.stderr}\n${result.stdout}`);
      const json = JSON.parse(result.stdout);
      assert.equal(json.state, "committed", run.name);
      assert.equal(json.executor, run.name === "sftp+shell" ? "shell" : "transport", run.name);
      assert.deepEqual(json.verify, { ok: true, problems: [] }, run.name);
      assert.equal(typeof json.metadataWindowMs, "number", run.name);
      // The commit's barriers reached the disk: sync -f (shell), fsync (local), fsync@openssh.com (SFTP only).
      assert.equal(json.durable, true, run.name);
      const status = JSON.parse((await runCliProcess(["status", "--json", ...run.args])).stdout) as { sync: string | null; promotions: Array<{ durable?: boolean }> };
      assert.equal(status.sync, { local: "fsync", "sftp+shell": "sync -f", "sftp-only": "fsync@openssh.com" }[run.name], run.name);
      assert.equal(status.promotions.at(-1)?.durable, true, run.name);

      const verified = await runCliProcess(["verify", ...run.args]);
      assert.equal(verified.code, 0, `${run.name} verify: ${verified.stdout}${verified.stderr}`);
      assert.match(verified.stdout, /^OK: 1 metadata file, 3 listed versions checked\.$/m);

      const signature = await gpg.verify(join(run.dir, `${METADATA}.asc`), join(run.dir, METADATA));
      assert.equal(signature.code, 0, `${run.name}: gpg --verify failed\n${signature.status}`);
      assert.match(signature.status, new RegExp(`VALIDSIG ${gpg.fingerprint}`));
    }
    assert.deepEqual(comparableTree(viaShell), comparableTree(local), "SFTP with a shell = local");
    assert.deepEqual(comparableTree(viaSftpOnly), comparableTree(local), "SFTP only = local");
    assert.match(readFileSync(join(local, METADATA), "utf8"), /<release>1\.2\.0<\/release>/);

    if (!mavenAvailable()) return assert.fail("mvn is missing: run scripts/install-maven-test-deps.sh");
    for (const dir of [viaShell, viaSftpOnly]) {
      const maven = await resolveWithMaven(dir, [
        { groupId: "org.example", artifactId: "hello", version: "1.2.0" },
        { groupId: "org.example", artifactId: "hello", version: "[1.0,2.0)" },
      ]);
      assert.equal(maven.ok, true, maven.output);
      const versions = maven.perRequest.map((request) => request.resolved.find((artifact) => artifact.artifactId === "hello")?.version);
      assert.deepEqual(versions, ["1.2.0", "1.2.0"], "the range resolves to the promoted version through the merged metadata");
      assert.ok(maven.downloaded.includes(METADATA), "the range was answered by the merged maven-metadata.xml");
    }
  });

  it("pulls an SFTP staging repository and promotes it", async () => {
    const target = freshTarget();
    const result = await runCliProcess([
      "promote", "--from", `sftp://${shellServer.user}@127.0.0.1:${shellServer.port}${example.staging}`, "--to", target, ...sshArgs(shellServer),
    ]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /org\.example:hello {2}1\.2\.0 {2}\(release 1\.1\.0 → 1\.2\.0/);
  });

  describe("refusals leave the target byte-identical", () => {
    async function refused(args: string[], setup?: (target: string) => void, env: NodeJS.ProcessEnv = {}) {
      const target = freshTarget();
      setup?.(target);
      const before = treeFingerprint(target);
      const result = await runCliProcess(["promote", "--to", `sftp://${shellServer.user}@127.0.0.1:${shellServer.port}${target}`, ...args], env);
      assert.deepEqual(treeFingerprint(target), before, "the target is unchanged");
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
      return result;
    }

    it("a stage that fails validation", async () => {
      const staging = join(makeTempDir(), "staging");
      cpSync(example.staging, staging, { recursive: true });
      appendFileSync(join(staging, "org/example/hello/1.2.0/hello-1.2.0.jar"), "tampered");
      const result = await refused(["--from", staging, ...sshArgs(shellServer)]);
      assert.equal(result.code, 4);
      assert.match(result.stdout, /hello-1\.2\.0\.jar: its md5 is [0-9a-f]+ but hello-1\.2\.0\.jar\.md5 says/);
    });

    it("an unknown host key, named by its SHA256 fingerprint", async () => {
      const knownHosts = join(makeTempDir(), "known_hosts");
      writeFileSync(knownHosts, "");
      const result = await refused(["--from", example.staging, "--identity", shellServer.clientKeyPath, "--known-hosts", knownHosts]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^maven-promote: host key for \[127\.0\.0\.1\]:\d+ is unknown \(ssh-ed25519 SHA256:[A-Za-z0-9+/]+\)/);
      assert.equal(readFileSync(knownHosts, "utf8"), "", "nothing was trusted");
    });

    it("a changed host key, even with --accept-new-host-key", async () => {
      const knownHosts = join(makeTempDir(), "known_hosts");
      const other = join(makeTempDir(), "other");
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
      const otherKey = readFileSync(`${other}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
      writeFileSync(knownHosts, `[127.0.0.1]:${shellServer.port} ${otherKey}\n`);
      const result = await refused(["--from", example.staging, "--identity", shellServer.clientKeyPath, "--known-hosts", knownHosts, "--accept-new-host-key"]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /has CHANGED/);
    });

    it("failed authentication", async () => {
      const stranger = join(makeTempDir(), "stranger");
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger]);
      chmodSync(stranger, 0o600);
      const result = await refused(["--from", example.staging, "--identity", stranger, "--known-hosts", shellServer.knownHostsPath]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^maven-promote: .*authentication failed with .*stranger/);
    });

    for (const [mode, flags, message] of [
      ["shell, --unpack tar", ["--unpack", "tar"], /stopped during upload: unpacking the stream failed on .*: tar could not unpack the stream \(tar: org\/example\/hello\/[^)]*: Operation not permitted\)/],
      ["shell, the default (a tar stream)", [], /stopped during upload: unpacking the stream failed on .*: tar could not unpack the stream \(tar: org\/example\/hello\/[^)]*: Operation not permitted\)/],
      ["shell, --unpack zip", ["--unpack", "zip"], /stopped during upload: unpacking the bundle failed on .*: could not write \(no permission, or the disk is full\)/],
      ["sftp-only", ["--sftp-only"], /stopped during upload: org\/example\/hello\/1\.2\.0\.rip: permission denied on 127\.0\.0\.1 \(cannot create\) \[ERR_PERMISSION\]/],
    ] as const) {
      it(`a directory the server may not write to (${mode}): one line, nothing half-uploaded left`, async function () {
        const target = freshTarget();
        const locked = join(target, "org/example/hello");
        // Root ignores file modes; the immutable flag stops it too. Skipped where chattr cannot.
        try {
          execFileSync("chattr", ["+i", locked], { stdio: "ignore" });
        } catch {
          console.log("    SKIPPED: chattr +i is not supported here");
          return this.skip();
        }
        try {
          const before = comparableTree(target);
          const result = await runCliProcess(["promote", "--from", example.staging, "--to", `sftp://${shellServer.user}@127.0.0.1:${shellServer.port}${target}`, ...sshArgs(shellServer, [...flags])]);
          assert.equal(result.code, 1);
          assert.match(result.stderr, /^maven-promote: promotion \S+ /);
          assert.match(result.stderr, message);
          assert.equal(result.stderr.trimEnd().split("\n").length, 2, "one error line and its hint");
          assert.deepEqual(comparableTree(target), before, "what Maven sees is unchanged");
          assert.equal(Object.keys(treeFingerprint(target)).some((path) => path.endsWith(".rip")), false, "no .rip items are left");
        } finally {
          execFileSync("chattr", ["-i", locked]);
        }
      });
    }

    it("a closed port: may pass if tried again (75)", async () => {
      const target = freshTarget();
      const result = await runCliProcess(["promote", "--from", example.staging, "--to", `sftp://nobody@127.0.0.1:1${target}`, "--known-hosts", shellServer.knownHostsPath]);
      assert.equal(result.code, 75);
      assert.match(result.stderr, /^maven-promote: cannot connect to nobody@127\.0\.0\.1:1: connection refused \[ERR_UNAVAILABLE\]/);
    });
  });

  describe("logging in", () => {
    /** A copy of the authorized client key, encrypted with a passphrase (ssh-keygen -p). */
    function encryptedClientKey(passphrase: string): string {
      const key = join(makeTempDir(), "id_ed25519");
      cpSync(shellServer.clientKeyPath, key);
      chmodSync(key, 0o600);
      execFileSync("ssh-keygen", ["-q", "-p", "-N", passphrase, "-f", key]);
      return key;
    }

    it("with an encrypted identity whose passphrase comes from the environment, never printed", async () => {
      const passphrase = "sesame 9917 open";
      const key = encryptedClientKey(passphrase);
      const target = freshTarget();
      const base = ["promote", "--from", example.staging, "--to", `sftp://${shellServer.user}@127.0.0.1:${shellServer.port}${target}`, "--identity", key, "--known-hosts", shellServer.knownHostsPath];
      const before = treeFingerprint(target);
      const missing = await runCliProcess(base);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /^maven-promote: --identity .*id_ed25519: the key is encrypted and the passphrase is missing or wrong \[ERR_SSH_AUTH\]/);
      const wrong = await runCliProcess([...base, "--identity-passphrase-env", "KEY_PASS"], { KEY_PASS: "not it" });
      assert.equal(wrong.code, 2);
      assert.deepEqual(treeFingerprint(target), before, "refused logins change nothing");
      const right = await runCliProcess([...base, "--identity-passphrase-env", "KEY_PASS"], { KEY_PASS: passphrase });
      assert.equal(right.code, 0, right.stderr);
      for (const output of [missing, wrong, right]) assert.ok(!(output.stdout + output.stderr).includes(passphrase));
    });

    it("through ssh-agent when SSH_AUTH_SOCK is set", async () => {
      const socket = join(makeTempDir(), "agent.sock");
      const agent = execFileSync("ssh-agent", ["-a", socket, "-s"], { encoding: "utf8" });
      const pid = /SSH_AGENT_PID=(\d+)/.exec(agent)![1]!;
      try {
        execFileSync("ssh-add", ["-q", shellServer.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: "ignore" });
        const target = freshTarget();
        const result = await runCliProcess(
          ["promote", "--from", example.staging, "--to", `sftp://${shellServer.user}@127.0.0.1:${shellServer.port}${target}`, "--known-hosts", shellServer.knownHostsPath],
          { SSH_AUTH_SOCK: socket },
        );
        assert.equal(result.code, 0, result.stderr);
      } finally {
        process.kill(Number(pid));
      }
    });
  });

  it("--accept-new-host-key trusts a new server, records it, and goes ahead", async () => {
    const knownHosts = join(makeTempDir(), "ssh", "known_hosts");
    mkdirSync(join(knownHosts, ".."));
    const target = freshTarget();
    const result = await runCliProcess([
      "promote", "--from", example.staging, "--to", `sftp://${shellServer.user}@127.0.0.1:${shellServer.port}${target}`,
      "--identity", shellServer.clientKeyPath, "--known-hosts", knownHosts, "--accept-new-host-key",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(knownHosts, "utf8").trim(), `[127.0.0.1]:${shellServer.port} ${shellServer.hostPublicKeyLine.trim()}`);
  });
});
