// Secrets never leak: promotions run with a passphrase-protected signing key and a
// passphrase-protected SSH identity, successful and failing, and then everything they wrote
// (stdout, stderr, every file on the target: journal, steps.log, rename.sh, backups) is searched
// for the passphrases and for the keys' secret material.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { runCliProcess, type CliResult } from "../helpers/cli.js";
import { makeGpgHome, type GpgHome } from "../helpers/gpg.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { makeTempDir, removeTempDirs } from "../helpers/temp-repos.js";

const SIGNING_PASSPHRASE = "signing-secret 5521 zebra";
const IDENTITY_PASSPHRASE = "identity-secret 8812 heron";

function everyFile(root: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (statSync(path).isDirectory()) files.push(...everyFile(path));
    else files.push(path);
  }
  return files;
}

/** The long base64 lines of a key file: its secret material, as it would appear if leaked. */
function secretLines(keyText: string): string[] {
  return keyText.split("\n").map((line) => line.trim()).filter((line) => line.length >= 40 && /^[A-Za-z0-9+/=]+$/.test(line));
}

describe("integration: secrets never appear in output, logs, journals or errors", function () {
  this.timeout(120_000);
  let server: SshServer;
  let gpg: GpgHome;

  before(async function () {
    skipWithoutSshd(this);
    server = await startSshd();
    gpg = await makeGpgHome(SIGNING_PASSPHRASE);
  });
  after(async () => {
    await server?.stop();
    await gpg?.remove();
    removeTempDirs();
  });

  it("in successful and failing promotions, resumes, status and verify", async () => {
    const work = makeTempDir();
    const example = writeExampleRepositories(join(work, "example"));
    const signKey = join(work, "release-key.asc");
    writeFileSync(signKey, gpg.armoredSecretKey);
    const identity = join(work, "id_ed25519");
    cpSync(server.clientKeyPath, identity);
    chmodSync(identity, 0o600);
    execFileSync("ssh-keygen", ["-q", "-p", "-N", IDENTITY_PASSPHRASE, "-f", identity]);
    const secrets = [SIGNING_PASSPHRASE, IDENTITY_PASSPHRASE, ...secretLines(gpg.armoredSecretKey), ...secretLines(readFileSync(identity, "utf8"))];
    assert.ok(secrets.length > 4, "the keys have secret lines to look for");

    const target = join(work, "target");
    cpSync(example.target, target, { recursive: true });
    const to = `sftp://${server.user}@127.0.0.1:${server.port}${target}`;
    const ssh = ["--identity", identity, "--identity-passphrase-env", "ID_PASS", "--known-hosts", server.knownHostsPath];
    const sign = ["--sign-key", signKey, "--sign-passphrase-env", "SIGN_PASS"];
    const env = { ID_PASS: IDENTITY_PASSPHRASE, SIGN_PASS: SIGNING_PASSPHRASE };
    const runs: CliResult[] = [];

    // Failing first: wrong passphrases, each in turn.
    runs.push(await runCliProcess(["promote", "--from", example.staging, "--to", to, ...ssh, ...sign], { ...env, SIGN_PASS: "wrong" }));
    runs.push(await runCliProcess(["promote", "--from", example.staging, "--to", to, ...ssh, ...sign], { ...env, ID_PASS: "wrong" }));
    runs.push(await runCliProcess(["promote", "--json", "--from", example.staging, "--to", to, ...ssh, ...sign], { ...env, ID_PASS: "wrong" }));
    assert.ok(runs.every((result) => result.code !== 0), "the failing runs failed");
    // Then the real thing, with everything printed.
    const promoted = await runCliProcess(["promote", "--json", "--from", example.staging, "--to", to, ...ssh, ...sign], env);
    assert.equal(promoted.code, 0, promoted.stderr);
    runs.push(promoted);
    runs.push(await runCliProcess(["promote", "--from", example.staging, "--to", to, ...ssh, ...sign], env)); // refused: 1.2.0 is released now
    runs.push(await runCliProcess(["status", "--json", "--to", to, ...ssh], env));
    runs.push(await runCliProcess(["verify", "--to", to, ...ssh], env));
    const id = JSON.parse(promoted.stdout).id as string;
    runs.push(await runCliProcess(["resume", id, "--to", to, ...ssh], env));
    runs.push(await runCliProcess(["rollback", id, "--to", to, ...ssh], env));

    const written = [
      ...runs.flatMap((result, index) => [
        { where: `run ${index} stdout`, text: result.stdout },
        { where: `run ${index} stderr`, text: result.stderr },
      ]),
      ...everyFile(target).map((path) => ({ where: path, text: readFileSync(path).toString("latin1") })),
    ];
    assert.ok(written.some(({ where }) => where.endsWith("journal.json")), "the journal was searched");
    assert.ok(written.some(({ where }) => where.endsWith("steps.log")), "the steps log was searched");
    for (const { where, text } of written) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `${where} holds a secret (${secret.slice(0, 6)}…)`);
    }
  });
});
