// A wide-area link in a box, for `npm run bench -- --wan`: a TCP proxy on 127.0.0.1 that delays
// every byte by half the round trip each way and caps each direction's bandwidth, so that round
// trips (which loopback hides) cost what they cost over the internet.
//
//   node dist/scripts/wan-proxy.js --to PORT [--rtt-ms 40] [--mbit 100]
// prints "listening PORT" on stdout once it accepts connections, and runs until killed.
//
// Each direction is a queue: a chunk starts "on the wire" when the link is free, takes
// bytes / rate to send, and arrives half a round trip later. The proxy acknowledges at once (it
// is the far end's TCP stack), so a reader that stops reading pauses its sender once 4 MiB wait.
import { connect, createServer, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { listenOnLoopback } from "../test/helpers/tcp-proxy.js";

const HIGH_WATER = 4 * 1024 * 1024;

export interface LinkOptions {
  /** Round-trip time added (ms); each direction gets half. */
  rttMs: number;
  /** Bandwidth cap of each direction (Mbit/s); 0 for none. */
  mbit: number;
}

/** Forwards `from` to `to` through a delaying, rate-limited queue. */
export function delayedPipe(from: Socket, to: Socket, link: LinkOptions): void {
  const oneWayMs = link.rttMs / 2;
  const bytesPerMs = link.mbit > 0 ? (link.mbit * 1e6) / 8 / 1000 : Infinity;
  const queue: { chunk: Buffer; at: number }[] = [];
  let queued = 0;
  let linkFreeAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;

  const deliver = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.at <= now) {
      const { chunk } = queue.shift()!;
      queued -= chunk.length;
      to.write(chunk);
    }
    if (queued < HIGH_WATER && from.isPaused()) from.resume();
    if (queue.length > 0) timer = setTimeout(deliver, Math.max(0, queue[0]!.at - performance.now()));
    else if (ended) to.end();
  };

  from.on("data", (chunk: Buffer) => {
    const now = performance.now();
    const start = Math.max(now, linkFreeAt);
    linkFreeAt = start + chunk.length / bytesPerMs;
    queue.push({ chunk, at: linkFreeAt + oneWayMs });
    queued += chunk.length;
    if (queued >= HIGH_WATER) from.pause();
    timer ??= setTimeout(deliver, Math.max(0, queue[0]!.at - now));
  });
  from.on("end", () => {
    ended = true;
    if (queue.length === 0 && timer === undefined) to.end();
  });
}

export async function startWanProxy(targetPort: number, link: LinkOptions): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    delayedPipe(client, upstream, link);
    delayedPipe(upstream, client, link);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { to: { type: "string" }, "rtt-ms": { type: "string", default: "40" }, mbit: { type: "string", default: "100" } } });
  const port = Number(values.to);
  if (!Number.isInteger(port) || port <= 0) {
    process.stderr.write("wan-proxy: --to PORT is required\n");
    process.exit(2);
  }
  const proxy = await startWanProxy(port, { rttMs: Number(values["rtt-ms"]), mbit: Number(values.mbit) });
  process.stdout.write(`listening ${proxy.port}\n`);
}
