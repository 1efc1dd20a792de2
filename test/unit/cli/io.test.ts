// Long output waits for stdout (issue 18, part 4): a pipe queues without limit what its reader
// has not taken, and the --json report of 3,000 artifacts was queued whole at the end of a run.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { writePieces, type CliIo } from "../../../src/cli/io.js";

describe("writePieces", () => {
  it("writes each piece once the stream has taken the ones before: never more than one piece past its high-water mark is queued", async () => {
    let maxQueued = 0;
    const received: string[] = [];
    const stream = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk.toString());
        setImmediate(callback); // a slow reader
      },
    });
    const io = { stdout: () => assert.fail("the stream is written, not stdout()"), stdoutStream: stream } as unknown as CliIo;
    const pieces = Array.from({ length: 200 }, (_, index) => `${index}:${"x".repeat(4096)}\n`);
    function* watched(): Generator<string> {
      for (const piece of pieces) {
        maxQueued = Math.max(maxQueued, stream.writableLength);
        yield piece;
      }
    }
    await writePieces(io, watched());
    assert.equal(received.join(""), pieces.join(""));
    assert.ok(maxQueued <= 1024 + 4200, `at most one piece over the high-water mark was queued (${maxQueued} bytes)`);
  });

  it("stops, without an error, when the stream fails while it waits for 'drain' (the reader left: 'drain' never comes)", async () => {
    const stream = new Writable({
      highWaterMark: 16,
      write(_chunk: Buffer, _encoding, callback) {
        callback(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      },
    });
    stream.on("error", () => undefined); // as outliveStdioReaders() listens on process.stdout
    let asked = 0;
    function* counted(): Generator<string> {
      for (let index = 0; index < 100; index++) {
        asked++;
        yield "x".repeat(64);
      }
    }
    await writePieces({ stdout: () => assert.fail("the stream is written"), stderr: () => undefined, env: {}, isTty: false, stdoutStream: stream }, counted());
    assert.ok(asked < 100, `it stopped asking for pieces once the stream failed (${asked} asked)`);
  });

  it("without a stream, hands every piece to stdout()", async () => {
    const out: string[] = [];
    await writePieces({ stdout: (text: string) => out.push(text), stderr: () => undefined, env: {}, isTty: false }, ["a", "b", "c"]);
    assert.deepEqual(out, ["a", "b", "c"]);
  });
});
