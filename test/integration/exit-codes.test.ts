// Every exit code of the table in docs/release-manager.md, produced by the real CLI: 0 success, 1 a failure that
// needs a human, 2 usage or configuration, 3 a held lock, 4 a stage that breaks a rule, and 75
// for what may pass if tried again (a server refusing or dropping connections, one answering 503,
// a --wait that ran out); and --retries trying again by itself until a server lets it in.
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { runCliProcess } from "../helpers/cli.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { copyRepoFixture, makeTempDir, removeTempDirs, treeFingerprint } from "../helpers/temp-repos.js";
import { listenOnLoopback } from "../helpers/tcp-proxy.js";

const LOCK = { id: "20261121T090000Z-dead", user: "ci", host: "runner-4", pid: 4242, start: "2026-11-21T09:00:00.000Z", expiry: "2026-11-21T10:00:00.000Z" };

/** A proxy to `port` that drops its first `drops` connections at once (a busy server's MaxStartups), then forwards. */
async function droppingProxy(port: number, drops: number): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    if (++connections <= drops) return void client.destroy();
    const upstream = connect(port, "127.0.0.1");
    sockets.add(upstream);
    upstream.on("error", () => upstream.destroy());
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  const proxyPort = await listenOnLoopback(server);
  return {
    port: proxyPort,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("integration: exit codes", function () {
  this.timeout(60_000);
  let sshd: SshServer;

  before(async function () {
    skipWithoutSshd(this);
    sshd = await startSshd();
  });

  after(async () => {
    await sshd?.stop();
    removeTempDirs();
  });

  /** To the sshd through a proxy on `port`: a known_hosts file that trusts its key there. */
  function sftp(port: number, path: string): string[] {
    const knownHosts = join(makeTempDir(), "known_hosts");
    writeFileSync(knownHosts, `[127.0.0.1]:${port} ${sshd.hostPublicKeyLine}\n`);
    return ["--to", `sftp://${sshd.user}@127.0.0.1:${port}${path}`, "--identity", sshd.clientKeyPath, "--known-hosts", knownHosts, "--ssh-config", "none"];
  }

  it("0: the promotion could proceed (plan) and was made (promote)", async () => {
    const dirs = copyRepoFixture("basic");
    assert.equal((await runCliProcess(["plan", "--from", dirs.staging, "--to", dirs.target])).code, 0);
    assert.equal((await runCliProcess(["promote", "--from", dirs.staging, "--to", dirs.target])).code, 0);
  });

  it("1: verify finds the target inconsistent (a human must look)", async () => {
    const dirs = copyRepoFixture("basic");
    rmSync(join(dirs.target, "org/example/demo/1.1"), { recursive: true, force: true });
    const result = await runCliProcess(["verify", "--to", dirs.target]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
  });

  it("2: an unknown option; a bad --retries or --retry-backoff", async () => {
    assert.equal((await runCliProcess(["plan", "--from", "a", "--to", "b", "--frobnicate"])).code, 2);
    const retries = await runCliProcess(["plan", "--from", "a", "--to", "b", "--retries", "many"]);
    assert.equal(retries.code, 2);
    assert.equal(retries.stderr.split("\n")[0], "maven-promote: --retries many: expected a whole number from 0 to 99 [ERR_USAGE]");
    const backoff = await runCliProcess(["plan", "--from", "a", "--to", "b", "--retry-backoff", "soon"]);
    assert.equal(backoff.code, 2);
    assert.equal(backoff.stderr.split("\n")[0], 'maven-promote: --retry-backoff "soon": not a duration (write e.g. 30s, 5m, 1h, 2d) [ERR_USAGE]');
    const unpack = await runCliProcess(["promote", "--from", "a", "--to", "b", "--unpack", "rar"]);
    assert.equal(unpack.code, 2);
    assert.match(unpack.stderr.split("\n")[0]!, /--unpack.*rar.*(auto|tar|zip)/);
    assert.equal(unpack.stderr.trimEnd().split("\n").length <= 2, true, unpack.stderr);
  });

  it("3: the target is locked and no --wait was given; 75 once a --wait runs out", async () => {
    const dirs = copyRepoFixture("basic");
    mkdirSync(join(dirs.target, ".maven-promote"));
    writeFileSync(join(dirs.target, ".maven-promote/lock"), JSON.stringify(LOCK));
    const before = treeFingerprint(dirs.target);
    const locked = await runCliProcess(["promote", "--from", dirs.staging, "--to", dirs.target]);
    assert.equal(locked.code, 3);
    assert.match(locked.stderr, /\[ERR_LOCK_HELD\]/);
    const waited = await runCliProcess(["promote", "--from", dirs.staging, "--to", dirs.target, "--wait", "1s"]);
    assert.equal(waited.code, 75, waited.stderr);
    assert.match(waited.stderr.split("\n")[0]!, /^maven-promote: .* is still locked by promotion 20261121T090000Z-dead \(.*\) after waiting 1s \[ERR_WAIT_EXPIRED\]$/);
    assert.deepEqual(treeFingerprint(dirs.target), before);
  });

  it("4: the stage breaks a rule (plan and promote refuse it); nothing is written", async () => {
    const dirs = copyRepoFixture("basic");
    appendFileSync(join(dirs.staging, "org/example/demo/1.2/demo-1.2.jar"), "tampered");
    const before = treeFingerprint(dirs.target);
    for (const command of ["plan", "promote"]) {
      const result = await runCliProcess([command, "--from", dirs.staging, "--to", dirs.target]);
      assert.equal(result.code, 4, `${command}: ${result.stderr}`);
      assert.match(result.stderr, /demo-1\.2\.jar: its md5 is .* \[ERR_CHECKSUM_MISMATCH\]/);
    }
    assert.deepEqual(treeFingerprint(dirs.target), before);
  });

  it("75: a server that drops every connection, with --retries 0", async () => {
    const dirs = copyRepoFixture("basic");
    const proxy = await droppingProxy(sshd.port, Number.MAX_SAFE_INTEGER);
    try {
      const result = await runCliProcess(["plan", "--from", dirs.staging, ...sftp(proxy.port, dirs.target), "--retries", "0"]);
      assert.equal(result.code, 75, result.stderr);
      assert.match(result.stderr.split("\n")[0]!, /^maven-promote: cannot connect to .*: .* \[ERR_UNAVAILABLE\]$/);
      assert.equal(proxy.connections(), 1, "no retry with --retries 0");
    } finally {
      await proxy.close();
    }
  });

  it("--retries 2: the third connection gets through, and the promotion is made", async () => {
    const dirs = copyRepoFixture("basic");
    const proxy = await droppingProxy(sshd.port, 2);
    try {
      const result = await runCliProcess(["promote", "--from", dirs.staging, ...sftp(proxy.port, dirs.target), "--retries", "2", "--json"]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).state, "committed");
      assert.ok(proxy.connections() >= 3, `dropped twice, then connected (${proxy.connections()} connections)`);
    } finally {
      await proxy.close();
    }
  });

  it("75: an HTTP stage answering 503 after every retry", async () => {
    const dirs = copyRepoFixture("basic");
    let requests = 0;
    const server: HttpServer = createHttpServer((_request, response) => {
      requests++;
      response.writeHead(503).end("down for maintenance");
    });
    const port = await listenOnLoopback(server as unknown as Server);
    try {
      const result = await runCliProcess(["plan", "--from", `http://127.0.0.1:${port}/stage/`, "--to", dirs.target, "--retries", "1"]);
      assert.equal(result.code, 75, result.stderr);
      assert.equal(result.stderr.split("\n")[0], `maven-promote: http://127.0.0.1:${port}/stage/: 503 Service Unavailable [ERR_UNAVAILABLE]`);
      assert.equal(requests, 2, "--retries 1: two requests");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
