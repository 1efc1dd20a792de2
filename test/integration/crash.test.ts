// The bounded crash run of `npm test`: at least 50 kills across every phase, all recovered.
import assert from "node:assert/strict";
import { CRASH_PHASES, formatCrashStats, runCrashTest } from "../../scripts/crash-harness.js";
import { skipWithoutSshd } from "../helpers/sshd.js";

describe("integration: crash test (kill, then resume or rollback)", function () {
  this.timeout(900_000);

  it("recovers from 50 kills across every phase with zero failures", async function () {
    skipWithoutSshd(this);
    const stats = await runCrashTest({ kills: 50, ...(process.env.CRASH_SEED ? { seed: Number(process.env.CRASH_SEED) } : {}) });
    console.log(formatCrashStats(stats).replace(/^/gm, "      "));
    assert.deepEqual(stats.failures, []);
    assert.ok(stats.totalKills >= 50, `only ${stats.totalKills} kills landed`);
    for (const phase of CRASH_PHASES) {
      const kills = Object.values(stats.kills[phase]).reduce((sum, count) => sum + count, 0);
      assert.ok(kills > 0, `no kill landed in ${phase}`);
    }
    assert.ok(stats.recoveries.resume > 0 && stats.recoveries.rollback > 0, "both recoveries were exercised");
  });
});
