// Every operation of the SFTP transport settles once its connection is gone (issue 17): before,
// ssh2 left some requests unanswered for good when the socket died, and the CLI ended with
// Node's exit 13 and no word. Here each operation is sent over a link held still (the fault
// proxy's stall: requests go out, nothing comes back), then the link is reset: each must reject
// with ERR_CONNECTION_LOST naming the target and what it was doing, none may hang. (That every
// operation of the Transport interface is guarded is checked when sftp-transport.ts compiles.)
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { PromoteError } from "../../src/errors.js";
import { openSftpTransport } from "../../src/connect/open-sftp.js";
import { GUARDED_OPERATIONS } from "../../src/transport/connection-guard.js";
import type { SftpTransport } from "../../src/transport/sftp-transport.js";
import type { Transport } from "../../src/transport/transport.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { makeTempDir, removeTempDirs } from "../helpers/temp-repos.js";

/** One call of each guarded operation, with arguments that make it talk to the server. */
const CALLS: Record<(typeof GUARDED_OPERATIONS)[number], (transport: Transport, local: string) => Promise<unknown>> = {
  stat: (t) => t.stat("a/file"),
  readFile: (t) => t.readFile("a/file"),
  list: (t) => t.list("a"),
  digest: (t) => t.digest("a/file", ["sha256"]),
  writeFile: (t) => t.writeFile("b/new", "bytes"),
  createExclusive: (t) => t.createExclusive("b/exclusive", "bytes"),
  appendFile: (t) => t.appendFile("a/file", "more"),
  download: (t, local) => t.download("a/file", join(local, "downloaded")),
  upload: (t, local) => t.upload(join(local, "big"), "b/uploaded"),
  uploadStream: (t) => t.uploadStream(Readable.from([Buffer.alloc(1024 * 1024, 7)]), "b/streamed"),
  uploadMany: (t, local) => t.uploadMany!([{ path: "f/g/small", size: 5, content: "bytes" }, { path: "f/h/big", size: 4 * 1024 * 1024, localPath: join(local, "big") }]),
  mkdirp: (t) => t.mkdirp("c/d/e"),
  rename: (t) => t.rename("a/file", "a/renamed", { replace: true }),
  applyInOrder: (t) => t.applyInOrder!([{ op: "rename", from: "a/file", to: "a/moved" }]),
  linkOrCopy: (t) => t.linkOrCopy("a/file", "a/linked"),
  remove: (t) => t.remove("a/file"),
  removeEmptyDirectory: (t) => t.removeEmptyDirectory("a"),
  removeTree: (t) => t.removeTree("a"),
  sync: (t) => t.sync(["a/file"]),
  sha256OnServer: (t) => t.sha256OnServer!(["a/file"]),
  exec: (t) => t.exec!("true"),
  // Two lines, as a fenced command is a whole script: no part of it may reach the message.
  execWithInput: (t) => t.execWithInput!("cat >/dev/null\n: the script goes on", Readable.from([Buffer.alloc(1024 * 1024, 7)])),
  probeOnServer: (t) => t.probeOnServer!({ stat: ["a/file"], read: ["a/file"], maxBytes: 1024 }),
  freeSpace: (t) => t.freeSpace!(),
  statMany: (t) => t.statMany!(["a/file", "a"]),
  probeInFlight: (t) => t.probeInFlight!({ stat: ["a"], read: ["a/file"], maxBytes: 1024 }),
  digestMany: (t) => t.digestMany!([{ path: "a/file", size: 5 }], ["sha256"]),
  applyAll: (t) => t.applyAll!([{ op: "link", from: "a/file", to: "c/linked" }, { op: "move", from: "a/file", to: "a/moved", replace: false }]),
};

describe("integration: every SFTP operation settles when the connection is lost", function () {
  this.timeout(60_000);
  let sshd: SshServer;

  before(async function () {
    skipWithoutSshd(this);
    sshd = await startSshd();
  });

  after(async () => {
    await sshd?.stop();
    removeTempDirs();
  });

  async function connectThrough(proxy: FaultProxy, root: string): Promise<SftpTransport> {
    const knownHosts = join(makeTempDir(), "known_hosts");
    writeFileSync(knownHosts, `[127.0.0.1]:${proxy.port} ${sshd.hostPublicKeyLine}\n`);
    return openSftpTransport({
      host: "127.0.0.1", port: proxy.port, user: sshd.user, root, location: `sftp://${sshd.user}@127.0.0.1:${proxy.port}${root}`,
      identityFile: sshd.clientKeyPath, knownHostsPath: knownHosts, acceptNewHostKey: false,
      keepaliveIntervalMs: 0, // only the reset may end these operations
    });
  }

  for (const kind of ["reset", "eof"] as const) {
    it(`a ${kind} settles ${Object.keys(CALLS).length} operations in flight, each with ERR_CONNECTION_LOST naming the target`, async () => {
      const root = makeTempDir();
      const local = makeTempDir();
      writeFileSync(join(local, "big"), Buffer.alloc(4 * 1024 * 1024, 1));
      const proxy = await startFaultProxy(sshd.port, undefined);
      const transport = await connectThrough(proxy, root);
      try {
        await transport.writeFile("a/file", "content");
        proxy.strike("stall");
        const outcomes = Object.entries(CALLS).map(([name, call]) =>
          call(transport, local).then(
            () => ({ name, error: undefined as unknown }),
            (error: unknown) => ({ name, error }),
          ),
        );
        proxy.strike(kind);
        for (const { name, error } of await Promise.all(outcomes)) {
          assert.ok(error instanceof PromoteError, `${name} rejected with a PromoteError (got ${String(error)})`);
          assert.equal(error.code, "ERR_CONNECTION_LOST", `${name}: ${error.message}`);
          assert.match(error.message, new RegExp(`^sftp://${sshd.user}@127\\.0\\.0\\.1:${proxy.port}\\S+: the connection was lost`), name);
          assert.ok(!error.message.includes("\n") && error.message.length < 400, `${name}: one short line (got ${error.message.length} characters)`);
        }
        // And what comes after fails at once, the same way.
        await assert.rejects(transport.stat("a/file"), (error: PromoteError) => error.code === "ERR_CONNECTION_LOST");
      } finally {
        await transport.close();
        await proxy.close();
      }
    });
  }

  // The watch that settles them must not hold on to what they returned (issue 18, part 4): a
  // Promise.race with the connection's end, a promise that never settles, kept the result of
  // every operation alive for as long as the connection (45,000 stats and digests of 3,000
  // artifacts, each read back, held through the commit and the verify).
  it("keeps no operation's result alive once its caller lets go of it", async () => {
    const root = makeTempDir();
    const transport = await openSftpTransport({
      host: "127.0.0.1", port: sshd.port, user: sshd.user, root, location: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${root}`,
      identityFile: sshd.clientKeyPath, knownHostsPath: sshd.knownHostsPath, acceptNewHostKey: false,
    });
    try {
      await transport.writeFile("a/file", "content");
      const results = [await transport.statMany!(["a/file", "a"]), await transport.readFile("a/file"), await transport.digestMany!([{ path: "a/file", size: 7 }], ["sha256"])];
      const references = results.map((result) => new WeakRef(result as object));
      results.length = 0;
      await collectGarbage();
      assert.deepEqual(references.map((reference) => reference.deref() === undefined), [true, true, true]);
    } finally {
      await transport.close();
    }
  });
});

/** A full collection, once the current job has let go of its WeakRef targets. */
async function collectGarbage(): Promise<void> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}
