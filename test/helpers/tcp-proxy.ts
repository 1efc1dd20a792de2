// A TCP proxy on 127.0.0.1 between a client and a server, whose connections a test can cut at
// any instant: how the crash tests drop the network under a running promotion.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  /** Destroys every open connection, both sides, at once. */
  cutAll(): number;
  /**
   * Stops forwarding on every open connection and keeps the server's side open even once the
   * client's side closes: a network that drops silently, so the server never learns that its
   * client is gone (the orphaned remote process of DESIGN.md invariant 6).
   */
  freezeAll(): void;
  /** Closes the server's side of every frozen connection: the server learns at last that its client is gone. */
  cutFrozen(): number;
  close(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1; resolves with the port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no port");
  return address.port;
}

export async function startTcpProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const frozen = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    track(client);
    track(upstream);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => {
      pairs.delete(pair);
      if (!frozen.has(upstream)) upstream.destroy();
    });
    upstream.on("close", () => client.destroy());
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    cutAll() {
      const count = sockets.size;
      for (const socket of sockets) socket.destroy();
      frozen.clear();
      return count;
    },
    freezeAll() {
      for (const [client, upstream] of pairs) {
        frozen.add(upstream);
        client.unpipe(upstream);
        upstream.unpipe(client);
        upstream.pause();
        client.pause();
      }
    },
    cutFrozen() {
      const open = [...frozen].filter((socket) => !socket.destroyed);
      const count = open.length;
      for (const socket of open) socket.destroy();
      frozen.clear();
      return count;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
