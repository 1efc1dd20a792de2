import { strict as assert } from "node:assert";
import { isPromoteError } from "../../../src/errors.js";
import { formatChecksumFile, parseChecksumFile } from "../../../src/integrity/checksum-file.js";
import type { DigestAlgorithm } from "../../../src/integrity/digests.js";

const MD5 = "900150983cd24fb0d6963f7d28e17f72";
const SHA1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
const SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const SHA512 =
  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
const FILE = "org/example/lib/1.0/lib-1.0.jar.sha1";

function rejects(text: string, algorithm: DigestAlgorithm, pattern?: RegExp): void {
  assert.throws(
    () => parseChecksumFile(text, algorithm, FILE),
    (error: unknown) => {
      assert.ok(isPromoteError(error), "expected a PromoteError");
      assert.equal(error.code, "ERR_CHECKSUM_FORMAT");
      assert.equal(error.path, FILE);
      assert.ok(error.message.includes(FILE), "message names the file");
      assert.ok(!/[\r\n]/.test(error.message), "message is one line");
      if (pattern) assert.match(error.message, pattern);
      return true;
    },
    JSON.stringify(text),
  );
}

describe("integrity/checksum-file", () => {
  describe("parseChecksumFile accepts", () => {
    const accepted: Array<[string, string]> = [
      ["bare hex", SHA1],
      ["hex and newline", `${SHA1}\n`],
      ["hex and CRLF", `${SHA1}\r\n`],
      ["surrounding whitespace", `  \n\t${SHA1} \t\n\n`],
      ["GNU text mode (two spaces)", `${SHA1}  lib-1.0.jar\n`],
      ["GNU binary mode", `${SHA1} *lib-1.0.jar\n`],
      ["one space before the name", `${SHA1} lib-1.0.jar`],
      ["a tab before the name", `${SHA1}\tlib-1.0.jar`],
      ["a name with spaces", `${SHA1}  my lib 1.0.jar\r\n`],
      ["coreutils escaped name", `\\${SHA1}  lib\\n1.0.jar\n`],
      ["BSD form", `SHA1 (lib-1.0.jar) = ${SHA1}\n`],
      ["BSD form, openssl spacing", `SHA1(lib-1.0.jar)= ${SHA1}`],
      ["BSD form, dashed tag", `SHA-1 (lib-1.0.jar) = ${SHA1}`],
      ["BSD form, lowercase tag", `sha1 (lib-1.0.jar) = ${SHA1}`],
      ["BSD form, name with parentheses", `SHA1 (lib (1).jar) = ${SHA1}`],
      ["byte order mark", `\uFEFF${SHA1}\n`],
    ];
    for (const [name, text] of accepted) {
      it(name, () => assert.equal(parseChecksumFile(text, "sha1", FILE), SHA1));
    }

    it("every algorithm at its length, in the bare and BSD forms", () => {
      const cases: Array<[DigestAlgorithm, string, string]> = [
        ["md5", MD5, "MD5"],
        ["sha1", SHA1, "SHA1"],
        ["sha256", SHA256, "SHA256"],
        ["sha512", SHA512, "SHA512"],
      ];
      for (const [algorithm, hex, tag] of cases) {
        assert.equal(parseChecksumFile(hex, algorithm, FILE), hex);
        assert.equal(parseChecksumFile(`${hex}  f.jar`, algorithm, FILE), hex);
        assert.equal(parseChecksumFile(`${tag} (f.jar) = ${hex}`, algorithm, FILE), hex);
      }
      assert.equal(parseChecksumFile(`SHA2-256(f.jar)= ${SHA256}`, "sha256", FILE), SHA256);
      assert.equal(parseChecksumFile(`SHA-512 (f.jar) = ${SHA512}`, "sha512", FILE), SHA512);
    });

    it("folds uppercase and mixed-case hex to lowercase", () => {
      assert.equal(parseChecksumFile(SHA1.toUpperCase(), "sha1", FILE), SHA1);
      assert.equal(parseChecksumFile(`${SHA256.toUpperCase()} *x`, "sha256", FILE), SHA256);
      const mixed = [...MD5].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join("");
      assert.equal(parseChecksumFile(`MD5 (x) = ${mixed}`, "md5", FILE), MD5);
    });
  });

  describe("parseChecksumFile rejects", () => {
    it("an empty file", () => rejects("", "sha1", /empty/));
    it("a file of whitespace", () => rejects(" \r\n\t\n", "sha1", /empty/));
    it("a digest one digit short", () => rejects(SHA1.slice(1), "sha1", /39 hex digits.*40/));
    it("a digest one digit long", () => rejects(`${SHA1}0`, "sha1", /41/));
    it("a digest of another algorithm", () => {
      rejects(MD5, "sha1", /32 hex digits/);
      rejects(SHA1, "sha256", /40 hex digits.*64/);
      rejects(SHA512, "sha256", /128/);
      rejects(SHA256, "md5");
    });
    it("non-hex characters", () => {
      rejects(`${SHA1.slice(0, 39)}g`, "sha1", /not a hexadecimal/);
      rejects(`0x${SHA1.slice(2)}`, "sha1", /not a hexadecimal/);
      rejects("not a checksum at all", "sha1", /not a hexadecimal/);
      rejects(`${SHA1}*lib.jar`, "sha1", /not a hexadecimal/);
    });
    it("a BSD line naming another algorithm", () => rejects(`MD5 (x.jar) = ${MD5}`, "sha1", /names MD5/));
    it("a BSD line with an unknown tag", () => rejects(`BLAKE2 (x.jar) = ${SHA1}`, "sha1"));
    it("a BSD line with a non-hex digest", () => rejects(`SHA1 (x.jar) = ${SHA1.slice(0, 39)}z`, "sha1", /not a hexadecimal/));
    it("several digest lines", () => rejects(`${SHA1}  a.jar\n${SHA1}  b.jar\n`, "sha1", /2 lines/));
    it("an HTML error page", () => rejects("<html><body>404 Not Found</body></html>", "sha1"));
  });

  describe("formatChecksumFile", () => {
    it("writes the lowercase hex alone, without a newline", () => {
      assert.equal(formatChecksumFile(SHA1), SHA1);
      assert.equal(formatChecksumFile(SHA256.toUpperCase()), SHA256);
    });

    it("round-trips through parseChecksumFile", () => {
      assert.equal(parseChecksumFile(formatChecksumFile(SHA512.toUpperCase()), "sha512", FILE), SHA512);
    });

    it("refuses a value that is not hex (a caller bug)", () => {
      assert.throws(() => formatChecksumFile("xyz"), (error: unknown) => isPromoteError(error) && error.code === "ERR_INTERNAL");
    });
  });
});
