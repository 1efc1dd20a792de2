// The bundle: what `unzip` (the oracle, as on the server) unpacks from it is every entry byte for
// byte, whatever the read-ahead's budget does to the order of reads; an unreadable file ends the
// stream with an error rather than a short zip.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { once } from "node:events";
import type { Readable } from "node:stream";
import { bundleStream, type BundleEntry } from "../../../src/promotion/bundle.js";
import { tarBundleLength, tarBundleStream } from "../../../src/promotion/tar-bundle.js";
import { makeTempDir, removeTempDirs } from "../../helpers/temp-repos.js";

async function zipTo(entries: BundleEntry[], path: string): Promise<void> {
  await pipeline(bundleStream(entries), createWriteStream(path));
}

describe("bundleStream", () => {
  afterEach(removeTempDirs);

  it("unzips to every entry, files and generated contents, byte for byte, past the read-ahead budget", async function () {
    this.timeout(60_000);
    const dir = makeTempDir();
    mkdirSync(join(dir, "in"));
    const entries: BundleEntry[] = [];
    const expected = new Map<string, Buffer>();
    // 120 files of 0 B to ~700 KiB (about 40 MiB: more than twice the 16 MiB read-ahead),
    // a few text files big enough to be deflated, and generated contents between them.
    for (let index = 0; index < 120; index++) {
      const bytes = index % 10 === 3 ? Buffer.from("<project/>\n".repeat(3000 + index)) : randomBytes((index * 5987) % 700_000);
      const local = join(dir, "in", `f${index}`);
      writeFileSync(local, bytes);
      const name = `org/x/a${index % 7}/1.0.rip/a-${index}.${index % 10 === 3 ? "pom" : "jar"}`;
      const withSize = index % 2 === 0; // a size the caller knows, or none (counted at the budget)
      entries.push(withSize ? { name, localPath: local, size: bytes.length } : { name, localPath: local });
      expected.set(name, bytes);
      if (index % 5 === 0) {
        const generated = `org/x/a${index % 7}/maven-metadata.xml.rip${index}`;
        entries.push({ name: generated, content: `<metadata>${index}</metadata>\n` });
        expected.set(generated, Buffer.from(`<metadata>${index}</metadata>\n`));
      }
    }
    const zip = join(dir, "bundle.zip");
    await zipTo(entries, zip);
    const out = join(dir, "out");
    mkdirSync(out);
    execFileSync("unzip", ["-q", "-o", zip], { cwd: out });
    const listed = execFileSync("unzip", ["-Z1", zip], { encoding: "utf8" }).trim().split("\n");
    assert.deepEqual(listed, entries.map((entry) => entry.name), "the zip holds the entries in order");
    for (const [name, bytes] of expected) assert.ok(readFileSync(join(out, name)).equals(bytes), name);
    const methods = execFileSync("unzip", ["-v", zip], { encoding: "utf8" });
    assert.match(methods, /Defl:N.*a-3\.pom/, "a large text file is deflated");
    assert.match(methods, /Stored.*a-1\.jar/, "a jar is stored");
  });

  it("an unreadable file ends the stream with an error naming it", async () => {
    const dir = makeTempDir();
    writeFileSync(join(dir, "ok"), "fine");
    const entries: BundleEntry[] = [
      { name: "a.rip/ok", localPath: join(dir, "ok") },
      { name: "a.rip/gone", localPath: join(dir, "missing-file") },
    ];
    await assert.rejects(zipTo(entries, join(dir, "bundle.zip")), /missing-file/);
  });
});

describe("tarBundleStream", () => {
  afterEach(removeTempDirs);

  function release(count: number): BundleEntry[] {
    const dir = makeTempDir();
    return Array.from({ length: count }, (_, index) => {
      const path = join(dir, `f${index}`);
      // A few files of 17 MiB stream from disk; the rest are read ahead.
      const size = index % 10 === 3 ? 17 * 1024 * 1024 : 5_000 + index;
      writeFileSync(path, randomBytes(size));
      return { name: `org/x/1.0.rip/f${index}.jar`, localPath: path, size };
    });
  }

  it("untars (GNU tar, the oracle, as on the server) to every entry byte for byte, large files streamed, with the mode given", async function () {
    this.timeout(60_000);
    // A name over ustar's 100 bytes travels in a pax header.
    const entries = [...release(24), { name: `${"org/deep/".repeat(20)}1.0.rip/x.pom`, content: "<project/>" }, { name: ".maven-promote/id/rename.sh", content: "echo hi\n" }];
    const out = makeTempDir();
    const tar = join(makeTempDir(), "bundle.tar");
    await pipeline(tarBundleStream(entries, 0o640), createWriteStream(tar));
    execFileSync("tar", ["-x", "-m", "-p", "-o", "-f", tar], { cwd: out });
    for (const entry of entries) {
      const expected = entry.localPath !== undefined ? readFileSync(entry.localPath) : Buffer.from(entry.content!);
      assert.ok(readFileSync(join(out, entry.name)).equals(expected), entry.name);
    }
    assert.equal(execFileSync("stat", ["-c", "%a", join(out, entries[3]!.name)], { encoding: "utf8" }).trim(), "640");
    // The length announced to the server's `head -c` is the tar's, to the byte.
    assert.equal(tarBundleLength(entries), statSync(tar).size);
  });

  it("announces the exact length for names and sizes that need pax headers, and none for a file of unknown size", () => {
    const entries: BundleEntry[] = [
      { name: `${"a/".repeat(60)}x.pom`, content: "é".repeat(700) },
      { name: "org/ünïcode/1.0.rip/x.pom", content: "" },
      { name: "org/x/1.0.rip/x.jar", content: "x".repeat(512) },
    ];
    const chunks: Buffer[] = [];
    return (async () => {
      for await (const chunk of tarBundleStream(entries)) chunks.push(chunk as Buffer);
      assert.equal(tarBundleLength(entries), Buffer.concat(chunks).length);
      assert.equal(tarBundleLength([{ name: "x", localPath: "/nonexistent" }]), undefined);
    })();
  });

  for (const [what, change] of [["grew", "more"], ["shrank", "fewer"]] as const) {
    it(`a staged file that ${what} after the plan ends the stream with an error naming it (streamed and read ahead)`, async function () {
      this.timeout(60_000);
      for (const entries of [release(4), release(3).slice(0, 1)]) {
        const file = entries[entries.length - 1]!;
        writeFileSync(file.localPath!, randomBytes(what === "grew" ? file.size! + 1 : file.size! - 1));
        await assert.rejects(pipeline(tarBundleStream(entries), createWriteStream(join(makeTempDir(), "b.tar"))), new RegExp(`${file.localPath}: ${change} bytes than the ${file.size} planned`));
      }
    });
  }

  // Found by link-faults.test.ts: the connection lost mid-stream destroys the bundle, and archiver
  // went on appending its queued entries to the destroyed packer, which threw outside any promise.
  for (const [name, make] of [["tar", tarBundleStream], ["zip", bundleStream]] as const) {
    it(`${name}: destroyed by its reader half-way, it ends quietly: nothing is appended after`, async function () {
      this.timeout(60_000);
      const stream: Readable = make(release(200));
      stream.on("error", () => undefined);
      // Destroyed once 300 KB have been read: many entries read ahead are queued in archiver by then.
      let read = 0;
      stream.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read >= 300_000 && !stream.destroyed) stream.destroy();
      });
      await once(stream, "close");
      assert.ok(read >= 300_000);
      // Archiver's queue runs on in setImmediate callbacks: let every one of them run (a throw
      // there would fail this test as an uncaught exception).
      for (let turn = 0; turn < 200; turn++) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(stream.destroyed, true);
    });
  }
});
