// Shared by the test servers' helpers (nginx, Apache httpd): a free port on 127.0.0.1, and
// waiting for a server that has no readiness signal of its own to accept connections.
import type { ChildProcess } from "node:child_process";
import { connect, createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Connects until the server accepts, its process exits (an error with its stderr), or 10 s pass. */
export async function untilListening(name: string, port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}: ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${name} did not listen on ${port}: ${stderr()}`);
}
