// A TCP proxy on 127.0.0.1 that breaks a link the ways the real world does (issue 17): once N
// bytes have gone one way, it cuts the connection (a reset, or a clean EOF), or stalls that
// direction for S ms (nothing forwarded, nothing closed: a VPN that hangs) and then carries on.
// Only the connections it is told to fault are faulted (by default the first), so a client that
// reconnects gets a clean link, as after a real outage. Deterministic: a fault is data (its seed
// picks it through faultFromSeed), and the proxy reports whether and where it fired.
import { connect, createServer, type Server, type Socket } from "node:net";
import { listenOnLoopback } from "./tcp-proxy.js";
import { seededRandom } from "./seeded-random.js";

export type FaultDirection = "up" | "down";
export type FaultKind = "reset" | "eof" | "stall";

export interface Fault {
  /** up: client to server (the upload); down: server to client. */
  direction: FaultDirection;
  /** The fault fires once this many bytes have been forwarded that way on the connection. */
  afterBytes: number;
  kind: FaultKind;
  /** How long a stall holds the direction still (ms); Infinity: for good. */
  stallMs?: number;
  /**
   * Which connections (1 = the first accepted) get the fault; default [1]. "first-to-reach":
   * whichever connection first has afterBytes go its way, once (clients with many connections).
   */
  connections?: readonly number[] | "first-to-reach";
}

export interface FaultProxy {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Bytes forwarded each way, over all connections. */
  bytes(): Record<FaultDirection, number>;
  /** The connections on which the fault fired, and how many bytes had gone its way then. */
  fired(): Array<{ connection: number; atBytes: number }>;
  /**
   * Breaks every open connection now, whatever its bytes: how a test drops the link at an exact
   * event of the client (a reset, an EOF, or a stall that holds both directions for good).
   */
  strike(kind: FaultKind): number;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number, fault: Fault | undefined): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const totals: Record<FaultDirection, number> = { up: 0, down: 0 };
  const fired: Array<{ connection: number; atBytes: number }> = [];
  let accepted = 0;
  const strikers = new Set<(kind: FaultKind) => void>();
  const server: Server = createServer((client) => {
    const connection = ++accepted;
    const upstream = connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
    }
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    const which = fault?.connections ?? [1];
    const faulted = fault !== undefined && (which === "first-to-reach" || which.includes(connection)) ? fault : undefined;
    // A reset, or a clean EOF both ways: each side reads end-of-stream mid-conversation.
    const breakLink = (): void => breakLinkAs(faulted?.kind === "reset" ? "reset" : "eof");
    forward(client, upstream, "up");
    forward(upstream, client, "down");
    const strike = (kind: FaultKind): void => {
      if (kind !== "stall") return breakLinkAs(kind);
      for (const socket of [client, upstream]) {
        socket.removeAllListeners("data");
        socket.pause();
      }
    };
    strikers.add(strike);
    client.on("close", () => strikers.delete(strike));

    function breakLinkAs(kind: Exclude<FaultKind, "stall">): void {
      if (kind === "reset") {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      } else {
        client.end();
        upstream.end();
      }
    }

    function forward(from: Socket, to: Socket, direction: FaultDirection): void {
      let sent = 0;
      let held: Buffer[] | undefined; // while stalled: what arrived, to send when it ends
      const armed = faulted?.direction === direction ? faulted : undefined;
      let done = armed === undefined;
      from.on("data", (chunk: Buffer) => {
        if (held !== undefined) return void held.push(chunk);
        if (!done && armed!.connections === "first-to-reach" && fired.length > 0) done = true;
        if (!done && sent + chunk.length >= armed!.afterBytes) {
          done = true;
          const head = chunk.subarray(0, armed!.afterBytes - sent);
          if (head.length > 0) to.write(head);
          sent += head.length;
          totals[direction] += head.length;
          fired.push({ connection, atBytes: sent });
          if (armed!.kind !== "stall") return breakLink();
          held = [chunk.subarray(head.length)];
          from.pause(); // TCP pushes back on the sender, as a hung link would
          if (armed!.stallMs === Infinity) return;
          const timer = setTimeout(() => {
            timers.delete(timer);
            const rest = Buffer.concat(held!);
            held = undefined;
            if (!to.destroyed) to.write(rest);
            sent += rest.length;
            totals[direction] += rest.length;
            from.resume();
          }, armed!.stallMs ?? 0);
          timers.add(timer);
          return;
        }
        sent += chunk.length;
        totals[direction] += chunk.length;
        if (!to.write(chunk)) {
          from.pause();
          to.once("drain", () => from.resume());
        }
      });
      from.on("end", () => {
        if (held === undefined) to.end();
      });
    }
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    connections: () => accepted,
    bytes: () => ({ ...totals }),
    fired: () => [...fired],
    strike(kind) {
      const count = strikers.size;
      for (const strike of [...strikers]) strike(kind);
      return count;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}


/**
 * The fault a seed stands for, within a clean run's byte counts each way: a direction, a byte
 * offset anywhere in the conversation, and a kind (stalls as often as `stallShare` says, held
 * for `stallMs`).
 */
export function faultFromSeed(seed: number, cleanBytes: Record<FaultDirection, number>, options: { stallShare?: number; stallMs?: number } = {}): Fault {
  const random = seededRandom(seed);
  const direction: FaultDirection = random() < 0.5 ? "up" : "down";
  const afterBytes = 1 + Math.floor(random() * Math.max(1, cleanBytes[direction] - 1));
  const stall = random() < (options.stallShare ?? 0);
  const kind: FaultKind = stall ? "stall" : random() < 0.5 ? "reset" : "eof";
  return { direction, afterBytes, kind, ...(stall ? { stallMs: options.stallMs ?? Infinity } : {}) };
}
