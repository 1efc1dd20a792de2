// sftp://ALIAS/path through an OpenSSH client config: HostName, Port, User, IdentityFile,
// UserKnownHostsFile and StrictHostKeyChecking come from the config, ProxyJump goes through a
// second private sshd (the jump host's own log shows the forwarded connection), and a config that
// would switch host key checking off is refused in one line naming the file, target untouched.
import assert from "node:assert/strict";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { runCliProcess } from "../helpers/cli.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { makeTempDir, removeTempDirs, treeFingerprint } from "../helpers/temp-repos.js";

describe("integration: sftp://ALIAS resolved through an ssh config", function () {
  this.timeout(120_000);
  let target: SshServer;
  let jump: SshServer;
  let example: { staging: string; target: string };

  before(async function () {
    skipWithoutSshd(this);
    target = await startSshd();
    // DEBUG1 makes sshd log each forwarded (direct-tcpip) connection it opens for a client.
    jump = await startSshd({ extraConfig: ["LogLevel DEBUG1"] });
    example = writeExampleRepositories(makeTempDir());
  });

  after(async () => {
    await target?.stop();
    await jump?.stop();
    removeTempDirs();
  });

  function freshTarget(): string {
    const dir = join(makeTempDir(), "target");
    cpSync(example.target, dir, { recursive: true });
    return dir;
  }

  /** A config naming both servers by alias only; `extra` lines go into the repository host's block. */
  function writeConfig(extra: string[] = []): string {
    const path = join(makeTempDir(), "ssh_config");
    writeFileSync(
      path,
      [
        "Host repo-alias",
        "  HostName 127.0.0.1",
        `  Port ${target.port}`,
        `  User ${target.user}`,
        `  IdentityFile ${join(makeTempDir(), "no-such-key")}`, // skipped, as OpenSSH skips it
        `  IdentityFile ${target.clientKeyPath}`,
        `  UserKnownHostsFile ${target.knownHostsPath}`,
        ...extra.map((line) => `  ${line}`),
        "Host jump-alias",
        "  HostName 127.0.0.1",
        `  Port ${jump.port}`,
        `  User ${jump.user}`,
        `  IdentityFile ${jump.clientKeyPath}`,
        `  UserKnownHostsFile ${jump.knownHostsPath}`,
        "Host *",
        "  StrictHostKeyChecking yes",
        "  IdentitiesOnly yes",
        "",
      ].join("\n"),
    );
    return path;
  }

  it("promotes to sftp://ALIAS/path with every connection setting from the config", async () => {
    const dir = freshTarget();
    const config = writeConfig();
    const result = await runCliProcess(["promote", "--json", "--from", example.staging, "--to", `sftp://repo-alias${dir}`, "--ssh-config", config]);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.equal(json.state, "committed");
    assert.match(readFileSync(join(dir, "org/example/hello/maven-metadata.xml"), "utf8"), /<release>1\.2\.0<\/release>/);
    // --json says where each connection setting came from: the config's file and line.
    assert.equal(json.connections.from, undefined, "a local stage has no connection");
    assert.deepEqual(json.connections.to.host, { value: "127.0.0.1", source: "ssh-config", from: `${config}:2` });
    assert.deepEqual(json.connections.to.port, { value: target.port, source: "ssh-config", from: `${config}:3` });
    assert.deepEqual(json.connections.to.user, { value: target.user, source: "ssh-config", from: `${config}:4` });
    assert.deepEqual(json.connections.to.identityFile.from, `${config}:5`);
    assert.deepEqual(json.connections.to.knownHosts, { value: target.knownHostsPath, source: "ssh-config", from: `${config}:7` });
    assert.deepEqual(json.connections.to.strictHostKeyChecking, { value: "yes", source: "ssh-config", from: `${config}:15` });
    assert.deepEqual(json.connections.to.agent, { value: "none", source: "ssh-config", from: `${config}:16` });
    assert.deepEqual(json.settings["ssh-config"], { source: "cli", value: config });
  });

  it("--json: the URL and flags beat the config, and say so", async () => {
    const dir = freshTarget();
    const result = await runCliProcess([
      "plan", "--json", "--from", example.staging, "--to", `sftp://${target.user}@repo-alias:${target.port}${dir}`,
      "--ssh-config", writeConfig(), "--identity", target.clientKeyPath, "--known-hosts", target.knownHostsPath,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const to = JSON.parse(result.stdout).connections.to;
    assert.deepEqual(to.port, { value: target.port, source: "url" });
    assert.deepEqual(to.user, { value: target.user, source: "url" });
    assert.deepEqual(to.identityFile, { value: target.clientKeyPath, source: "option" });
    assert.deepEqual(to.knownHosts, { value: target.knownHostsPath, source: "option" });
  });

  it("ProxyJump: connects through the jump host, whose sshd forwards the connection", async () => {
    const dir = freshTarget();
    const before = readFileSync(jump.logPath, "utf8").length;
    const result = await runCliProcess(["promote", "--json", "--from", example.staging, "--to", `sftp://repo-alias${dir}`, "--ssh-config", writeConfig(["ProxyJump jump-alias"])]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).state, "committed");
    const log = readFileSync(jump.logPath, "utf8").slice(before);
    assert.match(log, new RegExp(`direct[-_]tcpip.*127\\.0\\.0\\.1 port ${target.port}`), `the jump host's sshd forwarded no connection to the repository's:\n${log.slice(-3000)}`);
  });

  it("StrictHostKeyChecking no is refused in one line naming the config; the target is unchanged", async () => {
    const dir = freshTarget();
    const before = treeFingerprint(dir);
    const config = writeConfig(["StrictHostKeyChecking no"]);
    const result = await runCliProcess(["promote", "--from", example.staging, "--to", `sftp://repo-alias${dir}`, "--ssh-config", config]);
    assert.notEqual(result.code, 0);
    // One line for the error (the hint under it is the usual one).
    assert.match(result.stderr.split("\n")[0]!, new RegExp(`^maven-promote: ${config}: StrictHostKeyChecking no for repo-alias: .* \\[ERR_CONFIG\\]$`), result.stderr);
    assert.deepEqual(treeFingerprint(dir), before);
  });

  it("a malformed config gives one line naming the file and line", async () => {
    const dir = freshTarget();
    const config = join(makeTempDir(), "bad_config");
    writeFileSync(config, "Host repo-alias\n  Port 99999\n");
    const result = await runCliProcess(["plan", "--from", example.staging, "--to", `sftp://repo-alias${dir}`, "--ssh-config", config]);
    assert.notEqual(result.code, 0);
    assert.equal(result.stderr.split("\n")[0], `maven-promote: ${config}:2: port 99999: expected a port number [ERR_CONFIG]`);
  });
});
