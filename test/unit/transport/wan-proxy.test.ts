// The benchmark's wide-area link (scripts/wan-proxy.ts): every byte arrives, in order, and no
// earlier than the delay and the bandwidth cap allow (lower bounds only: a busy machine can
// only make it slower).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer, connect, type Server } from "node:net";
import { startWanProxy } from "../../../scripts/wan-proxy.js";

async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describe("wan-proxy", () => {
  it("delivers every byte in order, a round trip no sooner than the RTT, and no faster than the cap", async () => {
    const { server, port } = await echoServer();
    const proxy = await startWanProxy(port, { rttMs: 60, mbit: 40 });
    try {
      const payload = randomBytes(1024 * 1024);
      const socket = connect(proxy.port, "127.0.0.1");
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      const started = performance.now();
      const received: Buffer[] = [];
      let length = 0;
      let firstByteMs = 0;
      const done = new Promise<void>((resolve) =>
        socket.on("data", (chunk: Buffer) => {
          if (length === 0) firstByteMs = performance.now() - started;
          received.push(chunk);
          length += chunk.length;
          if (length >= payload.length) resolve();
        }),
      );
      socket.write(payload);
      await done;
      const elapsedMs = performance.now() - started;
      socket.destroy();
      assert.equal(createHash("sha256").update(Buffer.concat(received)).digest("hex"), createHash("sha256").update(payload).digest("hex"));
      assert.ok(firstByteMs >= 60, `the first byte came back after ${firstByteMs.toFixed(1)} ms, under the 60 ms RTT`);
      // 1 MiB at 40 Mbit/s takes 210 ms on the wire each way (the two directions overlap).
      assert.ok(elapsedMs >= 210 + 60, `1 MiB echoed in ${elapsedMs.toFixed(0)} ms, faster than 40 Mbit/s allows`);
    } finally {
      proxy.close();
      server.close();
    }
  });
});
