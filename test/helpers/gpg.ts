// A throwaway GnuPG home with one passphrase-protected signing key, made by the real gpg, for
// tests that check our signatures the way users and Maven Central do: `gpg --verify`.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface GpgHome {
  home: string;
  passphrase: string;
  fingerprint: string;
  armoredSecretKey: string;
  armoredPublicKey: string;
  /** `gpg --armor --detach-sign`: writes FILE.asc, as maven-gpg-plugin does. */
  sign(filePath: string): Promise<void>;
  /** `gpg --verify signature file`: resolves with gpg's exit code and status output. */
  verify(signaturePath: string, filePath: string): Promise<{ code: number; status: string }>;
  remove(): Promise<void>;
}

function gpg(home: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("gpg", ["--batch", "--no-tty", "--homedir", home, ...args], { env: { ...process.env, LC_ALL: "C" } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 2, stdout, stderr });
    });
  });
}

export async function makeGpgHome(passphrase = "test passphrase 41"): Promise<GpgHome> {
  const home = await mkdtemp(join(tmpdir(), "gpg-home-"));
  const uid = "Release Manager <release@example.org>";
  const must = async (args: string[]) => {
    const result = await gpg(home, ["--pinentry-mode", "loopback", "--passphrase", passphrase, ...args]);
    if (result.code !== 0) throw new Error(`gpg ${args[0]} failed: ${result.stderr}`);
    return result.stdout;
  };
  await must(["--quick-gen-key", uid, "ed25519", "sign", "never"]);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(await must(["--with-colons", "--list-secret-keys", uid]))![1]!;
  const armoredSecretKey = await must(["--armor", "--export-secret-keys", fingerprint]);
  const armoredPublicKey = await must(["--armor", "--export", fingerprint]);
  return {
    home,
    passphrase,
    fingerprint,
    armoredSecretKey,
    armoredPublicKey,
    async sign(filePath) {
      await must(["--armor", "--detach-sign", "--local-user", fingerprint, "--output", `${filePath}.asc`, filePath]);
    },
    async verify(signaturePath, filePath) {
      const result = await gpg(home, ["--status-fd", "1", "--verify", signaturePath, filePath]);
      return { code: result.code, status: result.stdout };
    },
    async remove() {
      await new Promise((resolve) => execFile("gpgconf", ["--homedir", home, "--kill", "gpg-agent"], () => resolve(undefined)));
      await rm(home, { recursive: true, force: true });
    },
  };
}
