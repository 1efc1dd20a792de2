// The shell session's own bookkeeping, against a stand-in channel: a session that ends while it
// is starting (the client closed its connection at once, as `status` does with a session it
// warmed up) rejects its start, and leaves no promise rejected unhandled, which would end Node.
// The real session is tested against sshd in test/integration/transport-contract.test.ts.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { ClientChannel } from "ssh2";
import { RemoteShell } from "../../../src/transport/remote-shell.js";

class StandInChannel extends EventEmitter {
  readonly stderr = new EventEmitter();
  readonly written: string[] = [];
  write(text: string): boolean {
    this.written.push(text);
    return true;
  }
  end(): void {}
  close(): void {}
}

describe("RemoteShell", () => {
  it("a session that ends while starting rejects its start, and nothing else rejects unhandled", async () => {
    const channel = new StandInChannel();
    const unhandled: unknown[] = [];
    const record = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", record);
    try {
      const opening = RemoteShell.open(async () => channel as unknown as ClientChannel, "/repo");
      // Once its setup and both first commands are written, the channel closes under them.
      while (channel.written.length < 3) await new Promise((resolve) => setImmediate(resolve));
      channel.emit("close");
      await assert.rejects(opening, /the server's shell session ended/);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", record);
    }
  });
});
