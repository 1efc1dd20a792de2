// The fence script (templates/fence.sh) run by a real sh in a local directory that stands in for
// the server, and what the library builds on it: finding the work, stopping it, the flock-less
// fallback, the watchdog, cleanup keeping a promotion whose work still runs; and the lock's
// liveness checks (exact on this machine, by heartbeat from another).
import assert from "node:assert/strict";
import { once } from "node:events";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntilIdle } from "../../../src/promotion/activity.js";
import { cleanup } from "../../../src/promotion/cleanup.js";
import { fencedCommand, readRemoteWork, signalRemoteWork } from "../../../src/promotion/fence.js";
import { acquireLock, lockFor, lockHolderAlive, lockLost, readLock, releaseLock, stopHeartbeat } from "../../../src/promotion/lock.js";
import { promote } from "../../../src/promotion/promote.js";
import { LocalTransport } from "../../../src/transport/local-transport.js";
import { processStart } from "../../../src/util/process-identity.js";
import { shellQuote } from "../../../src/util/shell-quote.js";
import { LocalShellTransport } from "../../helpers/local-shell-transport.js";
import { copyRepoFixture, makeTempDir, removeTempDirs } from "../../helpers/temp-repos.js";

const NOW = new Date("2026-11-22T10:15:00Z");
const STATE = ".maven-promote/20261122T101500Z-f00d";

/**
 * Starts `command` under the fence the way the SFTP transport does (`cd root && ...`), with its
 * stdin a pipe that stays open while `client` is not ended: the SSH channel of a live client.
 */
function startFenced(root: string, command: string[], env: NodeJS.ProcessEnv = process.env) {
  mkdirSync(join(root, STATE), { recursive: true });
  const child = spawn("sh", ["-c", `cd ${shellQuote(root)} && ${fencedCommand(STATE, "sleeping for the test", command)}`], { env, stdio: ["pipe", "ignore", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, exited };
}

/** Whether a process runs (a zombie waiting for its parent to reap it does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * Resolves once the fence reports the work (its pid file is written just after the fork); fails
 * at once if the fenced command ended first, instead of polling for ever.
 */
async function untilBusy(transport: LocalShellTransport, exited?: Promise<number | null>) {
  let ended: number | null | undefined;
  void exited?.then((code) => (ended = code ?? -1));
  for (;;) {
    const work = await readRemoteWork(transport, STATE);
    if (work !== undefined && work.pid > 0) return work;
    if (ended !== undefined) throw new Error(`the fenced command ended (exit ${ended}) before the fence reported it`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Whether a process waits in the kernel for a lock on `path` (a "->" line of /proc/locks). */
function lockWaiterOn(path: string): boolean {
  const inode = String(statSync(path).ino);
  return readFileSync("/proc/locks", "utf8")
    .split("\n")
    .some((line) => line.includes("->") && line.split(/\s+/).some((field) => field.split(":")[2] === inode));
}

describe("the fence (templates/fence.sh, real sh)", function () {
  // Roomy: a stop may take two grace periods, and every check forks a few processes.
  this.timeout(90_000);
  // Evidence for the rare hang seen under heavy load (issue 8, still open): a test that runs past
  // 20 s prints the process tree, so the next hang shows which process holds what.
  let hangDump: NodeJS.Timeout | undefined;
  beforeEach(function () {
    const title = this.currentTest?.title ?? "";
    hangDump = setTimeout(() => {
      const tree = spawnSync("ps", ["-eo", "pid,ppid,pgid,stat,etime,args", "--forest"], { encoding: "utf8" }).stdout;
      console.error(`fence test still running after 20 s: ${title}\n${tree.split("\n").filter((line) => !/\[.*\]$/.test(line)).join("\n")}`);
    }, 20_000);
    hangDump.unref();
  });
  afterEach(() => clearTimeout(hangDump));
  afterEach(removeTempDirs);

  it("reports the work while it runs (pid, start, what), and free once it has ended with its exit code", async () => {
    const root = makeTempDir();
    const transport = new LocalShellTransport(root);
    assert.equal(await readRemoteWork(transport, STATE), undefined, "no fence yet: free");
    const { child, exited } = startFenced(root, ["sleep", "60"]);
    const work = await untilBusy(transport, exited);
    assert.equal(work.what, "sleeping for the test");
    assert.match(work.since, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(running(work.pid));
    const [pid, start] = readFileSync(join(root, STATE, "fence.pid"), "utf8").split(" ");
    assert.equal(Number(pid), work.pid);
    assert.equal(`${readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()}:${start}`, processStart(work.pid), "the kernel's start time is recorded");
    // A second run under the same fence is refused while the first holds it.
    const second = await transport.exec(`MAVEN_PROMOTE_FENCE_WAIT=1 ${fencedCommand(STATE, "another", ["true"])}`);
    assert.equal(second.code, 75);
    assert.match(second.stderr, /is held: this promotion's earlier work still runs/);
    await signalRemoteWork(transport, STATE, "TERM");
    child.stdin!.end();
    assert.notEqual(await exited, 0);
    assert.equal(await readRemoteWork(transport, STATE), undefined);
  });

  it("a check running at the same moment never makes the work fail: run waits out the probe's shared lock", async () => {
    const root = makeTempDir();
    const transport = new LocalShellTransport(root);
    mkdirSync(join(root, STATE), { recursive: true });
    const fence = join(root, STATE, "fence");
    writeFileSync(fence, "");
    // A probe caught in the act: the shared lock a check takes, held until its stdin closes.
    const probe = spawn("flock", ["-s", fence, "cat"], { stdio: ["pipe", "ignore", "inherit"] });
    const probeEnded = new Promise((resolve) => probe.on("close", resolve));
    while (!readFileSync("/proc/locks", "utf8").includes(`:${statSync(fence).ino} `)) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await readRemoteWork(transport, STATE), undefined, "a second check beside the first still says free");
    const { child, exited } = startFenced(root, ["sh", "-c", "exit 0"]);
    let ended: number | null | undefined;
    void exited.then((code) => (ended = code));
    // Released only once the run waits for the lock (or has already given up: the old behaviour).
    while (ended === undefined && !lockWaiterOn(fence)) await new Promise((resolve) => setImmediate(resolve));
    probe.stdin.end();
    await probeEnded;
    assert.equal(await exited, 0, "the run waited for the probe instead of reporting the fence held");
    child.stdin!.end();
  });

  it("passes the work's exit code through", async () => {
    const root = makeTempDir();
    const { child, exited } = startFenced(root, ["sh", "-c", "exit 3"]);
    assert.equal(await exited, 3);
    child.stdin!.end();
  });

  it("the watchdog stops the work when the client's stdin reaches EOF", async () => {
    const root = makeTempDir();
    const transport = new LocalShellTransport(root);
    const { child, exited } = startFenced(root, ["sleep", "60"]);
    const work = await untilBusy(transport, exited);
    child.stdin!.end(); // the client is gone
    assert.equal(await exited, 143, "the work ended by SIGTERM");
    assert.equal(running(work.pid), false);
    assert.equal(await readRemoteWork(transport, STATE), undefined);
  });

  it("in the client's shell session (MAVEN_PROMOTE_HEARTBEAT_FD=7): stdin is left alone, and the work is stopped once a heartbeat on fd 7 finds no reader", async () => {
    const root = makeTempDir();
    const transport = new LocalShellTransport(root);
    mkdirSync(join(root, STATE), { recursive: true });
    // fd 7 is a pipe this test reads, as sshd reads the session's stderr; stdin carries the
    // session's next commands, which the watchdog must not read.
    const child = spawn("sh", ["-c", `cd ${shellQuote(root)} && exec 7>&3 3>&- && ${fencedCommand(STATE, "sleeping for the test", ["sleep", "60"])}`], {
      env: { ...process.env, MAVEN_PROMOTE_HEARTBEAT_FD: "7" },
      stdio: ["pipe", "ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const heartbeat = child.stdio[3] as import("node:stream").Readable;
    heartbeat.resume();
    const work = await untilBusy(transport, exited);
    child.stdin!.end("these are the session's next commands\n");
    await once(heartbeat, "data"); // it beats...
    assert.ok(running(work.pid), "stdin's EOF did not stop the work: the session's stdin is not the watchdog's");
    heartbeat.destroy(); // ...and the reader goes, as sshd's does with its client
    assert.equal(await exited, 143, "the work ended by SIGTERM");
    assert.equal(running(work.pid), false);
    assert.equal(await readRemoteWork(transport, STATE), undefined);
  });

  it("stop reaches the work's whole process group, children included", async () => {
    const root = makeTempDir();
    const transport = new LocalShellTransport(root);
    const marker = join(root, "child-pid");
    const { child, exited } = startFenced(root, ["sh", "-c", `sleep 60 & echo $! > ${shellQuote(marker)}; wait`]);
    await untilBusy(transport, exited);
    while (!existsSync(marker) || readFileSync(marker, "utf8").trim() === "") await new Promise((resolve) => setImmediate(resolve));
    const grandchild = Number(readFileSync(marker, "utf8"));
    await waitUntilIdle(transport, "20261122T101500Z-f00d", { remote: true, stop: true, purpose: "test", graceMs: 5000 });
    assert.equal(running(grandchild), false, "the work's own child was stopped too");
    child.stdin!.end();
    await exited;
  });

  it("without flock: the pid and its start time stand in, and still tell busy from free", async () => {
    const root = makeTempDir();
    const bin = join(root, "bin-without-flock");
    mkdirSync(bin);
    for (const tool of ["sh", "sed", "cut", "cat", "date", "hostname", "setsid", "sleep", "tr", "ps", "uname"]) {
      for (const directory of ["/usr/bin", "/bin"]) {
        if (existsSync(join(directory, tool))) {
          symlinkSync(join(directory, tool), join(bin, tool));
          break;
        }
      }
    }
    const env = { ...process.env, PATH: bin };
    const transport = new (class extends LocalShellTransport {
      override exec(command: string) {
        return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          const shell = spawn(join(bin, "sh"), ["-c", command], { cwd: root, env });
          let stdout = "";
          let stderr = "";
          shell.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
          shell.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
          shell.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
        });
      }
    })(root);
    const { child, exited } = startFenced(root, ["sleep", "60"], env);
    const work = await untilBusy(transport, exited);
    assert.equal((await transport.exec(fencedCommand(STATE, "another", ["true"]))).code, 75, "refused while the first runs");
    await signalRemoteWork(transport, STATE, "KILL");
    child.stdin!.end();
    await exited;
    assert.equal(running(work.pid), false);
    assert.equal(await readRemoteWork(transport, STATE), undefined, "free once the pid is gone");
  });

  it("cleanup keeps a promotion whose unzip still runs on the server, and with --stop stops it and cleans up", async () => {
    const dirs = copyRepoFixture("basic");
    const target = new LocalShellTransport(dirs.target);
    const stopped = await promote({ stagingDirectory: dirs.staging, target, remoteRoot: dirs.target, executor: "shell", now: NOW, beforePhase: (phase) => (phase === "commit" ? "pause" : true) });
    await releaseLock(target, stopped.plan.id); // its client is gone; only its server work is left
    const state = `.maven-promote/${stopped.plan.id}`;
    const child = spawn("sh", ["-c", `cd ${shellQuote(dirs.target)} && ${fencedCommand(state, "unpacking the bundle", ["sleep", "60"])}`], { stdio: ["pipe", "ignore", "ignore"] });
    const exited = new Promise((resolve) => child.on("close", resolve));
    while ((await readRemoteWork(target, state)) === undefined) await new Promise((resolve) => setImmediate(resolve));

    const kept = await cleanup({ target, olderThanMs: 0, dryRun: false, scan: false, now: new Date(Date.now() + 60_000) });
    assert.deepEqual(kept.actions, []);
    assert.match(kept.kept[0]!.reason, /^still running: unpacking the bundle \(pid \d+ on /);
    assert.ok(existsSync(join(dirs.target, "org/example/demo/1.2.rip")), "its .rip items are still there");

    const cleaned = await cleanup({ target, olderThanMs: 0, dryRun: false, scan: false, stop: true, graceMs: 2000, now: new Date(Date.now() + 60_000) });
    assert.ok(cleaned.actions.some((action) => action.what === "rip item"));
    assert.equal(existsSync(join(dirs.target, "org/example/demo/1.2.rip")), false);
    child.stdin!.end();
    await exited;
  });
});

describe("the lock's liveness", function () {
  this.timeout(30_000);
  afterEach(removeTempDirs);

  it("on this machine: exact, from the pid and the kernel's start time", async () => {
    const target = new LocalTransport(makeTempDir());
    const mine = lockFor("20261122T101500Z-aaaa");
    assert.equal(mine.pidStart, processStart(process.pid));
    assert.equal(await lockHolderAlive(target, mine), true);
    const sleeper = spawn("sleep", ["60"]);
    const alive = { ...mine, pid: sleeper.pid!, pidStart: processStart(sleeper.pid!)! };
    assert.equal(await lockHolderAlive(target, alive), true);
    assert.equal(await lockHolderAlive(target, { ...alive, pidStart: `${alive.pidStart}1` }), false, "same pid, another process (a reused pid)");
    sleeper.kill("SIGKILL");
    await new Promise((resolve) => sleeper.on("close", resolve));
    assert.equal(await lockHolderAlive(target, alive), false);
  });

  it("from another machine: alive while its heartbeat advances, gone once it stops", async () => {
    const target = new LocalTransport(makeTempDir());
    const saved = process.env.MAVEN_PROMOTE_HOSTNAME;
    process.env.MAVEN_PROMOTE_HOSTNAME = "ci-runner-elsewhere";
    const lock = lockFor("20261122T101500Z-bbbb");
    await acquireLock(target, lock, { heartbeatMs: 40 });
    if (saved === undefined) delete process.env.MAVEN_PROMOTE_HOSTNAME;
    else process.env.MAVEN_PROMOTE_HOSTNAME = saved;
    try {
      const seen = (await readLock(target))!;
      assert.equal(seen.host, "ci-runner-elsewhere");
      assert.equal(await lockHolderAlive(target, seen, 40), true, "its beat advanced");
      await stopHeartbeat(target, lock.id);
      assert.equal(await lockHolderAlive(target, (await readLock(target))!, 40), false, "three beats missed");
    } finally {
      await stopHeartbeat(target, lock.id);
    }
  });

  it("a holder whose lock was taken over notices at its next beat", async () => {
    const root = makeTempDir();
    const target = new LocalTransport(root);
    const lock = lockFor("20261122T101500Z-cccc");
    await acquireLock(target, lock, { heartbeatMs: 20 });
    try {
      writeFileSync(join(root, ".maven-promote/lock"), JSON.stringify({ ...lock, pid: lock.pid + 1 }));
      while (!lockLost(target, lock.id)) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal((await readLock(target))!.pid, lock.pid + 1, "and leaves the new holder's lock alone");
    } finally {
      await stopHeartbeat(target, lock.id);
    }
  });
});
