// A group promotion killed at any instant ends all-new or all-old (issue 19): a local target and
// one on a private sshd (with its shell, where the server's tar -x and rename script may still
// run after the kill, and with --sftp-only) are promoted as one; the client stops itself at its N-th
// event (MAVEN_PROMOTE_STOP_AT=#N, N chosen by a seeded random over the whole run: every phase
// of every member, the commits included) and is killed there (SIGKILL); then `resume ID` or
// `rollback ID` with the same --to list (chosen by the seed) recovers the group. Afterwards every
// target holds no lock and no `.rip` item, and either every target equals its fully promoted
// tree or every target equals the original, byte for byte. A resume that finds a member the
// group never reached refuses (ERR_RECOVERY_REFUSED); rollback then ends it all-old.
//
// Replay one: GROUP_CRASH_SEED=S GROUP_CRASH_KILLS=K npm test -- --grep 'group killed'.
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { runCliProcess } from "../helpers/cli.js";
import { procStat, spawnCli } from "../helpers/cli-process.js";
import { seededRandom } from "../helpers/seeded-random.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { makeTempDir, removeTempDirs, treeFingerprint } from "../helpers/temp-repos.js";

const SEED = Number(process.env.GROUP_CRASH_SEED ?? 19);
/** Kills per executor. */
const KILLS = Number(process.env.GROUP_CRASH_KILLS ?? 3);
const EXECUTORS = ["sftp-only", "shell"] as const;

/** What Maven sees, and what maven-promote must leave behind: everything but its own records. */
function comparableTree(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
}

describe("integration: a group killed at any event ends all-new or all-old", function () {
  this.timeout(600_000);
  let server: SshServer;
  let example: { staging: string; target: string };
  let original: Record<string, string>;

  before(async function () {
    skipWithoutSshd(this);
    server = await startSshd();
    example = writeExampleRepositories(makeTempDir());
    original = comparableTree(example.target);
  });

  after(async () => {
    await server?.stop();
    removeTempDirs();
  });

  function freshGroup(): { dirs: string[]; urls: string[] } {
    const dirs = [0, 1].map(() => {
      const dir = join(makeTempDir(), "target");
      cpSync(example.target, dir, { recursive: true });
      return dir;
    });
    return { dirs, urls: [dirs[0]!, `sftp://${server.user}@127.0.0.1:${server.port}${dirs[1]}`] };
  }

  for (const executor of EXECUTORS) {
    // Recovery waits for the server's work that outlived the client (its tar -x or rename script).
    const sshArgs = (): string[] => ["--identity", server.clientKeyPath, "--known-hosts", server.knownHostsPath, ...(executor === "sftp-only" ? ["--sftp-only"] : [])];
    const common = (urls: readonly string[]): string[] => [...urls.flatMap((url) => ["--to", url]), ...sshArgs()];

    it(`${executor}: a group killed at ${KILLS} events chosen by seed ${SEED} (of every phase of both members) is recovered all-new or all-old`, async function () {
      this.timeout(120_000 + KILLS * 60_000); // a kill and its recovery take 5-20 s
      // The run unharmed: the promoted trees, and how many events a whole run has.
      const reference = freshGroup();
      const whole = spawnCli(["promote", "--from", example.staging, ...common(reference.urls)]);
      const wholeRun = await whole.exited;
      assert.equal(wholeRun.code, 0, wholeRun.stderr);
      const promoted = reference.dirs.map(comparableTree);
      const events = wholeRun.stderr.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { type: string; phase?: string });
      assert.ok(events.some((event) => event.type === "commit:step"), "the commits' steps are among the events");

      // Where a kill may land: every event but the second and later of a run of upload:progress
      // (a run of them is one moment), so that the kills spread over phases, not over writes.
      const moments = events.flatMap((event, index) => (event.type === "upload:progress" && events[index - 1]?.type === "upload:progress" ? [] : [index + 1]));
      const random = seededRandom(SEED);
      const seen: string[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        // Spread over the run: the k-th kill lands in the k-th slice of the moments.
        const n = moments[Math.floor(((kill + random()) / KILLS) * moments.length)]!;
        const recovery = random() < 0.5 ? "resume" : "rollback";
        const at = `#${n} (${events[n - 1]!.type}${events[n - 1]!.phase === undefined ? "" : ` ${events[n - 1]!.phase}`}), then ${recovery}`;
        seen.push(at);
        const { dirs, urls } = freshGroup();
        const cli = spawnCli(["promote", "--from", example.staging, ...common(urls)], { MAVEN_PROMOTE_STOP_AT: `#${n}` });
        let count = 0;
        await cli.waitForEvent(() => ++count === n);
        // Stopped at its N-th event (the event is written just before it stops itself): killed there.
        for (let state = procStat(cli.child.pid!)?.[0]; state !== undefined && state !== "T"; state = procStat(cli.child.pid!)?.[0]) await new Promise((resolve) => setImmediate(resolve));
        cli.child.kill("SIGKILL");
        const { stderr } = await cli.exited;
        // Before its first lock the group has written nothing anywhere: there is nothing to recover.
        const locked = stderr.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { type: string; id?: string }).find((event) => event.type === "lock:acquired");
        const id = locked?.id;

        if (id !== undefined) {
          let recovered = await runCliProcess([recovery, id, ...common(urls), "--wait", "2m"]);
          if (recovery === "resume" && recovered.code !== 0) {
            // Only a group that never reached a member may refuse to be finished: it is rolled back.
            assert.match(recovered.stderr, /never reached .* \[ERR_RECOVERY_REFUSED\]/, `${at}: ${recovered.stderr}`);
            recovered = await runCliProcess(["rollback", id, ...common(urls), "--wait", "2m"]);
          }
          assert.equal(recovered.code, 0, `${at}: ${recovered.stderr}`);
        }
        const trees = dirs.map(comparableTree);
        const allNew = trees.every((tree, index) => JSON.stringify(tree) === JSON.stringify(promoted[index]));
        const allOld = trees.every((tree) => JSON.stringify(tree) === JSON.stringify(original));
        assert.ok(allNew || allOld, `${at}: the targets are neither all promoted nor all as before`);
        for (const url of urls) {
          const status = await runCliProcess(["status", "--to", url, ...sshArgs()]);
          assert.match(status.stdout, /^Lock: free/, `${at}: ${url} is still locked`);
        }
      }
      console.log(`      kills: ${seen.join("; ")}`);
    });
  }
});
