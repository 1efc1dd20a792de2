import { strict as assert } from "node:assert";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { propertyRuns } from "../../helpers/property-runs.js";
import { isPromoteError } from "../../../src/errors.js";
import {
  ALL_ALGORITHMS,
  CHECKSUM_EXTENSIONS,
  algorithmOfChecksumFile,
  digestBytes,
  digestFile,
  digestStream,
  type DigestAlgorithm,
} from "../../../src/integrity/digests.js";

const VECTORS: Record<DigestAlgorithm, { empty: string; abc: string }> = {
  md5: { empty: "d41d8cd98f00b204e9800998ecf8427e", abc: "900150983cd24fb0d6963f7d28e17f72" },
  sha1: { empty: "da39a3ee5e6b4b0d3255bfef95601890afd80709", abc: "a9993e364706816aba3e25717850c26c9cd0d89d" },
  sha256: {
    empty: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    abc: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  },
  sha512: {
    empty:
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    abc:
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
  },
};

async function* chunksOf(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

describe("integrity/digests", () => {
  describe("known vectors", () => {
    it("digests the empty input with every algorithm", async () => {
      const result = await digestBytes(new Uint8Array(0), ALL_ALGORITHMS);
      assert.equal(result.size, 0);
      for (const algorithm of ALL_ALGORITHMS) assert.equal(result.digests[algorithm], VECTORS[algorithm].empty, algorithm);
    });

    it('digests "abc" with every algorithm', async () => {
      const result = await digestBytes(new TextEncoder().encode("abc"), ALL_ALGORITHMS);
      assert.equal(result.size, 3);
      for (const algorithm of ALL_ALGORITHMS) assert.equal(result.digests[algorithm], VECTORS[algorithm].abc, algorithm);
    });

    it("computes only the requested algorithms, once each", async () => {
      const result = await digestBytes(new TextEncoder().encode("abc"), ["sha1", "sha1", "md5"]);
      assert.deepEqual(result.digests, { sha1: VECTORS.sha1.abc, md5: VECTORS.md5.abc });
    });

    it("returns only sizes when no algorithm is asked for", async () => {
      assert.deepEqual(await digestBytes(new Uint8Array(7), []), { size: 7, digests: {} });
    });
  });

  describe("digestFile", () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "digests-test-"));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("equals digestBytes for a file spanning many stream chunks", async () => {
      // The default read chunk is 64 KiB; an odd size makes the last chunk partial.
      const content = randomBytes(3 * 64 * 1024 + 12345);
      const path = join(dir, "big.bin");
      await writeFile(path, content);
      const fromFile = await digestFile(path, ALL_ALGORITHMS);
      const fromBytes = await digestBytes(content, ALL_ALGORITHMS);
      assert.deepEqual(fromFile, fromBytes);
      assert.equal(fromFile.size, content.length);
      assert.equal(fromFile.digests.sha256, createHash("sha256").update(content).digest("hex"));
    });

    it("digests an empty file", async () => {
      const path = join(dir, "empty");
      await writeFile(path, "");
      const result = await digestFile(path, ["sha1"]);
      assert.deepEqual(result, { size: 0, digests: { sha1: VECTORS.sha1.empty } });
    });

    it("reports a missing file as ERR_IO naming it", async () => {
      const path = join(dir, "missing.jar");
      await assert.rejects(digestFile(path, ["sha1"]), (error: unknown) => {
        assert.ok(isPromoteError(error));
        assert.equal(error.code, "ERR_IO");
        assert.equal(error.path, path);
        assert.ok(error.message.includes(path));
        assert.ok(!error.message.includes("\n"));
        return true;
      });
    });
  });

  describe("digestFile on a directory", () => {
    it("reports ERR_IO naming it", async () => {
      const dir = await mkdtemp(join(tmpdir(), "digests-dir-"));
      try {
        await assert.rejects(digestFile(dir, ["md5"]), (error: unknown) => isPromoteError(error) && error.code === "ERR_IO" && error.path === dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe("digestStream", () => {
    it("equals node's one-shot hash for any chunking of any content", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
          fc.subarray([...ALL_ALGORITHMS], { minLength: 1 }),
          async (chunks, algorithms) => {
            const whole = Buffer.concat(chunks);
            const result = await digestStream(chunksOf(chunks), algorithms);
            assert.equal(result.size, whole.length);
            for (const algorithm of algorithms) {
              assert.equal(result.digests[algorithm], createHash(algorithm).update(whole).digest("hex"));
            }
            assert.deepEqual(Object.keys(result.digests).sort(), [...algorithms].sort());
          },
        ),
        propertyRuns(200),
      );
    });
  });

  describe("checksum file names", () => {
    it("maps every algorithm to its extension and back", () => {
      for (const algorithm of ALL_ALGORITHMS) {
        assert.equal(CHECKSUM_EXTENSIONS[algorithm], `.${algorithm}`);
        assert.equal(algorithmOfChecksumFile(`org/x/1.0/x-1.0.jar${CHECKSUM_EXTENSIONS[algorithm]}`), algorithm);
      }
    });

    it("recognises nothing else", () => {
      for (const name of ["x.jar", "x.jar.asc", "x.jar.sha256.asc", "x.SHA1", "x.sha3", ".sha1", "dir/.md5", "x.sha", "x.md5sum"]) {
        assert.equal(algorithmOfChecksumFile(name), undefined, name);
      }
    });
  });
});
