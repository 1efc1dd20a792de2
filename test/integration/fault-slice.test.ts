// The fault test's slice of `npm test` (issue 17): a fixed seed (FAULT_SEED overrides it), cuts
// and stalls at byte offsets anywhere in the conversation, both directions, every remote
// executor, all with zero failures. `npm run fault-test` runs the same harness for as long as
// you like; test/integration/link-faults.test.ts breaks the link at each named phase instead.
import assert from "node:assert/strict";
import { FAULT_EXECUTORS, formatFaultStats, runFaultTest } from "../../scripts/fault-harness.js";
import { skipWithoutSshd } from "../helpers/sshd.js";

const CI_SEED = 20261204;
const CI_CUTS = 9;
const CI_STALLS = 3;

describe("integration: fault test (a link cut or stalled at a seeded byte)", function () {
  this.timeout(1_200_000);

  it(`survives ${CI_CUTS} cuts and ${CI_STALLS} stalls across every remote executor with zero failures`, async function () {
    skipWithoutSshd(this);
    const seed = process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : CI_SEED;
    const stats = await runFaultTest({ cuts: CI_CUTS, stalls: CI_STALLS, seed });
    console.log(formatFaultStats(stats).replace(/^/gm, "      "));
    assert.deepEqual(stats.failures, []);
    assert.equal(stats.runs, CI_CUTS + CI_STALLS);
    for (const executor of FAULT_EXECUTORS) assert.ok(Object.keys(stats.faults).some((key) => key.startsWith(`${executor} `)), `${executor} was faulted`);
    assert.ok(stats.reconnected + stats.resumedAfter75 > 0, "some fault forced a reconnection");
  });
});
