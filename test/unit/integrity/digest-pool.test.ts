// The digest pool: every core, and the same answers as coreutils' md5sum, sha1sum, sha256sum and
// sha512sum (the oracle), for many files and for one file split across workers.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { isPromoteError } from "../../../src/errors.js";
import { digestFiles } from "../../../src/integrity/digest-pool.js";
import { ALL_ALGORITHMS } from "../../../src/integrity/digests.js";
import { makeTempDir, removeTempDirs } from "../../helpers/temp-repos.js";

function coreutils(path: string): Record<string, string> {
  return Object.fromEntries(ALL_ALGORITHMS.map((algorithm) => [algorithm, execFileSync(`${algorithm}sum`, [path], { encoding: "utf8" }).split(" ")[0]!]));
}

describe("digestFiles (worker threads)", () => {
  afterEach(removeTempDirs);

  it("many files: sizes and all four digests as coreutils computes them, in input order", async () => {
    const dir = makeTempDir();
    const paths = Array.from({ length: 23 }, (_, index) => {
      const path = join(dir, `f${index}`);
      writeFileSync(path, randomBytes(index * 997));
      return path;
    });
    const results = await digestFiles(paths, ALL_ALGORITHMS);
    paths.forEach((path, index) => {
      assert.equal(results[index]!.size, index * 997);
      assert.deepEqual(results[index]!.digests, coreutils(path), path);
    });
  });

  it("one file: its algorithms split between workers, the digests still whole", async () => {
    const path = join(makeTempDir(), "one");
    writeFileSync(path, randomBytes(3 * 1024 * 1024 + 5));
    const [result] = await digestFiles([path], ALL_ALGORITHMS);
    assert.equal(result!.size, 3 * 1024 * 1024 + 5);
    assert.deepEqual(result!.digests, coreutils(path));
  });

  it("a file that cannot be read: ERR_IO naming it", async () => {
    const dir = makeTempDir();
    writeFileSync(join(dir, "ok"), "ok");
    const missing = join(dir, "missing");
    await assert.rejects(digestFiles([join(dir, "ok"), missing], ["sha1"]), (error: unknown) => isPromoteError(error) && error.code === "ERR_IO" && error.path === missing);
  });

  it("a small file's bytes come back as text of their own (not a pooled 8 KiB slab each, nor an ArrayBuffer each)", async () => {
    // A pooled Buffer cloned across threads brings its whole slab: 45,000 checksum files cost
    // 281 MiB of memory that way (issue 9).
    const dir = makeTempDir();
    const paths = Array.from({ length: 70 }, (_, index) => {
      const path = join(dir, `c${index}`);
      writeFileSync(path, "0123456789abcdef0123456789abcdef".slice(0, 1 + (index % 32)));
      return path;
    });
    const results = await digestFiles(paths, ["md5"], undefined, paths.map(() => 32));
    results.forEach((result, index) => {
      // Text of its own (latin1, one character a byte), never a view of a pooled buffer.
      assert.equal(result.content, "0123456789abcdef0123456789abcdef".slice(0, 1 + (index % 32)));
      assert.equal(result.content!.length, result.size, `file ${index}`);
    });
  });
});
