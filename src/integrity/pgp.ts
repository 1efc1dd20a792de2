// OpenPGP signing and verification of repository files (the `.asc` next to each artifact),
// on openpgp.js v6. Signatures are detached, binary-mode (type 0x00) and armored: what
// maven-gpg-plugin writes and what `gpg --verify file.asc file` and Maven Central check.
//
// openpgp's defaults are used on purpose. They accept the v4 keys GnuPG 2.2 makes (RSA ≥ 2048
// bits, EdDSA-legacy ed25519, S2K usage 254 secret-key protection) and refuse what is weak
// (DSA and ElGamal keys, RSA < 2047 bits, secp256k1, SHA-1/MD5 message signatures, secret
// keys protected by the two-byte checksum), which is the right policy for release signatures.
//
// Secrets: a passphrase or key is never put into a message. openpgp's own error text is not
// forwarded for private keys either (it is not ours to vet); it stays reachable as `cause`.

import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import type * as openpgp from "openpgp";
import { PromoteError } from "../errors.js";

export interface Signer {
  /** Fingerprint of the primary key, uppercase hex. */
  readonly fingerprint: string;
  /** Key ID of the (sub)key that makes the signatures, uppercase hex (16 digits). */
  readonly keyId: string;
  readonly userIds: string[];
  /** A detached, armored, binary-mode signature over `data`. */
  sign(data: Uint8Array): Promise<string>;
}

export interface TrustedKeys {
  readonly keys: readonly openpgp.PublicKey[];
  /** Primary-key fingerprints, uppercase hex, in file order, for logs. */
  readonly fingerprints: readonly string[];
}

export type VerifyResult = { ok: true; keyId: string; fingerprint: string } | { ok: false; reason: string };

/**
 * openpgp is loaded on first use: it is the largest module the CLI has (about 0.1 s to load),
 * and most promotions neither sign nor verify (issue 18, part 5: start-up costs).
 */
let openpgpModule: Promise<typeof openpgp> | undefined;
const loadOpenpgp = (): Promise<typeof openpgp> => (openpgpModule ??= import("openpgp"));

const KEY_BLOCK = /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g;

/**
 * Reads every key in `armoredText`. openpgp's readKeys reads only the first armored block, and
 * key files are often several exports concatenated, so each block is read on its own.
 */
async function readAllKeys(armoredText: string, sourceName: string, expected: "PUBLIC" | "PRIVATE"): Promise<openpgp.Key[]> {
  const blocks = armoredText.match(KEY_BLOCK) ?? [];
  if (blocks.length === 0) {
    const why = `holds no armored OpenPGP key (expected a "PGP ${expected} KEY BLOCK")`;
    throw new PromoteError("ERR_KEY", `${sourceName} ${why}.`, { path: sourceName });
  }
  const keys: openpgp.Key[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      keys.push(...(await (await loadOpenpgp()).readKeys({ armoredKeys: block })));
    } catch (error) {
      const which = blocks.length > 1 ? `key block ${index + 1} of ${sourceName}` : sourceName;
      throw new PromoteError("ERR_KEY", `Cannot parse ${which}: it is not a valid OpenPGP key.`, { path: sourceName, cause: error });
    }
  }
  return keys;
}

/** Key packets still locked by a passphrase (gnu-dummy stubs have no secret to unlock). */
function hasLockedKeyMaterial(pgp: typeof openpgp, key: openpgp.PrivateKey): boolean {
  return key.getKeys().some(({ keyPacket }) => {
    if (!(keyPacket instanceof pgp.SecretKeyPacket || keyPacket instanceof pgp.SecretSubkeyPacket)) return false;
    return !keyPacket.isDummy() && keyPacket.isDecrypted() === false;
  });
}

const hex = (id: openpgp.KeyID): string => id.toHex().toUpperCase();

/**
 * Loads the release signing key: exactly one private key, unlocked with `passphrase` when it
 * is protected. Every failure is ERR_KEY naming `sourceName` (a file name or option), never
 * the passphrase or key material.
 */
export async function loadSigningKey(
  armoredKeyText: string,
  passphrase: string | undefined,
  sourceName: string,
): Promise<Signer> {
  const fail = (why: string, cause?: unknown): never => {
    throw new PromoteError("ERR_KEY", `${sourceName}: ${why}.`, { path: sourceName, cause });
  };
  const keys = await readAllKeys(armoredKeyText, sourceName, "PRIVATE");
  const privateKeys = keys.filter((key): key is openpgp.PrivateKey => key.isPrivate());
  if (privateKeys.length === 0) return fail("holds only public keys; the signing key must be a private key");
  // Signing with whichever key came first would be a guess about which identity releases.
  if (privateKeys.length > 1) return fail(`holds ${privateKeys.length} private keys; give a file with exactly one`);
  let key = privateKeys[0]!;
  const fingerprint = key.getFingerprint().toUpperCase();
  const pgp = await loadOpenpgp();

  if (hasLockedKeyMaterial(pgp, key)) {
    if (passphrase === undefined) return fail(`the private key ${fingerprint} is passphrase-protected and no passphrase was given`);
    try {
      // decryptKey also validates that the secret and public parts belong together.
      key = await pgp.decryptKey({ privateKey: key, passphrase });
    } catch (error) {
      const wrongPassphrase = error instanceof Error && /incorrect key passphrase/i.test(error.message);
      return fail(
        wrongPassphrase
          ? `the passphrase does not unlock the private key ${fingerprint}`
          : `the private key ${fingerprint} cannot be unlocked (unsupported or damaged key protection)`,
        error,
      );
    }
  } else {
    try {
      // An unprotected key is not validated by decryptKey, so check it here: a secret part that
      // does not match its public part would make signatures nobody can verify. (validate()
      // exists at runtime but is missing from openpgp's type declarations.)
      await (key as openpgp.PrivateKey & { validate(): Promise<void> }).validate();
    } catch (error) {
      return fail(`the private key ${fingerprint} is damaged (its secret part does not match its public part)`, error);
    }
  }

  let signingKey: openpgp.PrivateKey | openpgp.Subkey;
  try {
    // Fail now, not at the first artifact, if no (sub)key may sign: expired, revoked, weak, or
    // the secret part is a gnu-dummy stub (e.g. the key lives on a smartcard).
    signingKey = await key.getSigningKey();
    const packet = signingKey.keyPacket;
    if ((packet instanceof pgp.SecretKeyPacket || packet instanceof pgp.SecretSubkeyPacket) && packet.isDummy()) {
      throw new Error("signing key is a gnu-dummy stub");
    }
  } catch (error) {
    return fail(`the key ${fingerprint} has no usable signing key (expired, revoked, too weak, or secret part missing)`, error);
  }
  const signingKeyId = signingKey.getKeyID();
  const unlocked = key;

  return {
    fingerprint,
    keyId: hex(signingKeyId),
    userIds: key.getUserIDs(),
    async sign(data: Uint8Array): Promise<string> {
      try {
        const message = await pgp.createMessage({ binary: plainBytes(data) });
        return await pgp.sign({
          message,
          signingKeys: unlocked,
          signingKeyIDs: signingKeyId,
          detached: true,
          format: "armored",
        });
      } catch (error) {
        throw new PromoteError("ERR_KEY", `${sourceName}: signing with the key ${fingerprint} failed.`, {
          path: sourceName,
          cause: error,
        });
      }
    },
  };
}

/**
 * Loads the keys whose signatures are accepted: one or more public keys, as concatenated
 * armored blocks or one block holding several. Private keys are accepted for their public part.
 */
export async function loadTrustedKeys(armoredText: string, sourceName: string): Promise<TrustedKeys> {
  const keys = await readAllKeys(armoredText, sourceName, "PUBLIC");
  const byFingerprint = new Map<string, openpgp.PublicKey>();
  for (const key of keys) {
    const publicKey = key.isPrivate() ? key.toPublic() : (key as openpgp.PublicKey);
    const fingerprint = publicKey.getFingerprint().toUpperCase();
    const known = byFingerprint.get(fingerprint);
    // The same key exported twice (say, before and after a new subkey): merge, don't duplicate.
    byFingerprint.set(fingerprint, known === undefined ? publicKey : await mergeKeys(known, publicKey, sourceName));
  }
  return { keys: [...byFingerprint.values()], fingerprints: [...byFingerprint.keys()] };
}

async function mergeKeys(a: openpgp.PublicKey, b: openpgp.PublicKey, sourceName: string): Promise<openpgp.PublicKey> {
  try {
    return await a.update(b);
  } catch (error) {
    const fingerprint = a.getFingerprint().toUpperCase();
    throw new PromoteError("ERR_KEY", `${sourceName}: cannot merge the two copies of key ${fingerprint}.`, {
      path: sourceName,
      cause: error,
    });
  }
}

/**
 * Checks a detached signature over `data` against the trusted keys. A signature that is
 * malformed, bad, or made by an untrusted key is an expected outcome and comes back as
 * `{ ok: false, reason }`. With several signatures in one file, the result is ok when at least
 * one is good and none by a trusted key is bad; signatures by unknown keys are then ignored.
 * Throws (ERR_SIGNATURE_INVALID naming `pathForErrors`) only if openpgp fails unexpectedly.
 */
export async function verifyDetachedSignature(
  data: Uint8Array | ReadableStream<Uint8Array>,
  armoredSignature: string,
  keys: TrustedKeys,
  pathForErrors: string,
): Promise<VerifyResult> {
  let signature: openpgp.Signature;
  try {
    signature = await (await loadOpenpgp()).readSignature({ armoredSignature });
  } catch {
    return { ok: false, reason: "not an OpenPGP signature" };
  }
  const signerIds = signature.getSigningKeyIDs();
  if (signerIds.length === 0) return { ok: false, reason: "not an OpenPGP signature" };

  let results: openpgp.VerifyMessageResult["signatures"];
  try {
    const streamed = data instanceof ReadableStream;
    const pgp = await loadOpenpgp();
    const message = await pgp.createMessage({ binary: streamed ? data : plainBytes(data) });
    const verification = await pgp.verify({
      message,
      signature,
      verificationKeys: [...keys.keys],
      expectSigned: false,
      format: "binary",
    });
    // With a stream the signatures settle only once the data has been read through.
    if (streamed) await drain(verification.data as unknown as ReadableStream<Uint8Array>);
    results = verification.signatures;
  } catch (error) {
    throw new PromoteError("ERR_SIGNATURE_INVALID", `${pathForErrors}: the signature could not be checked (${shortReason(error)}).`, {
      path: pathForErrors,
      cause: error,
    });
  }

  let good: VerifyResult | undefined;
  let bad: string | undefined;
  let unknown: string | undefined;
  for (const result of results) {
    const keyId = hex(result.keyID);
    const trusted = keys.keys.find((key) => key.getKeys(result.keyID).length > 0);
    if (trusted === undefined) {
      unknown ??= `signed by unknown key 0x${keyId}`;
      // Still await it: an unobserved rejected promise would be reported as unhandled.
      await result.verified.catch(() => undefined);
      continue;
    }
    try {
      await result.verified;
      good ??= { ok: true, keyId, fingerprint: trusted.getFingerprint().toUpperCase() };
    } catch (error) {
      bad ??= classify(error, keyId);
    }
  }
  if (bad !== undefined) return { ok: false, reason: bad };
  if (good !== undefined) return good;
  return { ok: false, reason: unknown ?? "not an OpenPGP signature" };
}

/**
 * Checks a detached signature over a file, streaming it: artifacts can be large and are never
 * read whole into memory (DESIGN.md, Integrity).
 */
export async function verifyDetachedSignatureOfFile(
  path: string,
  armoredSignature: string,
  keys: TrustedKeys,
  pathForErrors: string,
): Promise<VerifyResult> {
  const stream = Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
  return verifyDetachedSignature(stream, armoredSignature, keys, pathForErrors);
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  while (!(await reader.read()).done);
}

/** A short reason for a signature by a trusted key that did not verify. */
function classify(error: unknown, keyId: string): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/signed digest did not match|signature verification failed|invalid signature/i.test(message)) return "bad signature";
  // Other rejections (expired or revoked key, weak hash or key algorithm, creation time in the
  // future) concern public data only, so openpgp's wording is safe and the most precise.
  return `signature by key 0x${keyId} rejected: ${shortReason(error)}`;
}

function shortReason(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split(/\r?\n/)[0]!.trim();
  return message.length > 160 ? `${message.slice(0, 157)}...` : message;
}

/** openpgp wants a plain Uint8Array; a Node Buffer is viewed as one without copying. */
function plainBytes(data: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(data) === Uint8Array.prototype ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
