// settings.xml servers against the real thing: Debian's `mvn --encrypt-master-password` and
// `mvn --encrypt-password` encrypt the master password and a key's passphrase; maven-promote
// decrypts them, logs in to the test sshd with the passphrase-protected key the server entry
// names, and promotes. A wrong master password and an unknown id are one line each, target untouched.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, chmodSync, cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { decryptValue, MASTER_PASSWORD_KEY } from "../../src/connect/settings-cipher.js";
import { runCliProcess } from "../helpers/cli.js";
import { mavenAvailable } from "../helpers/maven-client.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { makeTempDir, removeTempDirs, treeFingerprint } from "../helpers/temp-repos.js";

/** mvn's encrypted output: the `{…}` line. */
function mvnEncrypt(args: string[]): string {
  const output = execFileSync("mvn", ["-q", "-B", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const line = output.split("\n").map((text) => text.replace(/\u001b\[[0-9;]*m/g, "").trim()).find((text) => /^\{[A-Za-z0-9+/=]+\}$/.test(text));
  assert.ok(line, `no encrypted value in mvn's output:\n${output}`);
  return line;
}

describe("integration: settings.xml servers, encrypted by real Maven", function () {
  this.timeout(120_000);
  let server: SshServer;
  let example: { staging: string; target: string };
  const master = "correct horse battery staple";
  const keyPassphrase = "pass phrase with spaces & <xml> chars";
  let dir: string;
  let securityFile: string;
  let encryptedPassphrase: string;

  before(async function () {
    skipWithoutSshd(this);
    if (!mavenAvailable()) return assert.fail("mvn is missing: run scripts/install-maven-test-deps.sh");
    server = await startSshd();
    example = writeExampleRepositories(makeTempDir());
    dir = makeTempDir();
    // A passphrase-protected key the server accepts.
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", keyPassphrase, "-C", "settings-test", "-f", join(dir, "deploy_key")]);
    appendFileSync(join(server.dir, "authorized_keys"), readFileSync(join(dir, "deploy_key.pub"), "utf8"));
    securityFile = join(dir, "settings-security.xml");
    writeFileSync(securityFile, `<settingsSecurity><master>${mvnEncrypt(["--encrypt-master-password", master])}</master></settingsSecurity>\n`);
    encryptedPassphrase = mvnEncrypt(["--encrypt-password", keyPassphrase, `-Dsettings.security=${securityFile}`]);
  });

  after(async () => {
    await server?.stop();
    removeTempDirs();
  });

  function settingsFile(passphrase = encryptedPassphrase): string {
    const path = join(makeTempDir(), "settings.xml");
    writeFileSync(
      path,
      `<settings>
  <servers>
    <server>
      <id>releases</id>
      <username>\${env.DEPLOY_USER}</username>
      <privateKey>\${env.KEY_DIR}/deploy_key</privateKey>
      <passphrase>${passphrase.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</passphrase>
    </server>
  </servers>
</settings>
`,
    );
    return path;
  }

  function freshTarget(): string {
    const target = join(makeTempDir(), "target");
    cpSync(example.target, target, { recursive: true });
    return target;
  }

  const env = () => ({ DEPLOY_USER: server.user, KEY_DIR: dir });
  const to = (target: string) => ["--to", `sftp://127.0.0.1:${server.port}${target}`, "--known-hosts", server.knownHostsPath, "--ssh-config", "none"];

  it("our decryption gives back what mvn encrypted (master and value)", () => {
    const xml = readFileSync(securityFile, "utf8");
    assert.equal(decryptValue(/<master>(.*)<\/master>/.exec(xml)![1]!, MASTER_PASSWORD_KEY), master);
    assert.equal(decryptValue(encryptedPassphrase, master), keyPassphrase);
    // Maven allows text around the braces (a comment).
    assert.equal(decryptValue(`rotated 2026-11 ${encryptedPassphrase} by ops`, master), keyPassphrase);
  });

  it("--server-id: logs in as the server's user with its key, whose encrypted passphrase mvn made", async () => {
    const target = freshTarget();
    const result = await runCliProcess(["promote", "--json", "--from", example.staging, ...to(target), "--server-id", "releases", "--settings", settingsFile(), "--settings-security", securityFile], env());
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).state, "committed");
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(keyPassphrase.slice(0, 10)), "the passphrase is never printed");
  });

  it("<relocation> in settings-security.xml points to the file holding the master", async () => {
    const relocating = join(makeTempDir(), "settings-security.xml");
    writeFileSync(relocating, `<settingsSecurity><relocation>${securityFile}</relocation></settingsSecurity>\n`);
    const result = await runCliProcess(["plan", "--from", example.staging, ...to(freshTarget()), "--server-id", "releases", "--settings", settingsFile(), "--settings-security", relocating], env());
    assert.equal(result.code, 0, result.stderr);
  });

  it("a wrong master password, and an unknown server id: one line naming the file, the target unchanged", async () => {
    const target = freshTarget();
    const before = treeFingerprint(target);
    const wrong = join(makeTempDir(), "settings-security.xml");
    writeFileSync(wrong, `<settingsSecurity><master>${mvnEncrypt(["--encrypt-master-password", "not the master"])}</master></settingsSecurity>\n`);
    const settings = settingsFile();
    const refused = await runCliProcess(["promote", "--from", example.staging, ...to(target), "--server-id", "releases", "--settings", settings, "--settings-security", wrong], env());
    assert.notEqual(refused.code, 0);
    assert.equal(
      refused.stderr.split("\n")[0],
      `maven-promote: ${settings}: cannot decrypt the passphrase of server releases with the master password of ${wrong} (is it the right master password?) [ERR_CONFIG]`,
    );
    const unknown = await runCliProcess(["promote", "--from", example.staging, ...to(target), "--server-id", "nope", "--settings", settings, "--global-settings", join(dir, "absent.xml")], env());
    assert.notEqual(unknown.code, 0);
    assert.equal(unknown.stderr.split("\n")[0], `maven-promote: --server-id nope: no <server> with that id in ${settings} or ${join(dir, "absent.xml")} [ERR_CONFIG]`);
    assert.deepEqual(treeFingerprint(target), before);
  });

  describe("<filePermissions> and <directoryPermissions>, as wagon-ssh applies them", () => {
    function permissionsSettings(file: string, directory: string): string {
      const path = join(makeTempDir(), "settings.xml");
      writeFileSync(
        path,
        `<settings><servers><server><id>repo</id><privateKey>${server.clientKeyPath}</privateKey>` +
          `<filePermissions>${file}</filePermissions><directoryPermissions>${directory}</directoryPermissions></server></servers></settings>\n`,
      );
      return path;
    }

    /** A target holding only org/ (mode 0700): the promotion makes org/example/hello/ and below. */
    function bareTarget(): string {
      const target = join(makeTempDir(), "target");
      mkdirSync(join(target, "org"), { recursive: true });
      chmodSync(join(target, "org"), 0o700);
      return target;
    }

    const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8);

    for (const [name, extra, local] of [
      ["shell executor (the modes travel in the zip, the umask for unzip)", ["--unpack", "zip"], false],
      ["shell executor, --unpack tar (the modes travel in the tar, the umask for tar -x)", ["--unpack", "tar"], false],
      ["--sftp-only (chmod after each file and directory made)", ["--sftp-only"], false],
      ["a local directory", [], true],
    ] as const) {
      it(`${name}: files 664, directories it makes 775, directories already there untouched`, async () => {
        const target = bareTarget();
        const to = local ? ["--to", target] : ["--to", `sftp://${server.user}@127.0.0.1:${server.port}${target}`, "--known-hosts", server.knownHostsPath, "--ssh-config", "none"];
        const result = await runCliProcess(["promote", "--json", "--from", example.staging, ...to, ...extra, "--server-id", "repo", "--settings", permissionsSettings("664", "0775")], { SSH_AUTH_SOCK: "" });
        assert.equal(result.code, 0, result.stderr);
        assert.equal(JSON.parse(result.stdout).state, "committed");
        assert.equal(mode(join(target, "org")), "700", "a directory that was there keeps its mode");
        for (const directory of ["org/example", "org/example/hello", "org/example/hello/1.2.0"]) assert.equal(mode(join(target, directory)), "775", directory);
        for (const file of ["org/example/hello/1.2.0/hello-1.2.0.jar", "org/example/hello/1.2.0/hello-1.2.0.pom.sha1", "org/example/hello/maven-metadata.xml", "org/example/hello/maven-metadata.xml.sha1"]) {
          assert.equal(mode(join(target, file)), "664", file);
        }
      });
    }

    it("a mode that is not octal, or has setuid/setgid/sticky bits: one line naming the file and the server", async () => {
      const target = bareTarget();
      const before = treeFingerprint(target);
      for (const [file, directory, bad, reason] of [
        ["g+w", "775", "<filePermissions>g+w</filePermissions>", "expected an octal mode such as 664 or 775"],
        ["664", "2775", "<directoryPermissions>2775</directoryPermissions>", "setuid, setgid and sticky bits are not applied (a setgid parent passes its bit to new directories)"],
      ]) {
        const settings = permissionsSettings(file!, directory!);
        const result = await runCliProcess(["plan", "--from", example.staging, "--to", target, "--server-id", "repo", "--settings", settings]);
        assert.equal(result.code, 2, result.stderr);
        assert.equal(result.stderr.split("\n")[0], `maven-promote: ${settings}: <server> repo: ${bad}: ${reason} [ERR_CONFIG]`);
      }
      assert.deepEqual(treeFingerprint(target), before);
    });
  });

  describe("password login (a throwaway user, an sshd with PasswordAuthentication)", () => {
    // sshd checks a password against /etc/shadow, so the test makes a user of its own with a
    // random password for the length of this block, and removes it after.
    const user = "maven-promote-pwtest";
    const password = randomBytes(18).toString("base64");
    let passwordServer: SshServer;
    let home: string;

    before(async function () {
      if (process.getuid?.() !== 0) return assert.fail("making a throwaway user needs root (CI runs as root)");
      home = makeTempDir();
      chmodSync(home, 0o755);
      try {
        execFileSync("userdel", ["-f", user], { stdio: "ignore" }); // left by a killed run
      } catch {
        // there was none
      }
      execFileSync("useradd", ["-d", home, "-M", "-s", "/bin/sh", user]);
      execFileSync("chpasswd", { input: `${user}:${password}\n` });
      execFileSync("chown", [user, home]);
      passwordServer = await startSshd({ extraConfig: ["PasswordAuthentication yes", `AllowUsers ${user}`] });
    });

    after(async () => {
      await passwordServer?.stop();
      try {
        execFileSync("userdel", ["-f", user], { stdio: "ignore" });
      } catch {
        // never made
      }
    });

    function passwordSettings(encrypted: string): string {
      const path = join(makeTempDir(), "settings.xml");
      writeFileSync(path, `<settings><servers><server><id>pw</id><username>${user}</username><password>${encrypted}</password></server></servers></settings>\n`);
      return path;
    }

    /** A copy of the example target the throwaway user owns, under directories it can enter. */
    function ownedTarget(): string {
      const parent = makeTempDir();
      chmodSync(parent, 0o755);
      const target = join(parent, "target");
      cpSync(example.target, target, { recursive: true });
      execFileSync("chown", ["-R", user, target]);
      return target;
    }

    const toPasswordServer = (target: string) => ["--to", `sftp://127.0.0.1:${passwordServer.port}${target}`, "--known-hosts", passwordServer.knownHostsPath, "--ssh-config", "none"];

    it("--server-id: logs in with the server's password, which mvn encrypted, and promotes", async () => {
      const target = ownedTarget();
      const encrypted = mvnEncrypt(["--encrypt-password", password, `-Dsettings.security=${securityFile}`]);
      const settings = passwordSettings(encrypted);
      const result = await runCliProcess(
        ["promote", "--json", "--from", example.staging, ...toPasswordServer(target), "--server-id", "pw", "--settings", settings, "--settings-security", securityFile],
        { SSH_AUTH_SOCK: "" },
      );
      assert.equal(result.code, 0, result.stderr);
      const json = JSON.parse(result.stdout);
      assert.equal(json.state, "committed");
      // --json says the user and the password came from the settings.xml server, never the password itself.
      assert.deepEqual(json.connections.to.user, { value: user, source: "settings.xml", from: `${settings} <server> pw` });
      assert.deepEqual(json.connections.to.password, { value: "***", source: "settings.xml", from: `${settings} <server> pw` });
      assert.doesNotMatch(result.stdout + result.stderr, new RegExp(password.replace(/[+/=]/g, "\\$&")), "the password is never printed");
      assert.match(readFileSync(passwordServer.logPath, "utf8"), new RegExp(`Accepted password for ${user}`));
    });

    it("after the ssh config's IdentityFile is refused, the password is tried (ssh's order)", async () => {
      const target = ownedTarget();
      const config = join(makeTempDir(), "ssh_config");
      // A key the password server does not accept (the other test server's).
      writeFileSync(config, `Host pwhost\n  HostName 127.0.0.1\n  Port ${passwordServer.port}\n  IdentityFile ${server.clientKeyPath}\n`);
      const encrypted = mvnEncrypt(["--encrypt-password", password, `-Dsettings.security=${securityFile}`]);
      const result = await runCliProcess(
        ["plan", "--from", example.staging, "--to", `sftp://pwhost${target}`, "--known-hosts", passwordServer.knownHostsPath, "--ssh-config", config, "--server-id", "pw", "--settings", passwordSettings(encrypted), "--settings-security", securityFile],
        { SSH_AUTH_SOCK: "" },
      );
      assert.equal(result.code, 0, result.stderr);
      const log = readFileSync(passwordServer.logPath, "utf8");
      assert.match(log, new RegExp(`Failed publickey for ${user}`), "the key was offered first");
      assert.match(log, new RegExp(`Accepted password for ${user}`));
    });

    it("a wrong password is one line, and the target is unchanged", async () => {
      const target = ownedTarget();
      const before = treeFingerprint(target);
      const encrypted = mvnEncrypt(["--encrypt-password", "not-the-password", `-Dsettings.security=${securityFile}`]);
      const result = await runCliProcess(
        ["promote", "--from", example.staging, ...toPasswordServer(target), "--server-id", "pw", "--settings", passwordSettings(encrypted), "--settings-security", securityFile],
        { SSH_AUTH_SOCK: "" },
      );
      assert.equal(result.code, 2, result.stderr);
      assert.equal(
        result.stderr.split("\n")[0],
        `maven-promote: ${user}@127.0.0.1:${passwordServer.port}: authentication failed (neither a key nor the settings.xml server's password was accepted) [ERR_SSH_AUTH]`,
      );
      assert.doesNotMatch(result.stderr, /not-the-password/);
      assert.deepEqual(treeFingerprint(target), before);
    });
  });
});
