// The bundle: what `unzip` (the oracle, as on the server) unpacks from it is every entry byte for
// byte, whatever the read-ahead's budget does to the order of reads; an unreadable file ends the
// stream with an error rather than a short zip.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { bundleStream, type BundleEntry } from "../../../src/promotion/bundle.js";
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
