// The round-trip counter: the depth of the longest chain of waits, whatever the number of
// requests, as the benchmark and `--json` report it.
import assert from "node:assert/strict";
import type { SFTPWrapper } from "ssh2";
import { asBackground, countSftpRequests, RoundTripCounter } from "../../../src/transport/round-trips.js";
import { mapLimit } from "../../../src/util/map-limit.js";

/** A request answered on a later turn of the event loop, as a server's answer is. */
function request(counter: RoundTripCounter): Promise<void> {
  const end = counter.begin();
  return new Promise((resolve) => setImmediate(() => (end(), resolve())));
}

describe("RoundTripCounter", () => {
  it("one request after another: each is a round trip", async () => {
    const counter = new RoundTripCounter();
    for (let index = 0; index < 10; index++) await request(counter);
    assert.deepEqual(counter.stats, { requests: 10, roundTrips: 10, channels: 0 });
  });

  it("all in flight at once: one round trip, however many requests", async () => {
    const counter = new RoundTripCounter();
    await Promise.all(Array.from({ length: 3000 }, () => request(counter)));
    assert.deepEqual(counter.stats, { requests: 3000, roundTrips: 1, channels: 0 });
  });

  it("a window of 64 over 3,000 requests: 3000 / 64 round trips deep, not 1", async () => {
    const counter = new RoundTripCounter();
    await mapLimit(Array.from({ length: 3000 }), 64, () => request(counter));
    assert.equal(counter.stats.requests, 3000);
    assert.equal(counter.stats.roundTrips, Math.ceil(3000 / 64));
  });

  it("an answer counted twice is still one", async () => {
    const counter = new RoundTripCounter();
    const end = counter.begin();
    end();
    end();
    await request(counter);
    assert.deepEqual(counter.stats, { requests: 2, roundTrips: 2, channels: 0 });
  });
});

describe("RoundTripCounter: bulk requests", () => {
  it("reads and writes of contents are counted as requests, not as round trips", async () => {
    const counter = new RoundTripCounter();
    for (let index = 0; index < 5; index++) {
      const end = counter.begin(true);
      await new Promise((resolve) => setImmediate(resolve));
      end();
    }
    await request(counter);
    assert.deepEqual(counter.stats, { requests: 6, roundTrips: 1, channels: 0 });
  });
});

describe("countSftpRequests", () => {
  /** A stand-in for ssh2's SFTP object: each request is answered on a later turn. */
  function fakeSftp(): SFTPWrapper {
    return { stat: (_path: string, callback: () => void) => setImmediate(callback) } as unknown as SFTPWrapper;
  }
  const stat = (sftp: SFTPWrapper): Promise<void> => new Promise((resolve) => (sftp.stat as unknown as (path: string, cb: () => void) => void)("x", resolve));

  it("counts each request, and one after another as a chain", async () => {
    const counter = new RoundTripCounter();
    const sftp = fakeSftp();
    countSftpRequests(sftp, counter);
    for (let index = 0; index < 3; index++) await stat(sftp);
    assert.deepEqual(counter.stats, { requests: 3, roundTrips: 3, channels: 0 });
  });

  it("background work (the lock's heartbeat) is counted as requests, not as round trips", async () => {
    const counter = new RoundTripCounter();
    const sftp = fakeSftp();
    countSftpRequests(sftp, counter);
    await asBackground(async () => {
      for (let index = 0; index < 5; index++) await stat(sftp);
    });
    await stat(sftp);
    assert.deepEqual(counter.stats, { requests: 6, roundTrips: 1, channels: 0 });
  });
});
