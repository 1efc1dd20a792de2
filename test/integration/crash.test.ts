// The crash slice of `npm test`, part one: a fixed seed (CRASH_SEED overrides it), kills at every
// kill point of every executor by every method, recovered at once while the server may still be
// working, all with zero failures. Part two, test/integration/fence.test.ts, keeps the server
// busy on purpose (gates) at each server point, for rollback and resume, --wait and --stop.
// `npm run crash-test` runs this harness for as long as you like.
import assert from "node:assert/strict";
import { EXECUTORS, POINTS_OF, formatCrashStats, runCrashTest } from "../../scripts/crash-harness.js";
import { skipWithoutSshd } from "../helpers/sshd.js";

const CI_SEED = 20261202;
// 9 kills per executor (they take turns by kills landed): one at each point of the shell ones.
const CI_KILLS = 45;

describe("integration: crash test (kill, then resume or rollback at once)", function () {
  this.timeout(1_200_000);

  it(`recovers from ${CI_KILLS} kills across every point of every executor with zero failures`, async function () {
    skipWithoutSshd(this);
    const seed = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : CI_SEED;
    const stats = await runCrashTest({ kills: CI_KILLS, seed });
    console.log(formatCrashStats(stats).replace(/^/gm, "      "));
    assert.deepEqual(stats.failures, []);
    assert.ok(stats.totalKills >= CI_KILLS, `only ${stats.totalKills} kills landed`);
    for (const executor of EXECUTORS) {
      for (const [point, count] of Object.entries(stats.kills[executor])) {
        if (!POINTS_OF[executor].includes(point as never)) continue;
        assert.ok(count > 0, `no kill landed at ${point} with the ${executor} executor`);
      }
    }
    for (const how of ["resume --wait", "resume --stop", "rollback --wait", "rollback --stop"] as const) assert.ok(stats.recoveries[how] > 0, `${how} was exercised`);
  });
});
