// ~/.ssh/config resolution against the oracle, OpenSSH itself: for each config and host, what
// resolveSshConfig says equals what `ssh -G` prints for the keywords maven-promote uses.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { isPromoteError } from "../../src/errors.js";
import { resolveSshConfig, type ResolvedSshConfig, type SshConfigQuery } from "../../src/connect/ssh-config.js";
import { makeTempDir, removeTempDirs } from "../helpers/temp-repos.js";

const KEYWORDS = ["hostname", "port", "user", "identityfile", "identitiesonly", "identityagent", "userknownhostsfile", "stricthostkeychecking", "connecttimeout", "serveraliveinterval", "serveralivecountmax", "proxyjump"];

/** `ssh -G`'s answer, keyword -> values (identityfile has one line each). */
function openssh(config: string, query: SshConfigQuery): Map<string, string[]> {
  const args = ["-G", "-F", config];
  if (query.port !== undefined) args.push("-p", String(query.port));
  args.push(query.user === undefined ? query.host : `${query.user}@${query.host}`);
  const output = execFileSync("ssh", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const values = new Map<string, string[]>();
  for (const line of output.split("\n")) {
    const space = line.indexOf(" ");
    const keyword = line.slice(0, space);
    if (KEYWORDS.includes(keyword)) values.set(keyword, [...(values.get(keyword) ?? []), line.slice(space + 1)]);
  }
  return values;
}

/** Ours, printed as `ssh -G` prints it (OpenSSH's defaults where the config says nothing). */
function ours(resolved: ResolvedSshConfig, openSshDefaults: Map<string, string[]>): Map<string, string[]> {
  const values = new Map<string, string[]>([
    ["hostname", [resolved.hostname]],
    ["port", [String(resolved.port)]],
    ["user", [resolved.user]],
    ["identitiesonly", [resolved.identitiesOnly ? "yes" : "no"]],
    ["stricthostkeychecking", [{ yes: "true", no: "false", "accept-new": "accept-new", ask: "ask" }[resolved.strictHostKeyChecking ?? "ask"]]],
    ["connecttimeout", [resolved.connectTimeoutSeconds === undefined ? "none" : String(resolved.connectTimeoutSeconds)]],
    ["serveraliveinterval", [String(resolved.serverAliveIntervalSeconds ?? 0)]],
    ["serveralivecountmax", [String(resolved.serverAliveCountMax ?? 3)]],
  ]);
  values.set("identityfile", resolved.identityFilesAsWritten.length > 0 ? resolved.identityFilesAsWritten : openSshDefaults.get("identityfile")!);
  values.set("userknownhostsfile", [resolved.userKnownHostsFiles?.join(" ") ?? `${homedir()}/.ssh/known_hosts ${homedir()}/.ssh/known_hosts2`]);
  if (resolved.identityAgent !== undefined) values.set("identityagent", [resolved.identityAgent]);
  if (resolved.proxyJump !== undefined) values.set("proxyjump", [resolved.proxyJump]);
  return values;
}

const sorted = (map: Map<string, string[]>): Array<[string, string[]]> => [...map].sort(([a], [b]) => a.localeCompare(b));

describe("integration: ~/.ssh/config resolved as `ssh -G` resolves it", function () {
  before(function () {
    if (spawnSync("ssh", ["-V"]).status !== 0) {
      console.warn("    SKIPPED: no `ssh` client (run `bash scripts/install-test-deps.sh`)");
      this.skip();
    }
  });
  afterEach(removeTempDirs);

  function writeConfigs(): { main: string; matches: string } {
    const dir = makeTempDir();
    mkdirSync(join(dir, "inc"));
    const main = join(dir, "config");
    writeFileSync(
      main,
      `# defaults before any Host apply everywhere
ConnectTimeout=7
Host jump bastion
  HostName bastion.example.org
  User ops
Host repo !repo-old
  HostName %h.internal
  Port 2222
  IdentityFile ~/.ssh/id_%r@%h
  IdentityFile "/keys/with space/%u_%p"
Include ${dir}/inc/*.conf
Match host *.internal user deploy
  ServerAliveInterval 30
  ServerAliveCountMax 5
Match originalhost repo
  User deploy
  IdentitiesOnly yes
  StrictHostKeyChecking accept-new
  UserKnownHostsFile /kh/%h %d/kh2
Host *
  User fallback
  ProxyJump jump,ops@bastion:2200
  IdentityAgent ~/agent.sock
`,
    );
    writeFileSync(join(dir, "inc/10-a.conf"), "Host repo\n  ServerAliveInterval 15\n");
    writeFileSync(join(dir, "inc/20-b.conf"), "Host other\n  Port 2022\n  StrictHostKeyChecking yes\n");
    const matches = join(dir, "matches");
    // Match host sees the HostName set so far, Match user the User set so far.
    writeFileSync(
      matches,
      `Host alpha
  User carol
Match user carol
  Port 1111
Match host real.example
  Port 3333
Host beta
  HostName real.example
Match !host real.example originalhost beta
  Port 4444
Match host real.example
  ServerAliveInterval 9
Host *
  Port 5555
`,
    );
    return { main, matches };
  }

  const cases: Array<{ config: "main" | "matches"; query: SshConfigQuery }> = [
    { config: "main", query: { host: "repo" } },
    { config: "main", query: { host: "repo", user: "deploy", port: 2300 } },
    { config: "main", query: { host: "repo-old" } },
    { config: "main", query: { host: "other" } },
    { config: "main", query: { host: "jump" } },
    { config: "main", query: { host: "BASTION" } },
    { config: "matches", query: { host: "alpha" } },
    { config: "matches", query: { host: "beta" } },
    { config: "matches", query: { host: "gamma", user: "carol" } },
  ];
  for (const { config, query } of cases) {
    it(`${config}: ${query.user ? `${query.user}@` : ""}${query.host}${query.port ? ` -p ${query.port}` : ""}`, () => {
      const files = writeConfigs();
      const want = openssh(files[config], query);
      assert.deepEqual(sorted(ours(resolveSshConfig(files[config], query), want)), sorted(want));
    });
  }

  it("expands ~ and %d %h %p %r %u %% in IdentityFile (OpenSSH expands them when it loads the key)", () => {
    const { main } = writeConfigs();
    const resolved = resolveSshConfig(main, { host: "repo" });
    const local = execFileSync("id", ["-un"], { encoding: "utf8" }).trim();
    assert.deepEqual(resolved.identityFiles, [`${homedir()}/.ssh/id_deploy@repo.internal`, `/keys/with space/${local}_2222`]);
  });

  it("a malformed config and an unsupported Match give one line naming the file and line", () => {
    const dir = makeTempDir();
    const bad = join(dir, "bad");
    writeFileSync(bad, "Host x\n  Port seventy\n");
    const error = (path: string): string => {
      try {
        resolveSshConfig(path, { host: "x" });
      } catch (caught) {
        assert.ok(isPromoteError(caught));
        return caught.message;
      }
      return "no error";
    };
    assert.equal(error(bad), `${bad}:2: port seventy: expected a port number`);
    writeFileSync(bad, "Match exec \"true\"\n  Port 22\n");
    assert.match(error(bad), new RegExp(`^${bad}:1: Match exec is not supported`));
    writeFileSync(bad, 'Host x\n  IdentityFile "unterminated\n');
    assert.equal(error(bad), `${bad}:2: unbalanced quotes`);
  });
});
