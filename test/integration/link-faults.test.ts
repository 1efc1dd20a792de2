// A link that drops or stalls at an exact point of a promotion (issue 17), against the real sshd
// through our fault proxy (test/helpers/fault-proxy.ts). The point is an event of the client (it
// stops itself there, MAVEN_PROMOTE_STOP_AT, and runs on once the link is broken) or, for the
// server's own work, a line of the slowed server's trace with its gate held shut. For every
// phase and every remote executor this proves that the promotion reconnects and finishes by
// itself (--retries), that what users see is the whole release and nothing else (no .rip name,
// no lock, verify clean), and, with --retries 0, that it ends with exit 75, one line naming the
// target and the phase, and a journal that `resume` completes.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { runCliProcess } from "../helpers/cli.js";
import { continueStopped, spawnCli, stopAtMatcher } from "../helpers/cli-process.js";
import { startFaultProxy, type FaultKind, type FaultProxy } from "../helpers/fault-proxy.js";
import { createSlowServer, type SlowServer } from "../helpers/slow-server.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { treeFingerprint } from "../helpers/temp-repos.js";
import { nginxAvailable, startNginx } from "../helpers/nginx.js";

/** shell-tar streams the bundle into the server's tar -x (--unpack tar): a break mid-upload is a break mid-stream. */
type Executor = "shell" | "shell-sh" | "shell-tar" | "sftp-only";
/** Where the link breaks: a client event (stop there, break, run on), or the server inside its unzip, tar or a rename. */
type Point = { on: "client"; stopAt: string } | { on: "server"; gate: "unzip" | "tar" | "mv"; line: (line: string) => boolean };

const POINTS: Record<string, Point> = {
  plan: { on: "client", stopAt: "phase:start:plan" },
  lock: { on: "client", stopAt: "lock:acquired" },
  upload: { on: "client", stopAt: "upload:progress:2" },
  unpack: { on: "server", gate: "unzip", line: (line) => line === "unzip start" },
  "unpack (tar)": { on: "server", gate: "tar", line: (line) => line === "tar start" },
  "commit (version move)": { on: "server", gate: "mv", line: (line) => line.startsWith("mv ") && !line.includes("maven-metadata") },
  "commit (transport step)": { on: "client", stopAt: "commit:step:3" },
  verify: { on: "client", stopAt: "phase:start:verify" },
  finish: { on: "client", stopAt: "phase:start:finish" },
};

const POINTS_OF: Record<Executor, string[]> = {
  shell: ["plan", "lock", "upload", "unpack", "commit (version move)", "verify", "finish"],
  "shell-sh": ["unpack", "commit (version move)"],
  "shell-tar": ["upload", "unpack (tar)", "commit (version move)"],
  "sftp-only": ["plan", "lock", "upload", "commit (transport step)", "verify", "finish"],
};

function visibleTree(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
}

describe("integration: a link that drops or stalls (issue 17)", function () {
  this.timeout(120_000);
  let root: string;
  let sshd: SshServer;
  let slow: SlowServer;
  let staging: string;
  let original: string;
  let promoted: Record<string, string>;
  let runs = 0;

  before(async function () {
    skipWithoutSshd(this);
    root = mkdtempSync(join(tmpdir(), "link-faults-"));
    slow = createSlowServer(join(root, "slow"), { mvDelay: 0, unzipDelay: 0 });
    sshd = await startSshd({ extraConfig: slow.sshdConfig });
    // Jars big enough for several progress events of the upload.
    const example = writeExampleRepositories(join(root, "example"), { extraArtifacts: 3, extraJarBytes: 2 * 1024 * 1024 });
    staging = example.staging;
    original = example.target;
    const reference = join(root, "reference");
    cpSync(original, reference, { recursive: true });
    assert.equal((await runCliProcess(["promote", "--from", staging, "--to", reference, "--quiet"])).code, 0);
    promoted = visibleTree(reference);
  });

  after(async () => {
    await sshd?.stop();
    slow?.close();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  /** A fresh copy of the target, reached through a new fault proxy; keepalives every second, two missed: a stall is found in 3 s. */
  async function setUp(): Promise<{ target: string; proxy: FaultProxy; args: (...more: string[]) => string[] }> {
    const target = join(root, `target-${++runs}`);
    cpSync(original, target, { recursive: true });
    slow.reset();
    const proxy = await startFaultProxy(sshd.port, undefined);
    const knownHosts = join(root, `known_hosts-${runs}`);
    writeFileSync(knownHosts, `[127.0.0.1]:${proxy.port} ${sshd.hostPublicKeyLine}\n`);
    const sshConfig = join(root, `ssh_config-${runs}`);
    writeFileSync(sshConfig, "Host *\n  ServerAliveInterval 1\n  ServerAliveCountMax 2\n");
    const url = `sftp://${sshd.user}@127.0.0.1:${proxy.port}${target}`;
    const args = (...more: string[]) => ["--to", url, "--identity", sshd.clientKeyPath, "--known-hosts", knownHosts, "--ssh-config", sshConfig, "--retry-backoff", "10ms", ...more];
    return { target, proxy, args };
  }

  /** The options of every command of the executor (promote, resume). */
  function executorArgs(executor: Executor): string[] {
    if (executor === "sftp-only") return ["--sftp-only"];
    return executor === "shell-sh" ? ["--commit-runner", "sh"] : [];
  }

  /** promote's own: each says how its bundle goes, so that a change of the default changes no case here. */
  function promoteArgs(executor: Executor): string[] {
    if (executor === "sftp-only") return executorArgs(executor);
    return [...executorArgs(executor), "--unpack", executor === "shell-tar" ? "tar" : "zip"];
  }

  /** Runs promote, breaks the link the given way at the point, and returns how the promotion ended. */
  async function promoteBrokenAt(executor: Executor, pointName: string, kind: FaultKind, retries: string) {
    const { target, proxy, args } = await setUp();
    const point = POINTS[pointName]!;
    try {
      if (point.on === "server") slow.closeGate(point.gate);
      const cli = spawnCli(
        ["promote", "--from", staging, ...args("--retries", retries, "--json", ...promoteArgs(executor))],
        point.on === "client" ? { MAVEN_PROMOTE_STOP_AT: point.stopAt } : {},
      );
      if (point.on === "client") {
        await cli.waitForEvent(stopAtMatcher(point.stopAt));
        assert.ok(proxy.strike(kind) > 0, "a connection was open to break");
        await continueStopped(cli.child.pid!);
      } else {
        await slow.waitFor(point.line, { timeoutMs: 60_000 });
        assert.ok(proxy.strike(kind) > 0, "a connection was open to break");
        slow.openGate(point.gate); // the server's work goes on without its client, as it would
      }
      const outcome = await cli.exited;
      return { ...outcome, target, proxy, args };
    } finally {
      slow.openGate("unzip");
      slow.openGate("tar");
      slow.openGate("mv");
    }
  }

  /** What users can read is the whole release, and nothing of the promotion is left behind. */
  async function assertPromoted(target: string): Promise<void> {
    assert.deepEqual(visibleTree(target), promoted);
    assert.equal(existsSync(join(target, ".maven-promote", "lock")), false, "the lock is released");
    assert.equal(Object.keys(treeFingerprint(target)).find((path) => /\.rip(\/|$)/.test(path)), undefined, "no .rip name is left");
    const verify = await runCliProcess(["verify", "--to", target]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  }

  for (const executor of ["shell", "shell-sh", "shell-tar", "sftp-only"] as const) {
    for (const pointName of POINTS_OF[executor]) {
      it(`${executor}: a reset during ${pointName} is survived: it reconnects, carries on, and the release is whole`, async () => {
        const { code, stdout, stderr, target, proxy } = await promoteBrokenAt(executor, pointName, "reset", "3");
        assert.equal(code, 0, stderr);
        const result = JSON.parse(stdout) as { state: string; reconnects: number };
        assert.equal(result.state, "committed");
        assert.ok(result.reconnects >= 1, `it reconnected (${result.reconnects})`);
        assert.match(stderr, /the connection was lost .*; connecting again and carrying on with the/);
        assert.ok(proxy.connections() >= 2);
        await proxy.close();
        await assertPromoted(target);
      });
    }
  }

  for (const executor of ["shell", "shell-tar"] as const) {
    it(`${executor}: an EOF in the middle of the upload is survived the same way`, async () => {
      const { code, stderr, target, proxy } = await promoteBrokenAt(executor, "upload", "eof", "3");
      assert.equal(code, 0, stderr);
      await proxy.close();
      await assertPromoted(target);
    });
  }

  // With shell-tar the server's `tar -x` reads the stream of the stalled connection, which the
  // server never sees close: the promotion, once connected again, must stop its own tar rather
  // than wait for it (it waited 120 s, then ended with exit 75, before that).
  for (const executor of ["shell", "shell-tar", "sftp-only"] as const) {
    it(`${executor}: a link that stalls for good during the upload is found by keepalives, not waited on forever`, async () => {
      const { code, stderr, target, proxy } = await promoteBrokenAt(executor, "upload", "stall", "3");
      assert.equal(code, 0, stderr);
      // ServerAliveInterval 1, ServerAliveCountMax 2: given up after the third unanswered second.
      assert.match(stderr, /no answer to keepalives for 3 s: the link stalled/);
      await proxy.close();
      await assertPromoted(target);
    });
  }

  for (const [executor, pointName] of [["shell", "upload"], ["shell", "unpack"], ["shell-tar", "upload"], ["sftp-only", "commit (transport step)"], ["shell", "verify"]] as const) {
    it(`${executor}, --retries 0: lost during ${pointName}, it ends with exit 75 and one line naming the target and the phase; resume completes it`, async () => {
      const { code, stdout, stderr, target, proxy, args } = await promoteBrokenAt(executor, pointName, "reset", "0");
      assert.equal(code, 75, stderr);
      const report = JSON.parse(stdout) as { ok: boolean; errors: Array<{ code: string }> };
      assert.deepEqual([report.ok, report.errors[0]?.code], [false, "ERR_CONNECTION_LOST"], "--json says so on stdout");
      const lines = stderr.split("\n").filter((line) => line !== "" && !line.startsWith("{"));
      const phase = pointName.split(" ")[0] === "unpack" ? "upload" : pointName.split(" ")[0];
      assert.match(lines[0]!, new RegExp(`^maven-promote: promotion (\\S+) stopped during ${phase}: sftp://.*: the connection was lost .* \\[ERR_CONNECTION_LOST\\]$`));
      assert.match(lines[1]!, /hint: .*maven-promote resume \S+ --to sftp:/);
      const id = /promotion (\S+) stopped/.exec(lines[0]!)![1]!;
      // Users never see a half-made release meanwhile: only .rip names and .maven-promote/ are new, or it is all there.
      const visible = visibleTree(target);
      const onlyHidden = Object.keys(visible).every((path) => /\.rip(\/|$)/.test(path) || promoted[path] !== undefined);
      assert.ok(onlyHidden, "nothing but .rip names was added before the commit");
      // Through a new connection (the proxy breaks none by itself): the server's unzip or
      // rename script may still run, and only a connection with a shell can see it end.
      // resume sends what is missing over SFTP: --unpack is promote's alone.
      const resumed = await runCliProcess(["resume", id, ...args("--wait", "60s", ...executorArgs(executor))]);
      assert.equal(resumed.code, 0, resumed.stderr);
      await proxy.close();
      await assertPromoted(target);
    });
  }

  describe("the stage's own link", () => {
    for (const afterBytes of [3_000, 400_000]) {
      for (const kind of ["reset", "eof"] as const) {
        it(`an SFTP stage whose connection ends (${kind}) after ${afterBytes} bytes is connected to again and downloaded whole`, async () => {
          const target = join(root, `target-${++runs}`);
          cpSync(original, target, { recursive: true });
          const proxy = await startFaultProxy(sshd.port, { direction: "down", afterBytes, kind });
          try {
            const knownHosts = join(root, `known_hosts-${runs}`);
            writeFileSync(knownHosts, `[127.0.0.1]:${proxy.port} ${sshd.hostPublicKeyLine}\n`);
            const from = `sftp://${sshd.user}@127.0.0.1:${proxy.port}${staging}`;
            const result = await runCliProcess(["promote", "--from", from, "--to", target, "--identity", sshd.clientKeyPath, "--known-hosts", knownHosts, "--ssh-config", "none", "--retry-backoff", "10ms", "--quiet"]);
            assert.equal(result.code, 0, result.stderr);
            assert.equal(proxy.fired().length, 1, "the fault fired");
            assert.ok(proxy.connections() >= 2, "connected again");
          } finally {
            await proxy.close();
          }
          await assertPromoted(target);
        });

        it(`an HTTP stage whose connection ends (${kind}) after ${afterBytes} bytes is retried and downloaded whole`, async function () {
          if (!nginxAvailable()) this.skip();
          const nginx = await startNginx(staging);
          const target = join(root, `target-${++runs}`);
          cpSync(original, target, { recursive: true });
          // Eight connections at once: the first to carry that many bytes is cut, in a listing or a jar.
          const proxy = await startFaultProxy(nginx.port, { direction: "down", afterBytes, kind, connections: "first-to-reach" });
          try {
            const result = await runCliProcess(["promote", "--from", `http://127.0.0.1:${proxy.port}/html/`, "--to", target, "--retry-backoff", "10ms", "--quiet"]);
            assert.equal(result.code, 0, result.stderr);
            assert.equal(proxy.fired().length, 1, "the fault fired");
          } finally {
            await proxy.close();
            await nginx.stop();
          }
          await assertPromoted(target);
        });
      }
    }

    it("an HTTP stage whose every connection is cut ends with exit 75 and one line naming the URL", async function () {
      if (!nginxAvailable()) this.skip();
      const nginx = await startNginx(staging);
      const target = join(root, `target-${++runs}`);
      cpSync(original, target, { recursive: true });
      const before = treeFingerprint(target);
      const proxy = await startFaultProxy(nginx.port, { direction: "down", afterBytes: 10, kind: "reset", connections: Array.from({ length: 100 }, (_, index) => index + 1) });
      try {
        const result = await runCliProcess(["promote", "--from", `http://127.0.0.1:${proxy.port}/html/`, "--to", target, "--retries", "1", "--retry-backoff", "10ms", "--quiet"]);
        assert.equal(result.code, 75, result.stderr);
        assert.match(result.stderr.split("\n")[0]!, new RegExp(`^maven-promote: http://127\\.0\\.0\\.1:${proxy.port}/html/: cannot read the listing \\(.*\\) \\[ERR_UNAVAILABLE\\]$`));
      } finally {
        await proxy.close();
        await nginx.stop();
      }
      assert.deepEqual(treeFingerprint(target), before, "the target is untouched");
    });
  });
});
