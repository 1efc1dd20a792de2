// Reading and writing Maven checksum files (`foo.jar.sha1` and friends). Maven itself writes
// the bare hex digest, but staged repositories also come from other tools, so reading accepts
// the coreutils (`sha1sum`) and BSD (`shasum --tag`, `openssl dgst`) layouts as well. Writing
// always produces what Maven writes.

import { PromoteError } from "../errors.js";
import type { DigestAlgorithm } from "./digests.js";

/** Hex length of each algorithm's digest: a digest of the wrong length is a wrong file. */
const HEX_LENGTHS: Readonly<Record<DigestAlgorithm, number>> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };

/** Algorithm names that a BSD-style line (`SHA256 (file) = hex`) may carry, by algorithm. */
const BSD_TAGS: Readonly<Record<string, DigestAlgorithm>> = {
  MD5: "md5",
  SHA1: "sha1",
  "SHA-1": "sha1",
  SHA256: "sha256",
  "SHA-256": "sha256",
  "SHA2-256": "sha256",
  SHA512: "sha512",
  "SHA-512": "sha512",
  "SHA2-512": "sha512",
};

// `TAG (name) = hex`; openssl writes `TAG(name)= hex`, hence the optional spaces. The name is
// greedy so that a name containing ") = " still leaves the digest as the last field.
const BSD_LINE = /^([A-Za-z0-9-]+) ?\((.*)\) ?= ?(\S+)$/;
// `hex`, `hex  name` (text mode), `hex *name` (binary mode) or `hex name` (one space, which
// some tools write). A leading backslash is coreutils' marker for an escaped file name.
const GNU_LINE = /^\\?(\S+)(?:[ \t]+\*?.*)?$/;
const HEX = /^[0-9A-Fa-f]+$/;

/**
 * Returns the lowercase hex digest held by a checksum file's text. Throws ERR_CHECKSUM_FORMAT,
 * naming `pathForErrors`, when the text is empty, holds more than one digest line, or its
 * digest is not hex of the algorithm's length.
 */
export function parseChecksumFile(text: string, algorithm: DigestAlgorithm, pathForErrors: string): string {
  const fail = (why: string): never => {
    throw new PromoteError("ERR_CHECKSUM_FORMAT", `${pathForErrors}: ${why}.`, { path: pathForErrors });
  };
  // A BOM can come from editors on Windows; it is not part of the digest.
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
  if (lines.length === 0) return fail("the checksum file is empty");
  // A checksum file belongs to one artifact; several lines mean a list of files (a SHA256SUMS
  // style file) or something else entirely, and guessing which line counts would be unsafe.
  if (lines.length > 1) return fail(`the checksum file has ${lines.length} lines; expected one ${algorithm} digest`);
  const line = lines[0]!;

  let hex: string;
  const bsd = BSD_LINE.exec(line);
  if (bsd !== null && BSD_TAGS[bsd[1]!.toUpperCase()] !== undefined) {
    const tagged = BSD_TAGS[bsd[1]!.toUpperCase()]!;
    if (tagged !== algorithm) return fail(`the checksum file names ${bsd[1]} but holds a ${algorithm} checksum`);
    hex = bsd[3]!;
  } else {
    hex = GNU_LINE.exec(line)![1]!;
  }

  if (!HEX.test(hex)) return fail(`the checksum is not a hexadecimal ${algorithm} digest`);
  const expected = HEX_LENGTHS[algorithm];
  if (hex.length !== expected) {
    return fail(`the checksum has ${hex.length} hex digits; a ${algorithm} digest has ${expected}`);
  }
  return hex.toLowerCase();
}

/** The content Maven writes to a checksum file: the lowercase hex digest alone, no newline. */
export function formatChecksumFile(hex: string): string {
  // A non-hex value here is a bug in the caller, not a problem with the repository.
  if (!HEX.test(hex)) throw new PromoteError("ERR_INTERNAL", "formatChecksumFile was given a value that is not a hex digest.");
  return hex.toLowerCase();
}
