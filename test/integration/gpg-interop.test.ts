// Interoperability with the real GnuPG: what we sign must pass `gpg --verify` (the check Maven
// Central and users run), and what maven-gpg-plugin (i.e. gpg) signs must pass our verifier.
// Keys are made by gpg itself in a throwaway GNUPGHOME, so they are the v4 keys gpg 2.2 makes.

import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPromoteError } from "../../src/errors.js";
import { loadSigningKey, loadTrustedKeys, verifyDetachedSignature, type TrustedKeys } from "../../src/integrity/pgp.js";

const PASSPHRASE = "interop passphrase 🔑 with spaces";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program with an argument array (no shell) and collects its output and exit code. */
function run(program: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function gpgIsOnPath(): Promise<boolean> {
  try {
    await run("gpg", ["--version"]);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

interface GpgKey {
  label: string;
  fingerprint: string;
  secretArmored: string;
}

describe("integration: gpg interoperability", function () {
  this.timeout(60_000);

  let home = "";
  let env: NodeJS.ProcessEnv = {};
  const keys: GpgKey[] = [];
  let trusted: TrustedKeys;
  let work = "";
  let dataPath = "";
  let data: Buffer;

  /** Runs gpg in the test's GNUPGHOME, non-interactively, and fails on a non-zero exit. */
  async function gpg(...args: string[]): Promise<Run> {
    const result = await gpgMayFail(...args);
    assert.equal(result.code, 0, `gpg ${args.join(" ")} failed:\n${result.stderr}`);
    return result;
  }
  function gpgMayFail(...args: string[]): Promise<Run> {
    return run("gpg", ["--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", PASSPHRASE, ...args], env);
  }

  before(async function () {
    if (!(await gpgIsOnPath())) {
      console.warn("    SKIPPED: `gpg` is not on PATH, so GnuPG interoperability cannot be tested.");
      this.skip();
    }
    home = await mkdtemp(join(tmpdir(), "gpg-home-")); // mkdtemp makes it 0700, as gpg wants
    work = await mkdtemp(join(tmpdir(), "gpg-work-"));
    env = { ...process.env, GNUPGHOME: home, LC_ALL: "C", LANGUAGE: "C" };

    for (const [label, uid, algo] of [
      ["ed25519", "Test <t@example.org>", "ed25519"],
      ["rsa3072", "RSA Test <rsa@example.org>", "rsa3072"],
    ] as const) {
      await gpg("--quick-gen-key", uid, algo, "sign", "never");
      const listing = await gpg("--with-colons", "--list-secret-keys", uid);
      const fingerprint = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(listing.stdout)?.[1];
      assert.ok(fingerprint, `no fingerprint for ${uid} in:\n${listing.stdout}`);
      const secret = await gpg("--armor", "--export-secret-keys", fingerprint);
      assert.match(secret.stdout, /BEGIN PGP PRIVATE KEY BLOCK/);
      keys.push({ label, fingerprint, secretArmored: secret.stdout });
    }
    const exported = await gpg("--armor", "--export", ...keys.map((k) => k.fingerprint));
    trusted = await loadTrustedKeys(exported.stdout, "gpg-export.asc");
    assert.deepEqual([...trusted.fingerprints].sort(), keys.map((k) => k.fingerprint).sort());

    // Binary content with CRLF, lone LF, NUL and high bytes: the signature must cover the raw bytes.
    data = Buffer.concat([Buffer.from("line one\r\nline two\nno newline\u0000\u00ff"), randomBytes(200_000)]);
    dataPath = join(work, "lib-1.0.jar");
    await writeFile(dataPath, data);
  });

  after(async function () {
    if (home !== "") {
      // Without this the gpg-agent started for the test home outlives the run and keeps mocha waiting.
      await run("gpgconf", ["--kill", "gpg-agent"], env).catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    }
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  for (const label of ["ed25519", "rsa3072"]) {
    describe(`${label} key made by gpg`, () => {
      const key = (): GpgKey => keys.find((k) => k.label === label)!;

      it("(a) our signature, made with the passphrase-protected secret key, passes `gpg --verify`", async () => {
        const signer = await loadSigningKey(key().secretArmored, PASSPHRASE, `${label}.key`);
        assert.equal(signer.fingerprint, key().fingerprint);
        const sigPath = `${dataPath}.${label}.asc`;
        await writeFile(sigPath, await signer.sign(data));
        const result = await gpgMayFail("--status-fd", "1", "--verify", sigPath, dataPath);
        assert.equal(result.code, 0, `gpg --verify failed:\n${result.stderr}`);
        assert.match(result.stdout, new RegExp(`^\\[GNUPG:\\] VALIDSIG ${key().fingerprint} `, "m"));
        assert.match(result.stdout, /^\[GNUPG:\] GOODSIG /m);
      });

      it("(b) gpg's detached signature passes our verifier", async () => {
        const sigPath = `${dataPath}.gpg-${label}.asc`;
        await gpg("--local-user", key().fingerprint, "--armor", "--detach-sign", "--output", sigPath, dataPath);
        const result = await verifyDetachedSignature(data, await readFile(sigPath, "utf8"), trusted, sigPath);
        assert.equal(result.ok, true, JSON.stringify(result));
        assert.equal(result.ok && result.fingerprint, key().fingerprint);
        assert.equal(result.ok && result.keyId, key().fingerprint.slice(-16));
      });

      it("(c) a tampered file is rejected by gpg and by our verifier", async () => {
        const tampered = Buffer.from(data);
        tampered[tampered.length - 1] ^= 0x01;
        const tamperedPath = join(work, `tampered-${label}.jar`);
        await writeFile(tamperedPath, tampered);

        const signer = await loadSigningKey(key().secretArmored, PASSPHRASE, `${label}.key`);
        const oursPath = `${tamperedPath}.ours.asc`;
        await writeFile(oursPath, await signer.sign(data)); // signed over the original bytes
        const byGpg = await gpgMayFail("--status-fd", "1", "--verify", oursPath, tamperedPath);
        assert.notEqual(byGpg.code, 0, "gpg must reject our signature over tampered bytes");
        assert.match(byGpg.stdout, /^\[GNUPG:\] BADSIG /m);

        const gpgSigPath = `${tamperedPath}.gpg.asc`;
        await gpg("--local-user", key().fingerprint, "--armor", "--detach-sign", "--output", gpgSigPath, dataPath);
        const byUs = await verifyDetachedSignature(tampered, await readFile(gpgSigPath, "utf8"), trusted, gpgSigPath);
        assert.deepEqual(byUs, { ok: false, reason: "bad signature" });
      });

      it("a wrong passphrase for gpg's exported secret key is ERR_KEY without the passphrase", async () => {
        await assert.rejects(loadSigningKey(key().secretArmored, "not the passphrase", `${label}.key`), (error: unknown) => {
          assert.ok(isPromoteError(error));
          assert.equal(error.code, "ERR_KEY");
          assert.ok(error.message.includes(`${label}.key`));
          assert.ok(!error.message.includes("not the passphrase") && !error.message.includes(PASSPHRASE));
          return true;
        });
      });
    });
  }
});
