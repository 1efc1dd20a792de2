// The test sshd helper itself: a real OpenSSH sshd on 127.0.0.1, started and stopped by the suite.

import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { Client, type ConnectConfig } from "ssh2";
import SftpClient from "ssh2-sftp-client";
import { skipWithoutSshd, sshConnectConfig, startSshd, type SshServer } from "../helpers/sshd.js";

interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  openError?: Error;
}

/** Runs `command` over an exec channel; stdin is closed at once. Never hangs past `timeoutMs`. */
function sshExec(config: ConnectConfig, command: string, timeoutMs = 5_000): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const result: ExecResult = { code: null, signal: null, stdout: "", stderr: "" };
    const timer = setTimeout(() => {
      client.end();
      resolve(result);
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      client.end();
      resolve(result);
    };
    client.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    client.once("ready", () => {
      client.exec(command, (error, stream) => {
        if (error) {
          result.openError = error;
          finish();
          return;
        }
        stream.on("data", (chunk: Buffer) => (result.stdout += chunk.toString("utf8")));
        stream.stderr.on("data", (chunk: Buffer) => (result.stderr += chunk.toString("utf8")));
        stream.on("exit", (code: number | null, signal?: string) => {
          result.code = code;
          result.signal = signal ?? null;
        });
        stream.on("close", finish);
        stream.end();
      });
    });
    client.connect(config);
  });
}

function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function assertFullyStopped(server: SshServer): Promise<void> {
  const { port, pid, dir } = server;
  await server.stop();
  assert.equal(processAlive(pid), false, `sshd pid ${pid} still running after stop()`);
  assert.equal(await portRefuses(port), true, `something still listens on 127.0.0.1:${port}`);
  assert.equal(existsSync(dir), false, `${dir} not removed by stop()`);
  await server.stop(); // idempotent
}

describe("integration: test sshd helper", function () {
  this.timeout(30_000);

  before(function () {
    skipWithoutSshd(this);
  });

  describe("shell + SFTP server", function () {
    let server: SshServer | undefined;
    let config: ConnectConfig;

    before(async function () {
      const started = Date.now();
      server = await startSshd();
      console.log(`    sshd on 127.0.0.1:${server.port} ready in ${Date.now() - started} ms`);
      config = await sshConnectConfig(server);
    });

    after(async function () {
      await server?.stop();
    });

    it("writes the key material and a known_hosts entry for [127.0.0.1]:port", function () {
      const s = server!;
      assert.equal(s.host, "127.0.0.1");
      assert.match(s.hostPublicKeyLine, /^ssh-ed25519 AAAA[0-9A-Za-z+/=]+$/);
      assert.match(s.clientPublicKey, /^ssh-ed25519 AAAA/);
      assert.match(readFileSync(s.clientKeyPath, "utf8"), /BEGIN OPENSSH PRIVATE KEY/);
      assert.equal(readFileSync(s.knownHostsPath, "utf8").trim(), `[127.0.0.1]:${s.port} ${s.hostPublicKeyLine}`);
      assert.equal(s.sftpRoot, undefined);
      assert.ok(existsSync(s.logPath));
    });

    it("runs commands over exec with the client key", async function () {
      const result = await sshExec(config, "echo hello; sh -c 'command -v unzip'");
      assert.equal(result.openError, undefined);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trim().split("\n");
      assert.equal(lines[0], "hello");
      assert.match(lines[1] ?? "", /\/unzip$/);
    });

    it("refuses a key it does not know", async function () {
      // Made by the real ssh-keygen: ssh2's own generateKeyPairSync("ed25519") now and then writes
      // a key that its parser rejects as "Malformed OpenSSH private key" (seen on a clean-clone run).
      const keyPath = join(server!.dir, "unknown_ed25519");
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "unknown", "-f", keyPath]);
      const other = readFileSync(keyPath);
      await assert.rejects(sshExec({ ...config, privateKey: other }, "true"), /authentication/i);
    });

    it("serves SFTP: put, get, rename, delete", async function () {
      const work = join(server!.dir, "sftp-work");
      await mkdir(work);
      const data = randomBytes(100_000);
      const sftp = new SftpClient();
      await sftp.connect(config);
      try {
        await sftp.put(data, `${work}/a.bin`);
        assert.deepEqual(await readFile(join(work, "a.bin")), data);
        assert.deepEqual(await sftp.get(`${work}/a.bin`), data);
        await sftp.rename(`${work}/a.bin`, `${work}/b.bin`);
        assert.equal(await sftp.exists(`${work}/a.bin`), false);
        assert.equal(await sftp.exists(`${work}/b.bin`), "-");
        await sftp.delete(`${work}/b.bin`);
        assert.equal(existsSync(join(work, "b.bin")), false);
      } finally {
        await sftp.end();
      }
    });

    it("stop() leaves nothing listening on the port", async function () {
      const s = server!;
      server = undefined;
      await assertFullyStopped(s);
    });
  });

  describe("chroot SFTP-only server", function () {
    let server: SshServer | undefined;
    let config: ConnectConfig;

    before(async function () {
      const started = Date.now();
      server = await startSshd({ chrootSftpOnly: true });
      console.log(`    chroot sshd on 127.0.0.1:${server.port} ready in ${Date.now() - started} ms`);
      config = await sshConnectConfig(server);
    });

    after(async function () {
      await server?.stop();
    });

    it("accepts SFTP into /repo, which is sftpRoot on disk", async function () {
      const sftpRoot = server!.sftpRoot;
      assert.ok(sftpRoot, "sftpRoot set");
      const sftp = new SftpClient();
      await sftp.connect(config);
      try {
        await sftp.put(Buffer.from("chrooted\n"), "/repo/x");
        assert.equal(await readFile(join(sftpRoot, "x"), "utf8"), "chrooted\n");
        const listing = (await sftp.list("/")).map((entry) => entry.name);
        assert.deepEqual(listing, ["repo"]);
      } finally {
        await sftp.end();
      }
    });

    it("does not run shell commands", async function () {
      const s = server!;
      const inside = join(s.sftpRoot!, "exec-marker");
      const outside = join(s.dir, "exec-marker");
      const command = `touch /repo/exec-marker ${outside}; echo RAN-THE-COMMAND`;
      const result = await sshExec(config, command);
      if (process.env.SSHD_HELPER_DEBUG) console.log("    chroot exec result:", JSON.stringify(result));
      const refused = result.openError !== undefined || result.code !== 0 || !result.stdout.includes("RAN-THE-COMMAND");
      assert.ok(refused, `exec appears to have run: ${JSON.stringify(result)}`);
      assert.equal(result.stdout.includes("RAN-THE-COMMAND"), false);
      assert.equal(existsSync(inside), false, "marker created inside the chroot");
      assert.equal(existsSync(outside), false, "marker created outside the chroot");
    });

    it("stop() leaves nothing listening on the port", async function () {
      const s = server!;
      server = undefined;
      await assertFullyStopped(s);
    });
  });
});
