// The docs are tested like code (issue 20, part 5). What this proves:
// - every relative link of README.md and docs/ leads to a file, and to a heading that exists;
// - every `maven-promote COMMAND --option` written in any of their code blocks (shell, YAML,
//   Groovy, transcripts) names a command and options the CLI has: a guide cannot show an option
//   that was renamed or never existed; nor can the user guides' prose and tables;
// - every block marked ```sh runnable``` runs, in the order of its page, in a fresh directory
//   with `./staging` (the bundled example stage) and an SFTP target on a real sshd reached as
//   `sftp://repo.example.org/srv/maven/…` through ~/.ssh/config, as the guides say; it must exit
//   0, or N when marked `exit=N`. The only rewrite is the target's path: /srv/ lives in the
//   test's own directory. So a guide's example never lies.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { buildProgram } from "../../src/cli/program.js";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { codeBlocks, commandLines, headingAnchors, prose, relativeLinks, type CodeBlock } from "../helpers/markdown.js";
import { cliPath, projectRoot } from "../helpers/paths.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { makeTempDir, removeTempDirs } from "../helpers/temp-repos.js";

const run = promisify(execFile);

/** The pages users read: the README and every page of docs/. */
function pages(): Map<string, string> {
  const docs = readdirSync(join(projectRoot, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`);
  return new Map(["README.md", ...docs].map((page) => [page, readFileSync(join(projectRoot, page), "utf8")]));
}

/** How many runnable blocks each guide must have at least (a guide whose examples vanished fails). */
/** The pages whose prose names the CLI's options (the others also name the scripts' options). */
const USER_GUIDES = ["README.md", "docs/release-manager.md", "docs/ci.md", "docs/cleanup.md", "docs/configuration.md", "docs/library.md"];

const RUNNABLE_AT_LEAST: Record<string, number> = { "README.md": 3, "docs/release-manager.md": 5, "docs/ci.md": 1, "docs/cleanup.md": 2 };

function runnable(block: CodeBlock): boolean {
  return block.language === "sh" && block.words.includes("runnable");
}

function expectedExit(block: CodeBlock): number {
  const word = block.words.find((candidate) => candidate.startsWith("exit="));
  return word === undefined ? 0 : Number(word.slice("exit=".length));
}

describe("the docs", function () {
  const all = pages();

  it("every relative link leads to a file and a heading that exist", () => {
    const problems: string[] = [];
    for (const [page, markdown] of all) {
      for (const link of relativeLinks(markdown)) {
        const [path = "", anchor] = link.target.split("#");
        const file = path === "" ? join(projectRoot, page) : resolve(dirname(join(projectRoot, page)), path);
        if (!existsSync(file)) problems.push(`${page}:${link.line}: ${link.target}: no such file`);
        else if (anchor !== undefined && !headingAnchors(readFileSync(file, "utf8")).has(anchor)) problems.push(`${page}:${link.line}: ${link.target}: no such heading in ${relative(projectRoot, file)}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("every maven-promote command line in a code block uses a command and options the CLI has", () => {
    const program = buildProgram({ stdout: () => {}, stderr: () => {}, env: {}, isTty: false }, () => {});
    const problems: string[] = [];
    let checked = 0;
    for (const [page, markdown] of all) {
      // The generated reference is checked against the program by its own test.
      if (page === "docs/reference.md") continue;
      for (const block of codeBlocks(page, markdown)) {
        for (const line of commandLines(block)) {
          if (line.command === "--help" || line.command === "--version") {
            checked++;
            continue;
          }
          const command = program.commands.find((candidate) => candidate.name() === line.command);
          if (command === undefined) {
            problems.push(`${page}:${line.line}: no command "${line.command}": ${line.text.trim()}`);
            continue;
          }
          const known = new Set(command.options.map((option) => option.long));
          for (const option of line.options) if (!known.has(option)) problems.push(`${page}:${line.line}: ${line.command} has no option ${option}`);
          checked++;
        }
      }
    }
    assert.deepEqual(problems, []);
    // The guides show dozens of commands; far fewer means the extraction broke, not that all is well.
    assert.ok(checked >= 40, `only ${checked} command lines found`);
  });

  it("every --option named in the user guides' prose is an option the CLI has", () => {
    const program = buildProgram({ stdout: () => {}, stderr: () => {}, env: {}, isTty: false }, () => {});
    const known = new Set(program.commands.flatMap((command) => command.options.map((option) => option.long)));
    const problems: string[] = [];
    let checked = 0;
    for (const page of USER_GUIDES) {
      prose(all.get(page) ?? "")
        .split("\n")
        .forEach((line, index) => {
          // A code span that starts with another program (`mvn --encrypt-password`) is its own.
          for (const span of line.matchAll(/`([^`]+)`/g)) {
            if (!/^(--|maven-promote )/.test(span[1]!)) continue;
            for (const option of span[1]!.matchAll(/(?:^|[\s[|(])(--[a-z][a-z0-9-]*)/g)) {
              checked++;
              if (!known.has(option[1]!)) problems.push(`${page}:${index + 1}: ${option[1]} in ${span[0]}`);
            }
          }
        });
    }
    assert.deepEqual(problems, []);
    assert.ok(checked >= 100, `only ${checked} options found in the guides' prose`);
  });

  it("each guide keeps its runnable examples", () => {
    for (const [page, least] of Object.entries(RUNNABLE_AT_LEAST)) {
      const count = codeBlocks(page, all.get(page) ?? "").filter(runnable).length;
      assert.ok(count >= least, `${page}: ${count} runnable blocks, expected at least ${least}`);
    }
  });

  it("the README's first command (npm run demo) promotes the bundled example and verifies it", async () => {
    const { stdout } = await run(process.execPath, [join(projectRoot, "dist", "scripts", "demo.js"), makeTempDir()]);
    assert.match(stdout, /Now live:\s+org\.example:hello\s+1\.2\.0/);
    assert.match(stdout, /OK: 1 metadata file, 3 listed versions checked\./);
  });

  describe("runnable examples, against a real sshd", function () {
    this.timeout(600_000);
    let server: SshServer;
    let home: string;
    let bin: string;

    before(async function () {
      skipWithoutSshd(this);
      server = await startSshd();
      home = makeTempDir();
      // ~/.ssh/config, as a user of the guides would have it: repo.example.org is this sshd.
      mkdirSync(join(home, ".ssh"), { mode: 0o700 });
      cpSync(server.clientKeyPath, join(home, ".ssh", "deploy_ed25519"));
      chmodSync(join(home, ".ssh", "deploy_ed25519"), 0o600);
      writeFileSync(join(home, ".ssh", "known_hosts"), `[127.0.0.1]:${server.port} ${server.hostPublicKeyLine}\n`);
      writeFileSync(
        join(home, ".ssh", "config"),
        ["Host repo.example.org", "  HostName 127.0.0.1", `  Port ${server.port}`, `  User ${server.user}`, "  IdentityFile ~/.ssh/deploy_ed25519", "  UserKnownHostsFile ~/.ssh/known_hosts", ""].join("\n"),
      );
      // `maven-promote` on the PATH, as `npm install -g .` puts it.
      bin = makeTempDir();
      writeFileSync(join(bin, "maven-promote"), `#!/bin/sh\nexec "${process.execPath}" "${cliPath}" "$@"\n`, { mode: 0o755 });
    });

    after(async () => {
      await server?.stop();
      removeTempDirs();
    });

    for (const [page, markdown] of pages()) {
      const blocks = codeBlocks(page, markdown).filter(runnable);
      if (blocks.length === 0) continue;
      it(`${page}: ${blocks.length} runnable block(s), in order`, async () => {
        const work = makeTempDir();
        const { target } = writeExampleRepositories(work);
        mkdirSync(join(work, "srv", "maven"), { recursive: true });
        cpSync(target, join(work, "srv", "maven", "mirror"), { recursive: true });
        renameSync(target, join(work, "srv", "maven", "releases"));
        for (const block of blocks) {
          const script = block.text.replaceAll("sftp://repo.example.org/srv/", `sftp://repo.example.org${work}/srv/`);
          const result = await runBlock(script, work, { PATH: `${bin}:${process.env.PATH}`, HOME: home });
          assert.equal(result.code, expectedExit(block), `${page}:${block.line} exited ${result.code}:\n${block.text}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
        }
      });
    }
  });
});

async function runBlock(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("bash", ["-e", "-o", "pipefail", "-c", script], { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
