// Recovery never runs beside a promotion's own work (DESIGN.md invariant 6, issue 8), against a
// real sshd whose `mv`, `unzip` and `tar -x` are slowed and gated (test/helpers/slow-server.ts):
// - the client killed while the network is silently gone leaves its rename script, unzip or
//   streamed tar running on the server (a stream's tar ends once the server learns its client
//   is gone: its input ends): `rollback`, `resume` and `unlock --force` refuse with exit 3 naming
//   the process, `status --json` shows it, `--stop` stops it and recovers, `--wait` waits for it;
// - the client killed with the connection closing: the server's watchdog stops the work itself;
// - a client still alive on this machine (local and --sftp-only targets) is refused the same way.
// Every wait is on an event: a trace line of the server, an event line of the CLI.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { writeExampleRepositories, type ExampleRepositories } from "../../scripts/example-repository.js";
import { runCliProcess } from "../helpers/cli.js";
import { spawnCli, type WatchedCli } from "../helpers/cli-process.js";
import { createSlowServer, type SlowServer } from "../helpers/slow-server.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import { makeTempDir, removeTempDirs, treeFingerprint } from "../helpers/temp-repos.js";

const run = promisify(execFile);

function visibleTree(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
}

function ripNames(root: string): string[] {
  return Object.keys(treeFingerprint(root)).filter((path) => /\.rip(\/|$)/.test(path));
}

/** The processes of a process group that still run (zombies, dead but not yet reaped, do not). */
function liveProcessesOfGroup(group: number): number[] {
  const live: number[] = [];
  for (const name of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === group && state !== "Z") live.push(Number(name));
    } catch {
      // ended meanwhile
    }
  }
  return live;
}

describe("integration: the fence (recovery waits for, stops or refuses a promotion's running work)", function () {
  this.timeout(120_000);
  let server: SshServer;
  let proxy: TcpProxy;
  let slow: SlowServer;
  let knownHosts: string;

  before(async function () {
    skipWithoutSshd(this);
    slow = createSlowServer(makeTempDir("maven-promote-slow-"), { mvDelay: 0.02, unzipDelay: 0.05 });
    server = await startSshd({ extraConfig: slow.sshdConfig });
    proxy = await startTcpProxy(server.port);
    knownHosts = join(makeTempDir(), "known_hosts");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(knownHosts, `[127.0.0.1]:${proxy.port} ${server.hostPublicKeyLine.trim()}\n`);
  });

  afterEach(() => {
    slow?.openGate("mv");
    slow?.openGate("unzip");
    slow?.openGate("tar");
    slow?.reset();
    proxy?.cutAll();
  });

  after(async () => {
    slow?.close();
    await proxy?.close();
    await server?.stop();
    removeTempDirs();
  });

  const ssh = (): string[] => ["--identity", server.clientKeyPath, "--known-hosts", knownHosts];
  const urlOf = (dir: string): string => `sftp://${server.user}@127.0.0.1:${proxy.port}${dir}`;

  function example(): ExampleRepositories & { original: Record<string, string> } {
    const repos = writeExampleRepositories(makeTempDir(), { extraArtifacts: 2 });
    return { ...repos, original: visibleTree(repos.target) };
  }

  /** Starts a promotion over the proxy and resolves with its id once it holds the lock. */
  async function startPromotion(repos: ExampleRepositories, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ cli: WatchedCli; id: string }> {
    const cli = spawnCli(["promote", "--from", repos.staging, "--to", urlOf(repos.target), ...ssh(), ...extra], env);
    const id = (await cli.waitForEvent((event) => event.type === "lock:acquired")).id as string;
    return { cli, id };
  }

  /** The target's tree after the same promotion made without interruption (to a local copy). */
  async function promotedTree(repos: ExampleRepositories): Promise<Record<string, string>> {
    const reference = makeTempDir();
    cpSync(repos.target, reference, { recursive: true });
    const done = await runCliProcess(["promote", "--from", repos.staging, "--to", reference]);
    assert.equal(done.code, 0, done.stderr);
    return visibleTree(reference);
  }

  /** The network goes silent (the server never learns), then the client dies. */
  async function orphan(cli: WatchedCli): Promise<void> {
    proxy.freezeAll();
    cli.child.kill("SIGKILL");
    await cli.exited;
  }

  const busyLine = (id: string, what: string): RegExp =>
    new RegExp(`^maven-promote: promotion ${id} is still running: ${what} \\(pid \\d+ on \\S+, since \\S+\\); not going to .* beside it \\[ERR_PROMOTION_BUSY\\]\\n  hint: .*--wait.*--stop`);

  it("killed in the commit with the network gone: resume, rollback and unlock --force refuse (exit 3) and change nothing; status shows the script; --stop stops it and rolls back", async () => {
    const repos = example();
    slow.closeGate("mv");
    const { cli, id } = await startPromotion(repos);
    await slow.waitFor((line) => line.startsWith("mv "));
    await orphan(cli);
    const during = treeFingerprint(repos.target);

    for (const command of [["rollback", id], ["resume", id], ["unlock", "--force"]]) {
      const refused = await runCliProcess([...command, "--to", urlOf(repos.target), ...ssh()]);
      assert.equal(refused.code, 3, `${command[0]}: ${refused.stderr}`);
      assert.match(refused.stderr, busyLine(id, "running the rename script"), command[0]);
      assert.equal(refused.stdout, "");
    }
    // Without a shell its processes cannot be checked: refused, not guessed.
    const blind = await runCliProcess(["rollback", id, "--to", urlOf(repos.target), ...ssh(), "--sftp-only"]);
    assert.equal(blind.code, 2, blind.stderr);
    assert.match(blind.stderr, new RegExp(`^maven-promote: promotion ${id} ran unzip and its rename script on the server: use a connection with a shell \\(without --sftp-only\\)`));
    assert.deepEqual(treeFingerprint(repos.target), during, "the refusals changed nothing");

    const status = await runCliProcess(["status", "--to", urlOf(repos.target), ...ssh(), "--json"]);
    assert.equal(status.code, 0, status.stderr);
    const record = (JSON.parse(status.stdout) as { promotions: Array<{ id: string; remote?: { pid: number; host: string; since: string; what: string } | null }> }).promotions.find(
      (promotion) => promotion.id === id,
    );
    assert.equal(record?.remote?.what, "running the rename script");
    assert.ok(record.remote.pid > 0 && record.remote.host.length > 0 && /^\d{4}-\d\d-\d\dT/.test(record.remote.since));
    const text = await runCliProcess(["status", "--to", urlOf(repos.target), ...ssh()]);
    assert.match(text.stdout, /still running on the server: running the rename script \(pid \d+ on /);

    const stopped = await runCliProcess(["rollback", id, "--stop", "--to", urlOf(repos.target), ...ssh()]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, new RegExp(`Rolled back promotion ${id}`));
    assert.deepEqual(visibleTree(repos.target), repos.original);
    assert.deepEqual(ripNames(repos.target), []);
    // Stopped means gone: nothing of it is left to move anything once the gate opens.
    await assert.rejects(run("pgrep", ["-f", `\\.maven-promote/${id}/rename\\.sh`]));
  });

  // Killed while the server is inside a step, with the network gone: the script, unzip or tar runs
  // on. Each recovery first refuses (exit 3, naming it), then waits for it or stops it.
  const POINTS = [
    { name: "during unzip", gate: "unzip" as const, args: ["--unpack", "zip"], when: undefined, match: (line: string) => line === "unzip start", what: "unpacking the bundle" },
    { name: "during the streamed tar", gate: "tar" as const, args: ["--unpack", "tar"], when: undefined, match: (line: string) => line === "tar start", what: "unpacking the stream" },
    {
      name: "in the version-directory moves",
      gate: "mv" as const,
      args: [],
      when: undefined,
      match: (line: string) => line.startsWith("mv ") && !line.includes("maven-metadata.xml"),
      what: "running the rename script",
    },
    {
      name: "in the metadata flips",
      gate: "mv" as const,
      args: [],
      when: "maven-metadata.xml",
      match: (line: string) => line.startsWith("mv ") && line.includes("maven-metadata.xml"),
      what: "running the rename script",
    },
  ];
  for (const point of POINTS) {
    for (const recovery of ["rollback", "resume"] as const) {
      for (const how of ["--wait", "--stop"] as const) {
        it(`killed ${point.name}, network gone: ${recovery} refuses at once, then ${recovery} ${how} ${how === "--wait" ? "waits for it" : "stops it"}; the target ends ${recovery === "resume" ? "promoted" : "as it was"}`, async () => {
          const repos = example();
          const promoted = recovery === "resume" ? await promotedTree(repos) : undefined;
          slow.closeGate(point.gate, point.when);
          const { cli, id } = await startPromotion(repos, point.args);
          await slow.waitFor(point.match);
          await orphan(cli);
          const to = urlOf(repos.target);

          const refused = await runCliProcess([recovery, id, "--to", to, ...ssh()]);
          assert.equal(refused.code, 3, refused.stderr);
          assert.match(refused.stderr, busyLine(id, point.what));
          // A stream's tar waits on a connection that is gone: the hint says to stop it.
          if (point.gate === "tar") assert.match(refused.stderr, /hint: Its stream's connection is gone: waiting \(--wait\) lasts until the server notices, hours after a link that hung; stop it \(--stop\)\.\n$/);

          if (how === "--wait") {
            const waiting = spawnCli([recovery, id, "--wait", "60s", "--to", to, ...ssh()]);
            const busy = await waiting.waitForEvent((event) => event.type === "recovery:busy");
            assert.equal(busy.action, "waiting");
            slow.openGate(point.gate);
            // A streamed tar reads on until its input ends: when the server learns that the
            // client is gone (here, its side of the dead connection closes).
            if (point.gate === "tar") assert.equal(proxy.cutFrozen(), 1);
            const done = await waiting.exited;
            assert.equal(done.code, 0, done.stderr);
            if (point.gate === "mv") {
              // The orphaned script ran to its end before the recovery changed anything.
              const log = readFileSync(join(repos.target, ".maven-promote", id, "steps.log"), "utf8").split("\n").map((line) => line.split(" ").slice(0, 2).join(" "));
              assert.ok(log.includes("state committed"), "the script finished");
              if (recovery === "rollback") assert.ok(log.indexOf("state committed") < log.indexOf("state rolled-back"));
            }
          } else {
            const stopping = spawnCli([recovery, id, "--stop", "--to", to, ...ssh()]);
            assert.equal((await stopping.waitForEvent((event) => event.type === "recovery:busy")).action, "stopping");
            await stopping.waitForEvent((event) => event.type === "recovery:idle");
            // Stopped means gone: nothing of the orphan's process group is left to write once the
            // gate opens (a resume's own rename script, started since, waits at the same gate).
            const orphanGroup = Number(/\(pid (\d+) on /.exec(refused.stderr)![1]!);
            assert.deepEqual(liveProcessesOfGroup(orphanGroup), []);
            slow.openGate(point.gate);
            const done = await stopping.exited;
            assert.equal(done.code, 0, done.stderr);
          }
          assert.deepEqual(visibleTree(repos.target), promoted ?? repos.original);
          assert.deepEqual(ripNames(repos.target), []);
          assert.equal(existsSync(join(repos.target, ".maven-promote", "lock")), false);
        });
      }
    }
  }

  it("killed with the connection closing: the server's watchdog stops the script by itself, and rollback --wait goes on", async () => {
    const repos = example();
    slow.closeGate("mv"); // stays closed: the script could never finish on its own
    const { cli, id } = await startPromotion(repos);
    await slow.waitFor((line) => line.startsWith("mv "));
    cli.child.kill("SIGKILL");
    await cli.exited;
    const rollback = await runCliProcess(["rollback", id, "--wait", "60s", "--to", urlOf(repos.target), ...ssh()]);
    assert.equal(rollback.code, 0, rollback.stderr);
    await assert.rejects(run("pgrep", ["-f", `\\.maven-promote/${id}/rename\\.sh`]));
    assert.deepEqual(visibleTree(repos.target), repos.original);
    assert.deepEqual(ripNames(repos.target), []);
  });

  it("killed mid-stream with the connection closing: the streamed tar ends by itself (its input ends), and rollback --wait goes on", async () => {
    const repos = example();
    slow.closeGate("tar");
    const { cli, id } = await startPromotion(repos, ["--unpack", "tar"]);
    await slow.waitFor((line) => line === "tar start");
    cli.child.kill("SIGKILL");
    await cli.exited;
    slow.openGate("tar"); // tar reads what arrived, then the end of its input
    const rollback = await runCliProcess(["rollback", id, "--wait", "60s", "--to", urlOf(repos.target), ...ssh()]);
    assert.equal(rollback.code, 0, rollback.stderr);
    await slow.waitFor((line) => line === "tar end");
    assert.deepEqual(visibleTree(repos.target), repos.original);
    assert.deepEqual(ripNames(repos.target), []);
  });

  for (const kind of ["local", "sftp-only"] as const) {
    it(`${kind}: a client still alive on this machine holds its promotion: rollback refuses (exit 3), status says it runs, --stop stops it and rolls back`, async () => {
      const repos = example();
      const to = kind === "local" ? repos.target : urlOf(repos.target);
      const extra = kind === "local" ? [] : [...ssh(), "--sftp-only"];
      const cli = spawnCli(["promote", "--from", repos.staging, "--to", to, ...extra], { MAVEN_PROMOTE_STOP_AT: "commit:step:3" });
      const id = (await cli.waitForEvent((event) => event.type === "lock:acquired")).id as string;
      await cli.waitForEvent((event) => event.type === "commit:step" && event.index === 3); // and it stopped itself there
      const refused = await runCliProcess(["rollback", id, "--to", to, ...extra]);
      assert.equal(refused.code, 3, refused.stderr);
      assert.match(refused.stderr, new RegExp(`^maven-promote: promotion ${id} is still running: its client \\(\\S+@\\S+\\) holds the lock \\(pid ${cli.child.pid}, since \\S+\\); not going to roll back beside it \\[ERR_PROMOTION_BUSY\\]`));
      const status = JSON.parse((await runCliProcess(["status", "--to", to, ...extra, "--json"])).stdout) as { lock: { alive: boolean; pid: number } };
      assert.equal(status.lock.pid, cli.child.pid);
      assert.equal(status.lock.alive, true);
      const stopped = await runCliProcess(["rollback", id, "--stop", "--to", to, ...extra]);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal((await cli.exited).signal, "SIGTERM");
      assert.deepEqual(visibleTree(repos.target), repos.original);
      assert.deepEqual(ripNames(repos.target), []);
    });
  }
});
