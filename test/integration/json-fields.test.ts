// The `--json` fields docs/reference.md lists (src/cli/json-fields.ts) against what the real CLI
// prints (issue 20, part 3): every field seen in a sample is in the table, and every field in the
// table was seen in some sample (or names, in `onlyWhen`, why no local test can make it). The
// samples are real runs against local-directory targets: a plan, promotions that succeed, are
// refused, stopped by a hook or cut short (MAVEN_PROMOTE_STOP_AT, never a sleep), groups of two,
// recoveries, status, cleanup, unlock, config and an error.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from "node:net";
import { join } from "node:path";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { JSON_OUTPUTS, type JsonOutput, type JsonOutputName } from "../../src/cli/json-fields.js";
import { runCliProcess } from "../helpers/cli.js";
import { continueStopped, spawnCli, stopAtMatcher } from "../helpers/cli-process.js";
import { copyRepoFixture, makeTempDir, removeTempDirs } from "../helpers/temp-repos.js";

const METADATA = "org/example/hello/maven-metadata.xml";
const SNAPSHOT_POM = "org/example/snap/2.0-SNAPSHOT/snap-2.0-20261122.090000-4.pom";
const FOREIGN_LOCK = {
  id: "20261121T090000Z-dead",
  user: "ci",
  host: "runner-4",
  pid: 4242,
  pidStart: "boot:1234",
  start: "2026-11-21T09:00:00.000Z",
  expiry: "2026-11-21T10:00:00.000Z",
  beat: 17,
};

/**
 * Every key path of a JSON value: arrays as `[]`, and the keys of a map the table names with a
 * placeholder (`settings.<option>`) as that placeholder. Every object's own path is listed too,
 * so a field that is null in one sample and an object in another is one path.
 */
export function keyPaths(value: unknown, placeholders: ReadonlyMap<string, string>, prefix = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => keyPaths(item, placeholders, `${prefix}[]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const placeholder = placeholders.get(prefix);
    const path = `${prefix === "" ? "" : `${prefix}.`}${placeholder ?? key}`;
    return [path, ...keyPaths(child, placeholders, path)];
  });
}

/** `settings.<option>.source` → `settings` holds `<option>` keys. */
function placeholdersOf(paths: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const path of paths) {
    const segments = path.split(".");
    segments.forEach((segment, index) => {
      if (/^<[^>]+>(\[\])?$/.test(segment)) found.set(segments.slice(0, index).join("."), segment.replace(/\[\]$/, ""));
    });
  }
  return found;
}

/** A static server for --public-url: `/stale/` serves the target as it was before the promotion, with every cache header. */
async function startStaleServer(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname).replace(/^\/stale\//, "");
    try {
      const body = readFileSync(join(root, path));
      response.writeHead(200, { "cache-control": "max-age=60", age: "5", "last-modified": "Sun, 01 Mar 2026 12:00:00 GMT", etag: '"stale"', "x-cache": "HIT" });
      response.end(request.method === "HEAD" ? undefined : body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/stale/` };
}

/**
 * A URL that cannot be read: a server that drops every connection as it opens (a port just let
 * go of could be taken by another process meanwhile; this one stays ours until the end).
 */
async function droppingUrl(): Promise<{ server: NetServer; url: string }> {
  const server = createNetServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe("integration: every --json field is in the reference's table, and every field there is printed", function () {
  this.timeout(300_000);
  const samples = new Map<JsonOutputName, unknown[]>();
  let example: { staging: string; target: string };
  let stale: { server: Server; url: string };
  let dropping: { server: NetServer; url: string };
  let unreachable: string;
  let policyFile: string;

  const sample = (name: JsonOutputName, stdout: string): Record<string, unknown> => {
    const json = JSON.parse(stdout) as Record<string, unknown>;
    samples.set(name, [...(samples.get(name) ?? []), json]);
    return json;
  };
  const freshTarget = (): string => {
    const dir = join(makeTempDir(), "target");
    cpSync(example.target, dir, { recursive: true });
    return dir;
  };
  /** A stage whose jar's .sha1 is wrong: every plan of it is refused. */
  const badStage = (): string => {
    const dir = join(makeTempDir(), "staging");
    cpSync(example.staging, dir, { recursive: true });
    writeFileSync(join(dir, "org/example/hello/1.2.0/hello-1.2.0.jar.sha1"), "0".repeat(40));
    return dir;
  };
  const run = async (name: JsonOutputName, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>> => {
    const result = await runCliProcess([...args, "--json"], env);
    assert.ok(result.stdout !== "", `${args.join(" ")}: no stdout (exit ${result.code}): ${result.stderr}`);
    return sample(name, result.stdout);
  };
  /** A promotion stopped (SIGSTOP) right after `stopAt`; the caller kills or continues it. */
  const stopped = async (args: string[], stopAt: string) => {
    const cli = spawnCli(["promote", "--from", example.staging, ...args], { MAVEN_PROMOTE_STOP_AT: stopAt });
    const id = String((await cli.waitForEvent((event) => event.type === "lock:acquired")).id);
    await cli.waitForEvent(stopAtMatcher(stopAt));
    return { cli, id };
  };
  const killed = async (args: string[], stopAt: string): Promise<string> => {
    const { cli, id } = await stopped(args, stopAt);
    cli.child.kill("SIGKILL");
    await cli.exited;
    return id;
  };

  before(async () => {
    example = writeExampleRepositories(makeTempDir());
    stale = await startStaleServer(example.target);
    dropping = await droppingUrl();
    unreachable = dropping.url;
    // Maven Central's policy with the javadoc rule a warning: the example has no javadoc jar.
    policyFile = join(makeTempDir(), "policy.json");
    writeFileSync(policyFile, JSON.stringify({ extends: "central", rules: { "central/javadoc": "warning", "central/signature": "off" } }));

    // plan: one that can proceed, one refused by a policy, a SNAPSHOT update, a plugin, a stage already on the target.
    const from = ["--from", example.staging];
    await run("plan", ["plan", ...from, "--to", freshTarget()]);
    await run("plan", ["plan", "--from", badStage(), "--to", freshTarget(), "--policy", "central"]);
    await run("plan", ["plan", ...from, "--to", freshTarget(), "--policy", policyFile]);
    const plugin = copyRepoFixture("plugin");
    await run("plan", ["plan", "--from", plugin.staging, "--to", plugin.target]);
    // A SNAPSHOT update whose staged POM is on the target already, with other bytes: it is replaced.
    const snapshot = copyRepoFixture("snapshot");
    writeFileSync(join(snapshot.target, SNAPSHOT_POM), "<project>before</project>\n");
    await run("plan", ["plan", "--from", snapshot.staging, "--to", snapshot.target]);
    const again = freshTarget();
    await run("promote", ["promote", ...from, "--to", again]);
    await run("plan", ["plan", ...from, "--to", again]);

    // promote: a success whose after-commit hook fails and whose public URL serves the release before;
    // one whose public URL cannot be read; one a hook stops; a refusal; a dry run.
    const promoted = freshTarget();
    const first = await run("promote", ["promote", ...from, "--to", promoted, "--hook", "after-commit=exit 2", "--public-url", stale.url]);
    await run("promote", ["promote", ...from, "--to", freshTarget(), "--public-url", unreachable]);
    const hooked = freshTarget();
    await run("promote", ["promote", ...from, "--to", hooked, "--hook", "before-commit=exit 3"]);
    await run("promote", ["promote", "--from", badStage(), "--to", freshTarget()]);
    await run("promote", ["promote", ...from, "--to", freshTarget(), "--dry-run"]);

    // groups of two local targets: a success (public URLs stale and unreadable), a refusal, a
    // dry run, and one whose second commit fails (its metadata changed while the first committed).
    const pair = (): string[] => [freshTarget(), freshTarget()].sort();
    const toArgs = (dirs: readonly string[]): string[] => dirs.flatMap((dir) => ["--to", dir]);
    const group = pair();
    const committedGroup = await run("promote-group", ["promote", ...from, ...toArgs(group), "--public-url", stale.url, "--public-url", unreachable]);
    await run("promote-group", ["promote", "--from", badStage(), ...toArgs(pair()), "--policy", "central"]);
    await run("promote-group-dry-run", ["promote", ...from, ...toArgs(pair()), "--dry-run"]);
    await run("promote-group-dry-run", ["promote", "--from", badStage(), ...toArgs(pair()), "--dry-run"]);
    const failing = pair();
    const { cli } = await stopped([...toArgs(failing), "--json"], "commit:step:0");
    writeFileSync(join(failing[1]!, METADATA), readFileSync(join(failing[1]!, METADATA), "utf8") + "<!-- changed outside the lock -->\n");
    await continueStopped(cli.child.pid!);
    sample("promote-group", (await cli.exited).stdout);

    // verify: a good target (its public URL stale, then unreadable) and one whose metadata checksum is wrong.
    await run("verify", ["verify", "--to", promoted, "--public-url", stale.url]);
    await run("verify", ["verify", "--to", promoted, "--public-url", unreachable]);
    const broken = freshTarget();
    writeFileSync(join(broken, `${METADATA}.sha1`), "0".repeat(40));
    await run("verify", ["verify", "--to", broken]);

    // check: a stage that passes, and a bad one under Maven Central's policy.
    await run("check", ["check", ...from]);
    await run("check", ["check", "--from", badStage(), "--policy", "central"]);
    await run("check", ["check", ...from, "--policy", policyFile]);

    // status, unlock, resume: a promotion held stopped after its upload (the lock held, a journal
    // without an end), then killed; unlock breaks its lock, resume finishes it.
    const recovering = freshTarget();
    const { cli: held, id: heldId } = await stopped(["--to", recovering], "phase:end:upload");
    mkdirSync(join(promoted, ".maven-promote", "not-a-promotion"), { recursive: true });
    await run("status", ["status", "--to", recovering]);
    held.child.kill("SIGKILL");
    await held.exited;
    await run("status", ["status", "--to", promoted]);
    await run("status", ["status", "--to", hooked]);
    await run("status", ["status", "--to", group[0]!]);
    await run("status", ["status", "--to", failing[1]!]);
    await run("unlock", ["unlock", "--to", recovering, "--force"]);
    await run("unlock", ["unlock", "--to", recovering, "--force"]);
    // A lock from another machine, with a heartbeat (a live holder rewrites it every 2 s).
    const foreign = freshTarget();
    mkdirSync(join(foreign, ".maven-promote"));
    writeFileSync(join(foreign, ".maven-promote", "lock"), JSON.stringify(FOREIGN_LOCK));
    await run("status", ["status", "--to", foreign]);
    await run("unlock", ["unlock", "--to", foreign, "--force"]);
    await run("resume", ["resume", heldId, "--to", recovering]);
    const groupHeld = pair();
    const groupId = await killed(toArgs(groupHeld), "commit:step:0");
    await run("resume-group", ["resume", groupId, ...toArgs(groupHeld)]);

    // rollback: a promotion and a group, both committed.
    await run("rollback", ["rollback", String(first.id), "--to", promoted]);
    await run("rollback-group", ["rollback", String(committedGroup.id), ...toArgs(group)]);

    // cleanup: a promotion cut short (refused while its lock is held, then removed), and records kept for their age.
    const cut = freshTarget();
    await killed(["--to", cut], "phase:end:upload");
    await run("error", ["cleanup", "--to", cut]);
    await runCliProcess(["unlock", "--to", cut, "--force"]);
    await run("cleanup", ["cleanup", "--to", cut, "--older-than", "0s"]);
    await run("cleanup", ["cleanup", "--to", promoted, "--dry-run", "--scan"]); // its records are younger than 24 h: kept

    await run("config", ["config", "--command", "promote"], { MAVEN_PROMOTE_METADATA_MODE: "computed" });
    await run("error", ["plan", "--from", join(makeTempDir(), "missing"), "--to", freshTarget()]);
    await run("error", ["promote", "--from"]);
  });

  after(async () => {
    await new Promise<void>((resolve) => stale?.server.close(() => resolve()));
    await new Promise<void>((resolve) => dropping?.server.close(() => resolve()));
    removeTempDirs();
  });

  /** The paths printed in the samples of an output. */
  const observedIn = (output: JsonOutput): Set<string> => {
    const placeholders = placeholdersOf(output.fields.map((field) => field.path));
    return new Set((samples.get(output.name) ?? []).flatMap((json) => keyPaths(json, placeholders)));
  };
  /** `plan:errors[].rule`, … for every field of a shared shape that some output printed. */
  const shapesSeen = (): Set<string> => {
    const seen = new Set<string>();
    for (const output of JSON_OUTPUTS) {
      const observed = observedIn(output);
      for (const { path, shape } of output.fields) if (shape !== undefined && observed.has(path)) seen.add(`${shape.name}:${shape.path}`);
    }
    return seen;
  };

  for (const output of JSON_OUTPUTS) {
    const listed = output.fields.map((field) => field.path);
    const observed = (): Set<string> => observedIn(output);

    it(`${output.name}: every field printed is in the table`, () => {
      assert.ok((samples.get(output.name) ?? []).length > 0, `no sample of ${output.name}`);
      const missing = [...observed()].filter((path) => !listed.includes(path));
      assert.deepEqual(missing, [], `${output.name} prints fields src/cli/json-fields.ts does not list`);
    });

    it(`${output.name}: every field in the table is printed by some sample (or says why it cannot be)`, () => {
      const seen = observed();
      const seenInShapes = shapesSeen();
      const unseen = output.fields
        .filter((field) => field.onlyWhen === undefined && !seen.has(field.path) && !(field.shape !== undefined && seenInShapes.has(`${field.shape.name}:${field.shape.path}`)))
        .map((field) => field.path);
      assert.deepEqual(unseen, [], `${output.name}: fields listed in src/cli/json-fields.ts that no sample printed`);
    });
  }
});
