// Maven 3's encrypted settings values ("{…}"), as plexus-cipher's PBECipher writes them: the
// base64 inside the braces is an 8-byte salt, one byte of padding length, the AES-128-CBC
// ciphertext, then that much padding. Key and IV are the SHA-256 of password + salt (iterated
// over the previous digest while more than its 32 bytes would be needed, which they never are
// for 16 + 16). The master password in settings-security.xml is itself encrypted this way with
// the password "settings.security". Debian's `mvn --encrypt-master-password` and
// `mvn --encrypt-password` are the oracle (test/integration/maven-settings.test.ts).
import { createDecipheriv, createHash } from "node:crypto";

/** plexus-sec-dispatcher's fixed password for the master password itself. */
export const MASTER_PASSWORD_KEY = "settings.security";

/** The base64 between the first unescaped `{` and the next `}`, or undefined if the value is plain. */
export function encryptedPart(value: string): string | undefined {
  // Text may surround the braces (Maven allows a comment there); `\{` is a literal brace.
  const match = /(?<!\\)\{([A-Za-z0-9+/=]*)(?<!\\)\}/.exec(value);
  return match === null ? undefined : match[1];
}

/** Decrypts one `{…}` value; throws if the password is wrong (bad padding) or the data is short. */
export function decryptValue(value: string, password: string): string {
  const base64 = encryptedPart(value);
  if (base64 === undefined) return value;
  const data = Buffer.from(base64, "base64");
  if (data.length < 8 + 1 + 16) throw new Error("too short to be an encrypted value");
  const salt = data.subarray(0, 8);
  const padding = data[8]!;
  const encrypted = data.subarray(9, data.length - padding);
  const keyAndIv = Buffer.alloc(32);
  let previous: Buffer | undefined;
  for (let filled = 0; filled < keyAndIv.length; filled += previous.length) {
    const digest = createHash("sha256");
    if (previous !== undefined) digest.update(previous);
    previous = digest.update(Buffer.from(password, "utf8")).update(salt).digest();
    previous.copy(keyAndIv, filled, 0, Math.min(previous.length, keyAndIv.length - filled));
  }
  const decipher = createDecipheriv("aes-128-cbc", keyAndIv.subarray(0, 16), keyAndIv.subarray(16));
  return Buffer.concat([decipher.update(encrypted), decipher.final()]).toString("utf8");
}
