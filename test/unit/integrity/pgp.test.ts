import { strict as assert } from "node:assert";
import * as openpgp from "openpgp";
import { isPromoteError, type PromoteError } from "../../../src/errors.js";
import { loadSigningKey, loadTrustedKeys, verifyDetachedSignature, type TrustedKeys } from "../../../src/integrity/pgp.js";

const PASSPHRASE = "correct horse 🐎 battery staple";
const WRONG = "Tr0ub4dor&3-not-it";
const DATA = new TextEncoder().encode("<project>\n  <artifactId>lib</artifactId>\r\n</project>\n\u0000\u00ff");
const SIG_PATH = "org/example/lib/1.0/lib-1.0.pom.asc";

interface TestKey {
  privateArmored: string;
  publicArmored: string;
  fingerprint: string;
}

async function generate(name: string, options: { passphrase?: string; keyExpirationTime?: number; date?: Date } = {}): Promise<TestKey> {
  // ECC curve25519Legacy: the v4 EdDSA key GnuPG 2.2 makes, and fast to generate.
  const { privateKey, publicKey } = await openpgp.generateKey({
    userIDs: [{ name, email: `${name.toLowerCase()}@example.org` }],
    type: "ecc",
    curve: "curve25519Legacy",
    format: "armored",
    ...options,
  });
  const key = await openpgp.readKey({ armoredKey: publicKey });
  return { privateArmored: privateKey, publicArmored: publicKey, fingerprint: key.getFingerprint().toUpperCase() };
}

/** Asserts an ERR_KEY naming `source`, one line, with no secret in message or stack. */
function assertKeyError(error: unknown, source: string, pattern?: RegExp, secrets: string[] = []): true {
  assert.ok(isPromoteError(error), `expected a PromoteError, got ${String(error)}`);
  const e = error as PromoteError;
  assert.equal(e.code, "ERR_KEY");
  assert.ok(e.message.includes(source), `message names ${source}: ${e.message}`);
  assert.ok(!/[\r\n]/.test(e.message), "message is one line");
  assert.ok(!e.message.includes("-----BEGIN"), "message holds no armored material");
  for (const secret of secrets) {
    assert.ok(!e.message.includes(secret), "message holds no secret");
    assert.ok(!String(e.stack).includes(secret), "stack holds no secret");
  }
  if (pattern) assert.match(e.message, pattern);
  return true;
}

describe("integrity/pgp", function () {
  this.timeout(20000);

  let alice: TestKey; // unprotected
  let bob: TestKey; // passphrase-protected
  let mallory: TestKey; // not trusted
  let trusted: TrustedKeys;

  before(async () => {
    [alice, bob, mallory] = await Promise.all([generate("Alice"), generate("Bob", { passphrase: PASSPHRASE }), generate("Mallory")]);
    trusted = await loadTrustedKeys(alice.publicArmored + bob.publicArmored, "trusted.asc");
  });

  describe("sign and verify", () => {
    it("round-trips with an unprotected key", async () => {
      const signer = await loadSigningKey(alice.privateArmored, undefined, "alice.key");
      assert.equal(signer.fingerprint, alice.fingerprint);
      assert.deepEqual(signer.userIds, ["Alice <alice@example.org>"]);
      assert.match(signer.keyId, /^[0-9A-F]{16}$/);
      const armored = await signer.sign(DATA);
      assert.match(armored, /^-----BEGIN PGP SIGNATURE-----\r?\n/);
      const result = await verifyDetachedSignature(DATA, armored, trusted, SIG_PATH);
      assert.deepEqual(result, { ok: true, keyId: signer.keyId, fingerprint: alice.fingerprint });
    });

    it("round-trips with a passphrase-protected key", async () => {
      const signer = await loadSigningKey(bob.privateArmored, PASSPHRASE, "bob.key");
      assert.equal(signer.fingerprint, bob.fingerprint);
      const result = await verifyDetachedSignature(DATA, await signer.sign(DATA), trusted, SIG_PATH);
      assert.equal(result.ok, true);
    });

    it("makes a detached binary-mode signature (type 0x00), not a text-mode one", async () => {
      const signer = await loadSigningKey(alice.privateArmored, undefined, "alice.key");
      const signature = await openpgp.readSignature({ armoredSignature: await signer.sign(DATA) });
      assert.equal(signature.packets.length, 1);
      assert.equal(signature.packets[0]!.signatureType, openpgp.enums.signature.binary);
      assert.equal(signature.getSigningKeyIDs()[0]!.toHex().toUpperCase(), signer.keyId);
    });

    it("signs a Node Buffer (a view into a larger pool) over exactly its bytes", async () => {
      const signer = await loadSigningKey(alice.privateArmored, undefined, "alice.key");
      const pooled = Buffer.from(DATA); // small Buffers share a pool with a non-zero offset
      const armored = await signer.sign(pooled);
      assert.equal((await verifyDetachedSignature(DATA, armored, trusted, SIG_PATH)).ok, true);
    });

    it("rejects tampered data as a bad signature", async () => {
      const signer = await loadSigningKey(alice.privateArmored, undefined, "alice.key");
      const armored = await signer.sign(DATA);
      const tampered = Uint8Array.from(DATA);
      tampered[0] ^= 1;
      assert.deepEqual(await verifyDetachedSignature(tampered, armored, trusted, SIG_PATH), { ok: false, reason: "bad signature" });
      const longer = new Uint8Array([...DATA, 10]);
      assert.deepEqual(await verifyDetachedSignature(longer, armored, trusted, SIG_PATH), { ok: false, reason: "bad signature" });
    });

    it("rejects a signature by a key outside the trusted set, naming its key id", async () => {
      const signer = await loadSigningKey(mallory.privateArmored, undefined, "mallory.key");
      const result = await verifyDetachedSignature(DATA, await signer.sign(DATA), trusted, SIG_PATH);
      assert.deepEqual(result, { ok: false, reason: `signed by unknown key 0x${signer.keyId}` });
    });

    it("rejects what is not an OpenPGP signature", async () => {
      for (const text of ["", "garbage", "-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n", alice.publicArmored]) {
        assert.deepEqual(await verifyDetachedSignature(DATA, text, trusted, SIG_PATH), { ok: false, reason: "not an OpenPGP signature" }, text);
      }
    });

    it("accepts a file holding a trusted and an unknown signature, but not only unknown ones", async () => {
      const keys = await Promise.all([alice, mallory].map((k) => openpgp.readPrivateKey({ armoredKey: k.privateArmored })));
      const message = await openpgp.createMessage({ binary: DATA });
      const both = await openpgp.sign({ message, signingKeys: keys, detached: true });
      const result = await verifyDetachedSignature(DATA, both, trusted, SIG_PATH);
      assert.equal(result.ok, true);
      assert.equal(result.ok && result.fingerprint, alice.fingerprint);
      const onlyMallory = await loadTrustedKeys(mallory.publicArmored, "m.asc");
      const none = await verifyDetachedSignature(DATA, both, await loadTrustedKeys(bob.publicArmored, "b.asc"), SIG_PATH);
      assert.equal(none.ok, false);
      assert.match(!none.ok ? none.reason : "", /^signed by unknown key 0x[0-9A-F]{16}$/);
      assert.equal((await verifyDetachedSignature(DATA, both, onlyMallory, SIG_PATH)).ok, true);
    });
  });

  describe("loadSigningKey failures", () => {
    it("a protected key without a passphrase", async () => {
      await assert.rejects(loadSigningKey(bob.privateArmored, undefined, "bob.key"), (e) =>
        assertKeyError(e, "bob.key", /passphrase-protected and no passphrase was given/),
      );
    });

    it("a wrong passphrase, which the message never repeats", async () => {
      await assert.rejects(loadSigningKey(bob.privateArmored, WRONG, "bob.key"), (e) => {
        assertKeyError(e, "bob.key", /passphrase does not unlock/, [WRONG, PASSPHRASE]);
        assert.ok((e as Error).cause instanceof Error, "openpgp's error is kept as the cause");
        return true;
      });
      await assert.rejects(loadSigningKey(bob.privateArmored, "", "bob.key"), (e) => assertKeyError(e, "bob.key", /passphrase does not unlock/));
    });

    it("a public key instead of a private one", async () => {
      await assert.rejects(loadSigningKey(alice.publicArmored, undefined, "alice.pub"), (e) =>
        assertKeyError(e, "alice.pub", /only public keys/),
      );
    });

    it("a file with two private keys", async () => {
      await assert.rejects(loadSigningKey(alice.privateArmored + mallory.privateArmored, undefined, "two.key"), (e) =>
        assertKeyError(e, "two.key", /2 private keys/),
      );
    });

    it("a garbage file", async () => {
      for (const text of ["", "not a key\n", "\u0000\u0001binary"]) {
        await assert.rejects(loadSigningKey(text, PASSPHRASE, "garbage.key"), (e) =>
          assertKeyError(e, "garbage.key", /no armored OpenPGP key/, [PASSPHRASE]),
        );
      }
    });

    it("a damaged armored key block", async () => {
      // Line 0 is the BEGIN line, line 1 is blank, line 2 starts the packets.
      const lines = bob.privateArmored.split("\n");
      const damage = (at: number) => [...lines.slice(0, at), "AAAA" + lines[at]!.slice(4), ...lines.slice(at + 1)].join("\n");
      const truncated = lines.slice(0, 4).concat("-----END PGP PRIVATE KEY BLOCK-----").join("\n");
      const cases: Array<[string, RegExp]> = [
        [damage(2), /not a valid OpenPGP key/], // packet header
        [truncated, /not a valid OpenPGP key/],
        [damage(3), /cannot be unlocked|does not unlock/], // inside the encrypted secret
      ];
      for (const [text, pattern] of cases) {
        await assert.rejects(loadSigningKey(text, PASSPHRASE, "damaged.key"), (e) => {
          assertKeyError(e, "damaged.key", pattern, [PASSPHRASE]);
          // The armored body is key material: none of it may reach the message.
          for (const line of lines.slice(2, 8)) assert.ok(!(e as Error).message.includes(line.slice(4, 20)));
          return true;
        });
      }
    });

    it("an expired key", async () => {
      const expired = await generate("Old", { date: new Date(Date.now() - 3_600_000), keyExpirationTime: 60 });
      await assert.rejects(loadSigningKey(expired.privateArmored, undefined, "old.key"), (e) =>
        assertKeyError(e, "old.key", /no usable signing key/),
      );
    });
  });

  describe("loadTrustedKeys", () => {
    it("reads concatenated armored blocks", async () => {
      const keys = await loadTrustedKeys(`${alice.publicArmored}\n\n${mallory.publicArmored}`, "keys.asc");
      assert.deepEqual(keys.fingerprints, [alice.fingerprint, mallory.fingerprint]);
      assert.equal(keys.keys.length, 2);
    });

    it("reads one armored block holding several keys", async () => {
      const [a, m] = await Promise.all([alice, mallory].map((k) => openpgp.readKey({ armoredKey: k.publicArmored })));
      const both = new Uint8Array([...a!.write(), ...m!.write()]);
      const armored = openpgp.armor(openpgp.enums.armor.publicKey, both);
      const keys = await loadTrustedKeys(armored, "keyring.asc");
      assert.deepEqual(keys.fingerprints, [alice.fingerprint, mallory.fingerprint]);
    });

    it("takes the public part of a private key", async () => {
      const keys = await loadTrustedKeys(alice.privateArmored, "alice.key");
      assert.deepEqual(keys.fingerprints, [alice.fingerprint]);
      assert.equal(keys.keys[0]!.isPrivate(), false);
    });

    it("merges a key given twice", async () => {
      const keys = await loadTrustedKeys(alice.publicArmored + alice.privateArmored, "dup.asc");
      assert.deepEqual(keys.fingerprints, [alice.fingerprint]);
    });

    it("tolerates CRLF line endings", async () => {
      const keys = await loadTrustedKeys(alice.publicArmored.replace(/\r?\n/g, "\r\n"), "crlf.asc");
      assert.deepEqual(keys.fingerprints, [alice.fingerprint]);
    });

    it("fails with ERR_KEY on garbage, empty input, or a damaged block", async () => {
      await assert.rejects(loadTrustedKeys("", "empty.asc"), (e) => assertKeyError(e, "empty.asc", /no armored OpenPGP key/));
      await assert.rejects(loadTrustedKeys("hello", "hello.asc"), (e) => assertKeyError(e, "hello.asc"));
      const broken = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n";
      await assert.rejects(loadTrustedKeys(alice.publicArmored + broken, "broken.asc"), (e) =>
        assertKeyError(e, "broken.asc", /key block 2 of broken\.asc/),
      );
    });
  });
});
