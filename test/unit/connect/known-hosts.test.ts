import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import type { ErrorCode } from "../../../src/errors.js";
import {
  checkHostKey,
  defaultKnownHostsPath,
  fingerprintOf,
  keyTypeOf,
  type HostKeyCheckInput,
  type HostKeyDecision,
} from "../../../src/connect/known-hosts.js";

interface TestKey {
  pubPath: string;
  type: string;
  base64: string;
  blob: Buffer;
}

describe("connect/known-hosts", function () {
  this.timeout(60000);

  let keyDir: string;
  let work: string;
  let ed: TestKey; // the key the server offers
  let ed2: TestKey; // another key of the same type
  let rsa: TestKey;

  function generate(name: string, args: string[]): TestKey {
    const path = join(keyDir, name);
    execFileSync("ssh-keygen", ["-q", ...args, "-N", "", "-C", `test-${name}`, "-f", path], { stdio: "pipe" });
    const pubPath = `${path}.pub`;
    const [type, base64] = readFileSync(pubPath, "utf8").trim().split(/\s+/) as [string, string];
    return { pubPath, type, base64, blob: Buffer.from(base64, "base64") };
  }

  before(() => {
    keyDir = mkdtempSync(join(tmpdir(), "known-hosts-keys-"));
    ed = generate("ed", ["-t", "ed25519"]);
    ed2 = generate("ed2", ["-t", "ed25519"]);
    rsa = generate("rsa", ["-t", "rsa", "-b", "2048"]);
  });
  after(() => rmSync(keyDir, { recursive: true, force: true }));

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "known-hosts-"));
  });
  afterEach(() => {
    chmodSync(work, 0o700);
    rmSync(work, { recursive: true, force: true });
  });

  function knownHosts(text: string): string {
    const path = join(work, "known_hosts");
    writeFileSync(path, text);
    return path;
  }

  function check(overrides: Partial<HostKeyCheckInput> & { knownHostsPath: string }): Promise<HostKeyDecision> {
    return checkHostKey({ host: "127.0.0.1", port: 2222, key: ed.blob, acceptNew: false, ...overrides });
  }

  function assertOk(decision: HostKeyDecision, added = false): void {
    assert.ok(decision.ok, decision.ok ? "" : `expected ok, got ${decision.error.code}: ${decision.error.message}`);
    assert.equal(decision.added, added);
    assert.equal(decision.fingerprint, fingerprintOf(ed.blob));
  }

  function assertError(decision: HostKeyDecision, code: ErrorCode, path: string, key: TestKey = ed) {
    assert.ok(!decision.ok, `expected ${code}, got ok`);
    const { error } = decision;
    assert.equal(error.code, code, error.message);
    assert.equal(error.path, path);
    assert.equal(error.exitCode, 1);
    assert.ok(!/[\r\n]/.test(error.message), "message is one line");
    assert.ok(error.message.includes(fingerprintOf(key.blob)), `message has the fingerprint: ${error.message}`);
    assert.ok(error.message.includes(key.type), `message has the key type: ${error.message}`);
    return error;
  }

  describe("fingerprintOf / keyTypeOf / defaultKnownHostsPath", () => {
    it("prints the SHA256 fingerprint exactly as ssh-keygen -lf", () => {
      for (const key of [ed, ed2, rsa]) {
        const line = execFileSync("ssh-keygen", ["-lf", key.pubPath], { encoding: "utf8" });
        const expected = line.split(/\s+/)[1];
        assert.match(expected!, /^SHA256:[A-Za-z0-9+/]{43}$/);
        assert.equal(fingerprintOf(key.blob), expected);
      }
    });

    it("reads the key type from the blob", () => {
      assert.equal(keyTypeOf(ed.blob), "ssh-ed25519");
      assert.equal(keyTypeOf(rsa.blob), "ssh-rsa");
      assert.throws(() => keyTypeOf(Buffer.from("nonsense")), TypeError);
    });

    it("defaults to ~/.ssh/known_hosts", () => {
      assert.equal(defaultKnownHostsPath(), join(homedir(), ".ssh", "known_hosts"));
    });
  });

  describe("known hosts", () => {
    it("a plain entry on port 22 is matched by the bare host name", async () => {
      const file = knownHosts(`sftp.example.org ${ed.type} ${ed.base64} comment\n`);
      assertOk(await check({ host: "sftp.example.org", port: 22, knownHostsPath: file }));
      assertOk(await check({ host: "SFTP.Example.ORG", port: 22, knownHostsPath: file }));
      // The same name on another port is another host.
      assertError(await check({ host: "sftp.example.org", port: 2222, knownHostsPath: file }), "ERR_HOST_KEY_UNKNOWN", file);
    });

    it("a non-standard port is looked up as [host]:port", async () => {
      const file = knownHosts(`[127.0.0.1]:2222 ${ed.type} ${ed.base64}\n`);
      assertOk(await check({ knownHostsPath: file }));
      assertError(await check({ port: 22, knownHostsPath: file }), "ERR_HOST_KEY_UNKNOWN", file);
      assertError(await check({ port: 2223, knownHostsPath: file }), "ERR_HOST_KEY_UNKNOWN", file);
    });

    it("a comma-separated host list", async () => {
      const file = knownHosts(`alias.example,[127.0.0.1]:2222,10.0.0.1 ${ed.type} ${ed.base64}\n`);
      assertOk(await check({ knownHostsPath: file }));
      assertOk(await check({ host: "alias.example", port: 22, knownHostsPath: file }));
      assertOk(await check({ host: "10.0.0.1", port: 22, knownHostsPath: file }));
      assertError(await check({ host: "10.0.0.2", port: 22, knownHostsPath: file }), "ERR_HOST_KEY_UNKNOWN", file);
    });

    it("wildcards, and a negated pattern excludes the line", async () => {
      const file = knownHosts(`*.example.org,!bad.example.org,node?.example.net ${ed.type} ${ed.base64}\n`);
      assertOk(await check({ host: "repo.example.org", port: 22, knownHostsPath: file }));
      assertOk(await check({ host: "a.b.example.org", port: 22, knownHostsPath: file }));
      assertOk(await check({ host: "node7.example.net", port: 22, knownHostsPath: file }));
      assertError(await check({ host: "node17.example.net", port: 22, knownHostsPath: file }), "ERR_HOST_KEY_UNKNOWN", file);
      assertError(await check({ host: "bad.example.org", port: 22, knownHostsPath: file }), "ERR_HOST_KEY_UNKNOWN", file);
      assertError(await check({ host: "example.org", port: 22, knownHostsPath: file }), "ERR_HOST_KEY_UNKNOWN", file);
    });

    it("a negated pattern also keeps a different key from counting as CHANGED", async () => {
      const file = knownHosts(`*.example.org,!bad.example.org ${ed2.type} ${ed2.base64}\n`);
      assertError(await check({ host: "bad.example.org", port: 22, knownHostsPath: file }), "ERR_HOST_KEY_UNKNOWN", file);
    });

    it("an entry hashed by the real ssh-keygen -H", async () => {
      const file = knownHosts(`[127.0.0.1]:2222 ${ed.type} ${ed.base64}\nother.example ${rsa.type} ${rsa.base64}\n`);
      execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "pipe" });
      const text = readFileSync(file, "utf8");
      assert.ok(!text.includes("127.0.0.1") && !text.includes("other.example"), text);
      assert.equal(text.match(/^\|1\|/gm)?.length, 2, text);
      assertOk(await check({ knownHostsPath: file }));
      const other = await check({ host: "other.example", port: 22, key: rsa.blob, knownHostsPath: file });
      assert.deepEqual(other, { ok: true, added: false, fingerprint: fingerprintOf(rsa.blob) });
    });

    it("a hashed entry for another host does not match", async () => {
      const file = knownHosts(`other.example ${ed2.type} ${ed2.base64}\n`);
      execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "pipe" });
      assert.match(readFileSync(file, "utf8"), /^\|1\|/);
      assertError(await check({ knownHostsPath: file }), "ERR_HOST_KEY_UNKNOWN", file);
      // ...while for its own host the different key is a CHANGED key.
      assertError(await check({ host: "other.example", port: 22, knownHostsPath: file }), "ERR_HOST_KEY_CHANGED", file);
    });
  });

  describe("unknown hosts", () => {
    it("an unknown host is refused, with its fingerprint, and the file is left alone", async () => {
      const before = `other.example ${ed.type} ${ed.base64}\n`;
      const file = knownHosts(before);
      const error = assertError(await check({ knownHostsPath: file }), "ERR_HOST_KEY_UNKNOWN", file);
      assert.equal(error.message, `host key for [127.0.0.1]:2222 is unknown (ssh-ed25519 ${fingerprintOf(ed.blob)}); not in ${file}`);
      assert.match(error.hint, /--accept-new-host-key/);
      assert.equal(readFileSync(file, "utf8"), before);
    });

    it("a missing file is no entries", async () => {
      const file = join(work, "nope", "known_hosts");
      assertError(await check({ knownHostsPath: file }), "ERR_HOST_KEY_UNKNOWN", file);
      assert.ok(!existsSync(join(work, "nope")));
    });

    it("acceptNew appends a line that ssh-keygen -F finds, once", async () => {
      const before = `# my hosts\nother.example ${rsa.type} ${rsa.base64}\n`;
      const file = knownHosts(before);
      const first = await check({ knownHostsPath: file, acceptNew: true });
      assertOk(first, true);
      const line = `[127.0.0.1]:2222 ${ed.type} ${ed.base64}\n`;
      assert.equal(readFileSync(file, "utf8"), before + line);

      const found = spawnSync("ssh-keygen", ["-F", "[127.0.0.1]:2222", "-f", file], { encoding: "utf8" });
      assert.equal(found.status, 0, found.stderr);
      assert.ok(found.stdout.includes(`${ed.type} ${ed.base64}`), found.stdout);

      assertOk(await check({ knownHostsPath: file, acceptNew: true }));
      assertOk(await check({ knownHostsPath: file }));
      assert.equal(readFileSync(file, "utf8"), before + line);
    });

    it("acceptNew creates the directory (0700) and the file (0600)", async () => {
      const dir = join(work, "home", ".ssh");
      const file = join(dir, "known_hosts");
      assertOk(await check({ host: "sftp.example.org", port: 22, knownHostsPath: file, acceptNew: true }), true);
      assert.equal(readFileSync(file, "utf8"), `sftp.example.org ${ed.type} ${ed.base64}\n`);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(file).mode & 0o777, 0o600);
    });

    it("ends a file that lacks a final newline before appending", async () => {
      const before = `other.example ${rsa.type} ${rsa.base64}`;
      const file = knownHosts(before);
      assertOk(await check({ knownHostsPath: file, acceptNew: true }), true);
      assert.equal(readFileSync(file, "utf8"), `${before}\n[127.0.0.1]:2222 ${ed.type} ${ed.base64}\n`);
      const found = spawnSync("ssh-keygen", ["-F", "other.example", "-f", file], { encoding: "utf8" });
      assert.equal(found.status, 0, found.stderr);
    });

    it("an empty file gets no leading newline", async () => {
      const file = knownHosts("");
      assertOk(await check({ knownHostsPath: file, acceptNew: true }), true);
      assert.equal(readFileSync(file, "utf8"), `[127.0.0.1]:2222 ${ed.type} ${ed.base64}\n`);
    });

    it("parallel checks with acceptNew append the host once", async () => {
      const file = knownHosts("");
      const decisions = await Promise.all([1, 2, 3, 4].map(() => check({ knownHostsPath: file, acceptNew: true })));
      assert.equal(decisions.filter((d) => d.ok && d.added).length, 1);
      assert.ok(decisions.every((d) => d.ok));
      assert.equal(readFileSync(file, "utf8"), `[127.0.0.1]:2222 ${ed.type} ${ed.base64}\n`);
    });
  });

  describe("changed and revoked keys", () => {
    it("a different key of the same type is CHANGED, even with acceptNew, and the file is left alone", async () => {
      const before = `# first\n\n[127.0.0.1]:2222 ${ed2.type} ${ed2.base64}\n`;
      const file = knownHosts(before);
      for (const acceptNew of [false, true]) {
        const error = assertError(await check({ knownHostsPath: file, acceptNew }), "ERR_HOST_KEY_CHANGED", file);
        assert.equal(
          error.message,
          `host key for [127.0.0.1]:2222 has CHANGED (the server offers ssh-ed25519 ${fingerprintOf(ed.blob)}; ${file} line 3 has a different key): possible man-in-the-middle attack`,
        );
        assert.match(error.hint, /ssh-keygen -R/);
      }
      assert.equal(readFileSync(file, "utf8"), before);
    });

    it("a known key of another type only is CHANGED too", async () => {
      const before = `[127.0.0.1]:2222 ${rsa.type} ${rsa.base64}\n`;
      const file = knownHosts(before);
      const error = assertError(await check({ knownHostsPath: file, acceptNew: true }), "ERR_HOST_KEY_CHANGED", file);
      assert.match(error.message, /line 1 has a different key of another type \(ssh-rsa SHA256:/);
      assert.equal(readFileSync(file, "utf8"), before);
    });

    it("the presented key on any matching line wins over other keys for the host", async () => {
      const file = knownHosts(`[127.0.0.1]:2222 ${rsa.type} ${rsa.base64}\n*:2222 ${ed2.type} ${ed2.base64}\n[127.0.0.1]:* ${ed.type} ${ed.base64}\n`);
      assertOk(await check({ knownHostsPath: file }));
    });

    it("a matching @revoked line with the presented key is REVOKED, even next to a plain entry", async () => {
      const before = `[127.0.0.1]:2222 ${ed.type} ${ed.base64}\n@revoked * ${ed.type} ${ed.base64}\n`;
      const file = knownHosts(before);
      const error = assertError(await check({ knownHostsPath: file, acceptNew: true }), "ERR_HOST_KEY_REVOKED", file);
      assert.match(error.message, /is REVOKED .* line 2 marks it @revoked/);
      assert.equal(readFileSync(file, "utf8"), before);
    });

    it("a @revoked line for another key or another host does not get in the way", async () => {
      const file = knownHosts(`@revoked * ${ed2.type} ${ed2.base64}\n@revoked other.example ${ed.type} ${ed.base64}\n[127.0.0.1]:2222 ${ed.type} ${ed.base64}\n`);
      assertOk(await check({ knownHostsPath: file }));
      const lonely = knownHosts(`@revoked * ${ed2.type} ${ed2.base64}\n`);
      assertError(await check({ knownHostsPath: lonely }), "ERR_HOST_KEY_UNKNOWN", lonely);
    });

    it("a @cert-authority line is not a host key", async () => {
      const file = knownHosts(`@cert-authority [127.0.0.1]:2222 ${ed.type} ${ed.base64}\n`);
      assertError(await check({ knownHostsPath: file }), "ERR_HOST_KEY_UNKNOWN", file);
      // ...and a CA of another key does not make the host's key CHANGED.
      const other = knownHosts(`@cert-authority * ${ed2.type} ${ed2.base64}\n`);
      assertOk(await check({ knownHostsPath: other, acceptNew: true }), true);
    });
  });

  describe("file contents and access", () => {
    it("skips comments, blank and malformed lines", async () => {
      const lines = [
        "# a comment",
        "",
        "   \t ",
        "   # an indented comment",
        "garbage",
        `[127.0.0.1]:2222 ${ed2.type}`,
        `[127.0.0.1]:2222 ${ed2.type} not*base64!`,
        `[127.0.0.1]:2222 ${rsa.type} ${ed2.base64}`,
        `@bogus [127.0.0.1]:2222 ${ed2.type} ${ed2.base64}`,
        `@revoked @revoked [127.0.0.1]:2222 ${ed.type} ${ed.base64}`,
        `|1|bad|hash ${ed2.type} ${ed2.base64}`,
        `[127.0.0.1]:2222 ${ed2.type} ${Buffer.from("junk").toString("base64")}`,
      ];
      const file = knownHosts(`${lines.join("\n")}\n`);
      // None of them is a key for the host, so it is unknown rather than CHANGED or REVOKED...
      assertError(await check({ knownHostsPath: file }), "ERR_HOST_KEY_UNKNOWN", file);
      // ...and a good line after them is found.
      const good = knownHosts(`${lines.join("\n")}\n  [127.0.0.1]:2222\t${ed.type}   ${ed.base64} a comment with spaces\r\n`);
      assertOk(await check({ knownHostsPath: good }));
    });

    it("a known_hosts path that is a directory is ERR_CONFIG naming the file", async () => {
      const dir = join(work, "known_hosts.d");
      mkdirSync(dir);
      const asDir = await check({ knownHostsPath: dir });
      assert.ok(!asDir.ok);
      assert.equal(asDir.error.code, "ERR_CONFIG");
      assert.equal(asDir.error.path, dir);
      assert.ok(asDir.error.message.includes(dir));
    });

    it("a file without read permission is ERR_CONFIG naming the file", async function () {
      if (process.getuid?.() === 0) this.skip(); // root reads a mode-000 file anyway
      const file = knownHosts(`[127.0.0.1]:2222 ${ed.type} ${ed.base64}\n`);
      chmodSync(file, 0o000);
      const decision = await check({ knownHostsPath: file });
      assert.ok(!decision.ok);
      assert.equal(decision.error.code, "ERR_CONFIG");
      assert.match(decision.error.message, /EACCES/);
      assert.ok(decision.error.message.includes(file));
    });
  });
});
