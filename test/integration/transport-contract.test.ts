// One contract, every transport: the local directory, SFTP with a shell, and SFTP on a
// chrooted server without one, each against a real directory (and a real OpenSSH sshd).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalTransport } from "../../src/transport/local-transport.js";
import { probeMany } from "../../src/transport/read-many.js";
import { openSftpTransport } from "../../src/connect/open-sftp.js";
import type { SftpTransport } from "../../src/transport/sftp-transport.js";
import type { Transport } from "../../src/transport/transport.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { makeTempDir, removeTempDirs } from "../helpers/temp-repos.js";

interface Subject {
  name: string;
  /** Opens a transport over a fresh empty directory; `disk` is that directory on this machine. */
  open(): Promise<{ transport: Transport; disk: string }>;
}

const servers: SshServer[] = [];

async function server(chrootSftpOnly: boolean): Promise<SshServer> {
  const existing = servers.find((candidate) => (candidate.sftpRoot !== undefined) === chrootSftpOnly);
  if (existing !== undefined) return existing;
  const started = await startSshd({ chrootSftpOnly });
  servers.push(started);
  return started;
}

const SUBJECTS: Subject[] = [
  {
    name: "local directory",
    async open() {
      const disk = makeTempDir();
      return { transport: new LocalTransport(disk), disk };
    },
  },
  {
    name: "SFTP with a shell",
    async open() {
      const ssh = await server(false);
      const disk = makeTempDir();
      const transport = await openSftpTransport({
        host: ssh.host, port: ssh.port, user: ssh.user, root: disk, location: `sftp://${ssh.user}@${ssh.host}:${ssh.port}${disk}`,
        identityFile: ssh.clientKeyPath, knownHostsPath: ssh.knownHostsPath, acceptNewHostKey: false,
      });
      return { transport, disk };
    },
  },
  {
    name: "SFTP only (chrooted internal-sftp)",
    async open() {
      const ssh = await server(true);
      const name = `repo-${Math.random().toString(16).slice(2)}`;
      const disk = join(ssh.sftpRoot!, name);
      mkdirSync(disk);
      const transport = await openSftpTransport({
        host: ssh.host, port: ssh.port, user: ssh.user, root: `/repo/${name}`, location: `sftp://${ssh.user}@${ssh.host}:${ssh.port}/repo/${name}`,
        identityFile: ssh.clientKeyPath, knownHostsPath: ssh.knownHostsPath, acceptNewHostKey: false, sftpOnly: true,
      });
      return { transport, disk };
    },
  },
];

describe("transport contract", function () {
  this.timeout(60_000);

  before(function () {
    skipWithoutSshd(this);
  });
  after(async () => {
    for (const started of servers.splice(0)) await started.stop();
    removeTempDirs();
  });

  for (const subject of SUBJECTS) {
    describe(subject.name, () => {
      let transport: Transport;
      let disk: string;
      beforeEach(async () => ({ transport, disk } = await subject.open()));
      afterEach(async () => transport.close());

      it("reports missing files as undefined, not errors", async () => {
        assert.equal(await transport.stat("nope/x"), undefined);
        assert.equal(await transport.readFile("nope/x"), undefined);
        assert.equal(await transport.list("nope"), undefined);
        assert.equal(await transport.digest("nope/x", ["sha1"]), undefined);
        assert.equal(await transport.remove("nope/x"), false);
        assert.equal(await transport.removeTree("nope"), false);
      });

      it("writes, reads, lists and digests files, creating directories", async () => {
        await transport.writeFile("a/b/c.txt", "hello");
        assert.equal(readFileSync(join(disk, "a/b/c.txt"), "utf8"), "hello");
        assert.equal(statSync(join(disk, "a/b/c.txt")).mode & 0o022, 0, "never group- or world-writable");
        const info = await transport.stat("a/b/c.txt");
        assert.deepEqual({ type: info?.type, size: info?.size }, { type: "file", size: 5 });
        assert.ok(Math.abs((info?.mtimeMs ?? 0) - Date.now()) < 120_000, "a modification time near now");
        assert.equal((await transport.stat("a/b"))?.type, "directory");
        assert.equal((await transport.readFile("a/b/c.txt"))?.toString(), "hello");
        assert.deepEqual(await transport.list("a/b"), [{ name: "c.txt", type: "file" }]);
        assert.equal((await transport.digest("a/b/c.txt", ["sha1"]))?.digests.sha1, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
      });

      it("probeMany answers as stat() and readFile() one at a time would, in a few round trips", async () => {
        mkdirSync(join(disk, "g/a/1.0"), { recursive: true });
        writeFileSync(join(disk, "g/a/maven-metadata.xml"), "<metadata/>");
        writeFileSync(join(disk, "g/a/maven-metadata.xml.sha1"), "0123");
        writeFileSync(join(disk, "g/a/odd name 'quoted' $x.txt"), Buffer.from([0, 1, 2, 255, 10, 0]));
        writeFileSync(join(disk, "g/a/-dash"), "dash");
        writeFileSync(join(disk, "g/a/big.xml"), "x".repeat(5000));
        const long = `g/${"d".repeat(120)}/${"f".repeat(120)}.xml`;
        mkdirSync(join(disk, "g", "d".repeat(120)));
        writeFileSync(join(disk, long), "long name");
        symlinkSync("maven-metadata.xml", join(disk, "g/a/link.xml"));
        symlinkSync("nowhere", join(disk, "g/a/broken.xml"));
        const read = ["g/a/maven-metadata.xml", "g/a/maven-metadata.xml.sha1", "g/a/odd name 'quoted' $x.txt", "g/a/-dash", "g/a/big.xml", long, "g/a/link.xml", "g/a/broken.xml", "g/a/missing.xml", "g/a/1.0"];
        const stat = ["g", "g/a", "g/a/1.0", "g/a/nope", "g/a/maven-metadata.xml.asc"];
        // Many paths, so that batching shows: 1,200 stats of which most are missing.
        const many = Array.from({ length: 1200 }, (_, index) => `g/a/${index}.0`);
        const before = transport.networkStats?.();
        const found = await probeMany(transport, { stat: [...stat, ...many], read, maxBytes: 4096 });
        const after = transport.networkStats?.();
        for (const path of [...read, ...stat, ...many.slice(0, 5)]) {
          const one = await transport.stat(path);
          assert.deepEqual(
            { type: found.get(path)?.stat?.type, size: found.get(path)?.stat?.type === "file" ? found.get(path)?.stat?.size : undefined },
            { type: one?.type, size: one?.type === "file" ? one.size : undefined },
            `stat of ${path}`,
          );
          if (read.includes(path)) {
            const content = one?.type === "file" && one.size <= 4096 ? await transport.readFile(path, 4096) : undefined;
            assert.deepEqual(found.get(path)?.content, content, `content of ${path}`);
          }
        }
        assert.equal(found.get("g/a/big.xml")?.content, undefined, "a file over maxBytes is stat'ed, not read");
        const larger = await probeMany(transport, { stat: [], read: ["g/a/big.xml", "g/a/maven-metadata.xml"], maxBytes: 64 * 1024 });
        assert.equal(larger.get("g/a/big.xml")?.content?.toString(), "x".repeat(5000), "a file longer than one first read comes whole");
        assert.equal(larger.get("g/a/maven-metadata.xml")?.content?.toString(), "<metadata/>");
        if (before !== undefined && after !== undefined) {
          const roundTrips = after.roundTrips - before.roundTrips;
          assert.ok(roundTrips <= 12, `${roundTrips} round trips for 1,215 paths`);
        }
      });

      it("applyInOrder: a burst of dependent renames lands as if sent one at a time (OpenSSH applies requests in order)", async function () {
        if (transport.applyInOrder === undefined) this.skip(); // a local rename costs no round trip
        // x0 → x1 → … → x300: each rename needs the one before it done; out of order, some fail.
        writeFileSync(join(disk, "x0"), "chain");
        writeFileSync(join(disk, "gone.asc"), "stale");
        const chain = Array.from({ length: 300 }, (_, index) => ({ op: "rename" as const, from: `x${index}`, to: `x${index + 1}` }));
        const before = transport.networkStats!();
        const answers = await transport.applyInOrder!([{ op: "remove", path: "gone.asc" }, { op: "remove", path: "never-there" }, ...chain]);
        const after = transport.networkStats!();
        assert.deepEqual(answers.filter((answer) => answer.error !== undefined), [], "every request succeeded");
        assert.equal(readFileSync(join(disk, "x300"), "utf8"), "chain");
        assert.equal(existsSync(join(disk, "x0")) || existsSync(join(disk, "gone.asc")), false);
        assert.ok(after.roundTrips - before.roundTrips <= 1, `${after.roundTrips - before.roundTrips} round trips for 302 requests`);
        assert.ok(answers.every((answer, index) => index === 0 || answer.at >= answers[index - 1]!.at), "answered in the order sent");
      });

      it("uploadStream writes a stream's bytes as they come, in order, reporting every byte", async () => {
        const chunks = Array.from({ length: 97 }, (_, index) => randomBytes(7_000 + index * 131));
        let reported = 0;
        await transport.uploadStream(Readable.from(chunks), "s/t/stream.bin", (sent) => (reported += sent));
        const expected = Buffer.concat(chunks);
        assert.ok(readFileSync(join(disk, "s/t/stream.bin")).equals(expected));
        assert.equal(reported, expected.length);
      });

      it("short commands share one shell session: exit codes, binary output, and it survives exit and syntax errors", async function () {
        const sftp = transport as Partial<SftpTransport>;
        if (sftp.runShort === undefined || !transport.capabilities.exec) this.skip();
        const before = transport.networkStats!();
        const answers = await Promise.all([
          sftp.runShort!("printf 'a\\000b\\377'; exit 3"),
          sftp.runShort!("if then fi"),
          sftp.runShort!("echo oops >&2; pwd"),
          sftp.runShort!("head -c 100000 /dev/zero"),
        ]);
        const after = transport.networkStats!();
        assert.equal(answers[0]!.code, 3);
        assert.deepEqual([...answers[0]!.stdout], [0x61, 0, 0x62, 0xff]);
        assert.notEqual(answers[1]!.code, 0, "a syntax error fails that command only");
        assert.equal(answers[2]!.code, 0);
        assert.equal(answers[2]!.stdout.toString().trim(), realpathSync(disk));
        assert.equal(answers[2]!.stderr, "oops\n");
        assert.equal(answers[3]!.stdout.length, 100000);
        assert.ok(after.roundTrips - before.roundTrips <= 3, `${after.roundTrips - before.roundTrips} round trips for four commands (one shell start)`);
      });

      it("execWithInput streams into a command in the root, reporting every byte; an input that fails ends it with its own error", async function () {
        if (transport.execWithInput === undefined || !transport.capabilities.exec) this.skip();
        const chunks = Array.from({ length: 40 }, (_, index) => randomBytes(64 * 1024 + index));
        let reported = 0;
        const result = await transport.execWithInput!("cat > streamed.bin && wc -c < streamed.bin", Readable.from(chunks), (sent) => (reported += sent));
        const expected = Buffer.concat(chunks);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout.trim(), String(expected.length));
        assert.ok(readFileSync(join(disk, "streamed.bin")).equals(expected));
        assert.equal(reported, expected.length);
        // A staged file unreadable half-way: the command's input breaks off, the call rejects with
        // the input's error (never a hang), and the transport goes on working.
        let reads = 0;
        const failing = new Readable({
          read() {
            if (reads++ === 0) this.push(randomBytes(100_000));
            else this.destroy(new Error("EIO: the staged file could not be read"));
          },
        });
        await assert.rejects(transport.execWithInput!("cat > broken.bin", failing), /EIO: the staged file could not be read/);
        // ... and one that has failed before the command even started.
        const failed = new Readable({ read() {} });
        failed.destroy(new Error("ENOENT: the staged file is gone"));
        await assert.rejects(transport.execWithInput!("cat > gone.bin", failed), /ENOENT: the staged file is gone/);
        assert.equal((await transport.exec!("echo still here")).stdout.trim(), "still here");
      });

      it("execWithInput with the input's length streams through the shell session: no new channel, and no byte of it ever runs as a command", async function () {
        if (transport.execWithInput === undefined || !transport.capabilities.exec || transport.networkStats === undefined) this.skip();
        await transport.exec!("true"); // the session is open
        const channels = transport.networkStats().channels;
        const chunks = Array.from({ length: 20 }, (_, index) => randomBytes(64 * 1024 + index));
        const expected = Buffer.concat(chunks);
        let reported = 0;
        const result = await transport.execWithInput("cat > session.bin && wc -c < session.bin", Readable.from(chunks), (sent) => (reported += sent), expected.length);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout.trim(), String(expected.length));
        assert.ok(readFileSync(join(disk, "session.bin")).equals(expected));
        assert.equal(reported, expected.length);
        // Shell text in a stream its command never reads (it failed at once): drained, never run.
        const hostile = Buffer.from("touch pwned-by-stream\n".repeat(5_000));
        const refused = await transport.execWithInput("exit 3", Readable.from([hostile]), undefined, hostile.length);
        assert.equal(refused.code, 3);
        assert.equal((await transport.exec!("echo still here")).stdout.trim(), "still here");
        assert.equal(transport.networkStats().channels, channels, "every command and stream went through the one session");
        assert.ok(!existsSync(join(disk, "pwned-by-stream")), "a byte of the stream ran as a command");
        // A stream longer or shorter than announced, or one whose input fails, ends the session
        // before the shell could read the rest as commands; the next command opens another.
        await assert.rejects(transport.execWithInput("cat >/dev/null", Readable.from([hostile]), undefined, 100), /longer than the 100 bytes announced/);
        await assert.rejects(transport.execWithInput("cat >/dev/null", Readable.from([Buffer.from("touch pwned-by-stream\n")]), undefined, 1_000_000), /ended after 22 of the 1000000 bytes/);
        let reads = 0;
        const failing = new Readable({
          read() {
            if (reads++ === 0) this.push(Buffer.from("touch pwned-by-stream\n"));
            else this.destroy(new Error("EIO: the staged file could not be read"));
          },
        });
        await assert.rejects(transport.execWithInput("cat >/dev/null", failing, undefined, 1_000_000), /EIO: the staged file could not be read/);
        assert.equal((await transport.exec!("echo still here")).stdout.trim(), "still here");
        assert.ok(!existsSync(join(disk, "pwned-by-stream")), "a byte of the stream ran as a command");
      });

      it("digests a file of many read pieces as it is on disk; a directory is no file", async () => {
        const bytes = randomBytes(3 * 1024 * 1024 + 7);
        writeFileSync(join(disk, "big.bin"), bytes);
        const result = await transport.digest("big.bin", ["sha256", "md5"]);
        assert.equal(result?.size, bytes.length);
        assert.equal(result?.digests.sha256, createHash("sha256").update(bytes).digest("hex"));
        assert.equal(result?.digests.md5, createHash("md5").update(bytes).digest("hex"));
        mkdirSync(join(disk, "dir"));
        assert.equal(await transport.digest("dir", ["sha256"]), undefined);
      });

      it("refuses to read a file over the size limit", async () => {
        await transport.writeFile("big.txt", "x".repeat(100));
        await assert.rejects(transport.readFile("big.txt", 10), /over the 10-byte limit/);
      });

      it("uploads and downloads with progress", async () => {
        const local = join(makeTempDir(), "up.bin");
        writeFileSync(local, Buffer.alloc(300_000, 7));
        let sent = 0;
        await transport.upload(local, "x/up.bin", (bytes) => (sent += bytes));
        assert.equal(sent, 300_000);
        assert.equal((await transport.stat("x/up.bin"))?.size, 300_000);
        const back = join(makeTempDir(), "down.bin");
        await transport.download("x/up.bin", back);
        assert.deepEqual(readFileSync(back), readFileSync(local));
      });

      it("uploadMany: many files and their directories at once, given bytes or a local file, with progress", async function () {
        if (transport.uploadMany === undefined) this.skip();
        const local = join(makeTempDir(), "many.bin");
        writeFileSync(local, Buffer.alloc(70_000, 3));
        const files = Array.from({ length: 40 }, (_, index) =>
          index % 2 === 0 ? { path: `many/d${index % 5}/deep/f${index}.bin`, size: 70_000, localPath: local } : { path: `many/d${index % 5}/f${index}.txt`, size: 2, content: "hi" },
        );
        let sent = 0;
        await transport.uploadMany!(files, (bytes) => (sent += bytes));
        assert.equal(sent, 20 * 70_000 + 20 * 2);
        for (const file of files) assert.equal((await transport.stat(file.path))?.size, file.size, file.path);
        assert.equal((await transport.readFile("many/d1/f1.txt"))?.toString(), "hi");
      });

      it("statMany and digestMany answer as stat() and digest() one at a time would, in a few round trips", async function () {
        if (transport.statMany === undefined || transport.digestMany === undefined) this.skip();
        mkdirSync(join(disk, "v/1.0"), { recursive: true });
        const sizes = [0, 1, 4095, 4096, 4097, 64 * 1024, 64 * 1024 + 1, 3 * 1024 * 1024 + 7];
        sizes.forEach((size, index) => writeFileSync(join(disk, `v/1.0/f${index}.bin`), randomBytes(size)));
        symlinkSync("f1.bin", join(disk, "v/1.0/link.bin"));
        // Many small files, so that pipelining shows: 1,200 of them in a window or two.
        const many = Array.from({ length: 1200 }, (_, index) => `v/1.0/s${index}.sha1`);
        for (const path of many) writeFileSync(join(disk, path), createHash("sha1").update(path).digest("hex"));
        const paths = [...sizes.map((_, index) => `v/1.0/f${index}.bin`), "v/1.0/link.bin", "v/1.0", "v/nope", "nope/x"];
        const stats = await transport.statMany!(paths);
        for (const [index, path] of paths.entries()) {
          const one = await transport.stat(path);
          assert.deepEqual({ type: stats[index]?.type, size: stats[index]?.type === "file" ? stats[index]?.size : undefined }, { type: one?.type, size: one?.type === "file" ? one.size : undefined }, `stat of ${path}`);
        }
        // The size each should have; f2 is asked for with the wrong one (it is digested whole all the same).
        const wanted = [...sizes.map((size, index) => ({ path: `v/1.0/f${index}.bin`, size: index === 2 ? 10 : size })), { path: "v/1.0/link.bin", size: 1 }, { path: "v/1.0", size: 0 }, { path: "v/nope", size: 3 }];
        const digests = await transport.digestMany!(wanted, ["sha256", "md5"]);
        for (const [index, { path }] of wanted.entries()) assert.deepEqual(digests[index], await transport.digest(path, ["sha256", "md5"]), `digest of ${path}`);
        const before = transport.networkStats?.();
        const small = await transport.digestMany!(many.map((path) => ({ path, size: 40 })), ["sha1"]);
        const after = transport.networkStats?.();
        for (const [index, path] of many.entries()) assert.equal(small[index]?.digests.sha1, createHash("sha1").update(readFileSync(join(disk, path))).digest("hex"), path);
        if (before !== undefined && after !== undefined) assert.ok(after.roundTrips - before.roundTrips <= 4, `${after.roundTrips - before.roundTrips} round trips for 1,200 files`);
        await assert.rejects(transport.statMany!(["v", "../../etc/passwd"]), /leaves the repository root/);
      });

      it("applyAll moves and links many at once, as rename() and linkOrCopy() would; a move onto an existing name is refused", async function () {
        if (transport.applyAll === undefined) this.skip();
        const count = 300;
        for (let index = 0; index < count; index++) {
          mkdirSync(join(disk, `g/a${index}/1.0.rip`), { recursive: true });
          writeFileSync(join(disk, `g/a${index}/1.0.rip/a.jar`), `jar ${index}`);
          writeFileSync(join(disk, `g/a${index}/maven-metadata.xml`), `old ${index}`);
          writeFileSync(join(disk, `g/a${index}/maven-metadata.xml.rip`), `new ${index}`);
        }
        const before = transport.networkStats?.();
        await transport.applyAll!([
          ...Array.from({ length: count }, (_, index) => ({ op: "link" as const, from: `g/a${index}/maven-metadata.xml`, to: `state/backup/g/a${index}/maven-metadata.xml` })),
          ...Array.from({ length: count }, (_, index) => ({ op: "move" as const, from: `g/a${index}/1.0.rip`, to: `g/a${index}/1.0`, replace: false })),
        ]);
        await transport.applyAll!(Array.from({ length: count }, (_, index) => ({ op: "move" as const, from: `g/a${index}/maven-metadata.xml.rip`, to: `g/a${index}/maven-metadata.xml`, replace: true })));
        const after = transport.networkStats?.();
        for (let index = 0; index < count; index++) {
          assert.equal(readFileSync(join(disk, `g/a${index}/1.0/a.jar`), "utf8"), `jar ${index}`);
          assert.equal(readFileSync(join(disk, `g/a${index}/maven-metadata.xml`), "utf8"), `new ${index}`);
          assert.equal(readFileSync(join(disk, `state/backup/g/a${index}/maven-metadata.xml`), "utf8"), `old ${index}`, "the backup keeps the replaced bytes");
        }
        if (before !== undefined && after !== undefined) assert.ok(after.roundTrips - before.roundTrips <= 8, `${after.roundTrips - before.roundTrips} round trips for 900 operations and 600 directories`);
        // Without replace, an existing name is never overwritten, a directory least of all; the
        // others still go, and the refusal names the one refused.
        mkdirSync(join(disk, "h/2.0.rip"), { recursive: true });
        mkdirSync(join(disk, "h/2.0"));
        writeFileSync(join(disk, "h/x.rip"), "x");
        writeFileSync(join(disk, "h/y.rip"), "new y");
        writeFileSync(join(disk, "h/y"), "old y");
        await assert.rejects(
          transport.applyAll!([
            { op: "move", from: "h/x.rip", to: "h/x", replace: false },
            { op: "move", from: "h/2.0.rip", to: "h/2.0", replace: false },
            { op: "move", from: "h/y.rip", to: "h/y", replace: false },
          ]),
          (error: Error & { code?: string; path?: string }) => error.code === "ERR_IO" && error.path === "h/2.0",
        );
        assert.equal(readFileSync(join(disk, "h/x"), "utf8"), "x");
        assert.equal(readFileSync(join(disk, "h/y"), "utf8"), "old y");
        assert.ok(existsSync(join(disk, "h/2.0.rip")));
      });

      it("syncs many files and directories in a few round trips, skipping what is not there", async function () {
        const many = Array.from({ length: 600 }, (_, index) => `y/d${index % 7}/f${index}`);
        for (const path of many) {
          mkdirSync(join(disk, path, ".."), { recursive: true });
          writeFileSync(join(disk, path), path);
        }
        const before = transport.networkStats?.();
        const synced = await transport.sync([...many, "y", ...Array.from({ length: 7 }, (_, index) => `y/d${index}`), "y/missing", "nope/missing"]);
        const after = transport.networkStats?.();
        if (!synced) this.skip(); // no fsync@openssh.com: nothing promised, nothing to count
        if (before !== undefined && after !== undefined) assert.ok(after.roundTrips - before.roundTrips <= 4, `${after.roundTrips - before.roundTrips} round trips for 610 paths`);
      });

      it("creates a file exclusively, once", async () => {
        assert.equal(await transport.createExclusive("lock/file", "first"), true);
        assert.equal(await transport.createExclusive("lock/file", "second"), false);
        assert.equal((await transport.readFile("lock/file"))?.toString(), "first");
      });

      it("appends", async () => {
        await transport.appendFile("log.txt", "one\n");
        await transport.appendFile("log.txt", "two\n");
        assert.equal((await transport.readFile("log.txt"))?.toString(), "one\ntwo\n");
      });

      it("renames: replace swaps a file in one step, without replace an existing name is refused", async () => {
        await transport.writeFile("f.rip", "new");
        await transport.writeFile("f", "old");
        await transport.rename("f.rip", "f", { replace: true });
        assert.equal((await transport.readFile("f"))?.toString(), "new");
        assert.equal(await transport.stat("f.rip"), undefined);

        await transport.writeFile("d.rip/x", "1");
        await transport.mkdirp("d");
        await assert.rejects(transport.rename("d.rip", "d", { replace: false }), (error: Error & { code?: string }) => error.code === "ERR_TARGET_EXISTS");
        assert.equal((await transport.list("d"))?.length, 0, "nothing moved into the existing directory");
        await transport.rename("d.rip", "e", { replace: false });
        assert.equal((await transport.readFile("e/x"))?.toString(), "1");
      });

      it("links or copies, keeping the old bytes when the original is replaced", async () => {
        await transport.writeFile("m.xml", "v1");
        await transport.linkOrCopy("m.xml", "backup/m.xml");
        await transport.writeFile("m.xml.rip", "v2");
        await transport.rename("m.xml.rip", "m.xml", { replace: true });
        assert.equal((await transport.readFile("backup/m.xml"))?.toString(), "v1");
      });

      it("removes files and trees", async () => {
        await transport.writeFile("t/a/b", "x");
        assert.equal(await transport.remove("t/a/b"), true);
        await transport.writeFile("t/a/c", "x");
        assert.equal(await transport.removeTree("t"), true);
        assert.equal(await transport.stat("t"), undefined);
      });

      it("never leaves the repository root", async () => {
        await assert.rejects(transport.writeFile("../escape", "x"), /leaves the repository root/);
        await assert.rejects(transport.stat("../../etc/passwd"), /leaves the repository root/);
      });

      it("runs shell commands in the root only where it may", async function () {
        if (!transport.capabilities.exec) {
          assert.equal(transport.exec === undefined || subject.name.includes("SFTP only"), true);
          return;
        }
        const result = await transport.exec!("pwd; command -v unzip");
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout.split("\n")[0], disk);
        assert.match(result.stdout, /unzip/);
      });
    });
  }
});
