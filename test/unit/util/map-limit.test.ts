// mapLimit: bounded concurrency, results in input order, and after a failure nothing new starts
// and nothing is left running when the error reaches the caller.
import assert from "node:assert/strict";
import { mapLimit } from "../../../src/util/map-limit.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("mapLimit", () => {
  it("keeps at most `limit` calls in flight and the results in input order", async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (value) => {
      most = Math.max(most, ++inFlight);
      for (let index = 0; index < value; index++) await turn();
      inFlight--;
      return value * 10;
    });
    assert.deepEqual(results, [50, 10, 40, 20, 30, 0, 60]);
    assert.equal(most, 3);
  });

  it("after a failure: starts nothing new, and rejects only once the calls in flight have settled", async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const run = mapLimit(Array.from({ length: 20 }, (_, index) => index), 4, async (value) => {
      started.push(value);
      await turn();
      if (value === 1) throw new Error("boom");
      for (let index = 0; index < 5; index++) await turn();
      settled.push(value);
      return value;
    });
    await assert.rejects(run, /boom/);
    assert.deepEqual(started.sort((a, b) => a - b), [0, 1, 2, 3], "nothing started after the failure");
    assert.deepEqual(settled.sort((a, b) => a - b), [0, 2, 3], "every other call had settled when the error came");
  });
});
