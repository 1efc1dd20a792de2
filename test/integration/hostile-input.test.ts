// Hostile input, end to end: the real `maven-promote promote` in a child process, fed staging
// repositories (and a few targets) built to break it: entity bombs, path traversal through
// metadata, names holding shell syntax or control characters, links out of the stage, forged
// checksums and signatures, re-staged releases. Every case must be refused with
//   (1) a non-zero exit code (1 validation, 2 usage/configuration),
//   (2) one clear line naming the file at fault and its ERR_ code,
//   (3) no stack trace,
//   (4) a target that is byte-identical afterwards (no `.maven-promote/` either),
//   (5) for names holding shell syntax: no file named PWNED* anywhere (stage, target, the CLI's
//       working directory, /tmp, $HOME, /): nothing is ever executed from a name.
// A handful of cases run again against a real sshd (SFTP target, and SFTP stage) to show the
// SFTP path refuses them the same way.
//
// Every case is its own `it`. To keep the file fast, the CLI runs of one describe are started
// together in its `before` (one more at a time than there are CPUs) and each `it` checks its own
// run; every measurement (fingerprints, PWNED search) is taken inside that run's task, and each
// shell-syntax case looks for its own PWNED name, so a finding is never blamed on another case.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { availableParallelism, homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as openpgp from "openpgp";
import { runCliProcess, type CliResult } from "../helpers/cli.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { copyRepoFixture, makeTempDir, removeTempDirs, treeFingerprint } from "../helpers/temp-repos.js";

// --- repositories and their files ---------------------------------------------------------

interface Repos {
  root: string;
  staging: string;
  target: string;
}

const V = "org/example/demo/1.2"; // the basic fixture's staged version directory
const META = "org/example/demo/maven-metadata.xml";
const PLUGIN_GROUP_META = "org/example/plugins/maven-metadata.xml";
const SNAPSHOT_META = "org/example/snap/2.0-SNAPSHOT/maven-metadata.xml";
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';

function put(base: string, path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(join(base, path)), { recursive: true });
  writeFileSync(join(base, path), content);
}

/** Writes a file and rewrites the .md5/.sha1 beside it (when there are any), so that only the
 * content itself is wrong and the check under test is the one that has to catch it. */
function putWithChecksums(base: string, path: string, content: string | Uint8Array): void {
  put(base, path, content);
  for (const algorithm of ["md5", "sha1"] as const) {
    if (existsSync(join(base, `${path}.${algorithm}`))) {
      writeFileSync(join(base, `${path}.${algorithm}`), createHash(algorithm).update(content).digest("hex"));
    }
  }
}

function link(base: string, path: string, pointsTo: string): void {
  mkdirSync(dirname(join(base, path)), { recursive: true });
  symlinkSync(pointsTo, join(base, path));
}

function metadataXml(options: { groupId?: string; artifactId?: string; versions?: string[]; head?: string; root?: string; versioning?: string } = {}): string {
  const { groupId = "org.example", artifactId = "demo", versions = ["1.2"], head = XML_HEAD, root = "metadata" } = options;
  const versioning =
    options.versioning ??
    [
      "  <versioning>",
      "    <latest>1.2</latest>",
      "    <release>1.2</release>",
      "    <versions>",
      ...versions.map((version) => `      <version>${version}</version>`),
      "    </versions>",
      "    <lastUpdated>20261122101500</lastUpdated>",
      "  </versioning>",
    ].join("\n");
  return `${head}<${root}>\n  <groupId>${groupId}</groupId>\n  <artifactId>${artifactId}</artifactId>\n${versioning}\n</${root}>\n`;
}

const BILLION_LAUGHS = [
  '<?xml version="1.0"?>',
  "<!DOCTYPE lolz [",
  ' <!ENTITY lol "lol">',
  ...Array.from({ length: 9 }, (_, index) => ` <!ENTITY lol${index + 1} "${`&lol${index === 0 ? "" : index};`.repeat(10)}">`),
  "]>",
  "<metadata><groupId>&lol9;</groupId><artifactId>demo</artifactId></metadata>",
  "",
].join("\n");

// --- OpenPGP keys, made at test time --------------------------------------------------------

interface KeyPair {
  privateKey: openpgp.PrivateKey;
  publicArmored: string;
}

let trustedKey: KeyPair;
let strangerKey: KeyPair;
let trustedKeysFile: string;

async function makeKeyPair(email: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await openpgp.generateKey({ type: "curve25519", userIDs: [{ email }], format: "armored" });
  return { privateKey: await openpgp.readPrivateKey({ armoredKey: privateKey }), publicArmored: publicKey };
}

async function detachedSignature(key: KeyPair, bytes: Uint8Array): Promise<string> {
  const message = await openpgp.createMessage({ binary: bytes });
  return (await openpgp.sign({ message, signingKeys: key.privateKey, detached: true, format: "armored" })) as string;
}

// --- PWNED markers ------------------------------------------------------------------------

const MARKER = /^PWNED\d*$/;
let cliCwd = "";
let originalCwd = "";
let preexistingMarkers = new Set<string>();

/** Files named PWNED* below `dir` (links are not followed), down to `depth` levels. */
function markersIn(dir: string, depth = Number.POSITIVE_INFINITY): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (MARKER.test(entry.name)) found.push(path);
    if (entry.isDirectory() && depth > 0) found.push(...markersIn(path, depth - 1));
  }
  return found;
}

/** Where a command run from a name would drop its file: the CLI's cwd, ours, /tmp, $HOME, /. */
function globalMarkers(): string[] {
  return [...markersIn(cliCwd), ...[originalCwd, tmpdir(), homedir(), "/"].flatMap((dir) => markersIn(dir, 0))];
}

// --- cases --------------------------------------------------------------------------------

type Expectation =
  /** A validation problem: exit 1, a line `  - [target ]<path>: <reason> [code]` under `Errors (N):`. */
  | { exit: 4; code: string; path: string | ((repos: Repos) => string); side?: "target"; ancestorOk?: boolean; stderrOk?: boolean }
  /** A usage/configuration problem: exit 2, stderr's first line `maven-promote: <message> [code]` mentioning each string. */
  | { exit: 2; code: string; mentions: (repos: Repos) => string[] };

interface Case {
  title: string;
  fixture?: "basic" | "snapshot" | "plugin";
  setup?: (repos: Repos) => void | Promise<void>;
  /** What --from and --to are (default: the staging and target directories). */
  from?: (repos: Repos) => string;
  to?: (repos: Repos) => string;
  args?: (repos: Repos) => string[];
  expect: Expectation;
  /** PWNED file names a command hidden in this case's names would create. */
  markers?: string[];
}

interface Outcome {
  repos: Repos;
  result: CliResult;
  command: string[];
  targetBefore: Record<string, string> | "absent";
  targetAfter: Record<string, string> | "absent";
  /** PWNED* files that appeared in the case's own directories, or (its markers) anywhere. */
  markers: string[];
}

function fingerprintOrAbsent(dir: string): Record<string, string> | "absent" {
  return existsSync(dir) ? treeFingerprint(dir) : "absent";
}

async function execute(spec: Case): Promise<Outcome> {
  const repos = copyRepoFixture(spec.fixture ?? "basic");
  await spec.setup?.(repos);
  const command = ["promote", "--from", spec.from?.(repos) ?? repos.staging, "--to", spec.to?.(repos) ?? repos.target, ...(spec.args?.(repos) ?? [])];
  const targetBefore = fingerprintOrAbsent(repos.target);
  const result = await runCliProcess(command);
  const targetAfter = fingerprintOrAbsent(repos.target);
  const markers = markersIn(repos.root);
  const own = new Set(spec.markers ?? []);
  for (const path of globalMarkers()) {
    const name = path.slice(path.lastIndexOf("/") + 1);
    if (own.has(name) && !preexistingMarkers.has(path)) {
      markers.push(path);
      rmSync(path, { force: true }); // so that a later run is judged on its own
    }
  }
  return { repos, result, command, targetBefore, targetAfter, markers };
}

// Characters that change how a terminal shows the text around them (bidi overrides, zero-width).
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The forms in which a report may name `path`: as is, or JSON-quoted. A name holding control or
 * invisible characters may only appear quoted with those characters escaped (else one error
 * would span two lines, or show the user a different name).
 */
function namedForms(path: string): string[] {
  const escapeInvisible = (text: string, upper: boolean): string =>
    text.replace(INVISIBLE, (char) => `\\u${char.charCodeAt(0).toString(16)[upper ? "toUpperCase" : "toLowerCase"]()}`);
  const quoted = JSON.stringify(path);
  if (/[\u0000-\u001f\u007f]/.test(path) || new RegExp(INVISIBLE.source).test(path)) {
    return [...new Set([escapeInvisible(quoted, false), escapeInvisible(quoted, true)])];
  }
  // Any other non-ASCII name may also be shown with every non-ASCII character escaped.
  const asciiOnly = quoted.replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return [...new Set([path, quoted, asciiOnly])];
}

function ancestorsOf(path: string): string[] {
  const segments = path.split("/");
  return segments.slice(1).map((_, index) => segments.slice(0, segments.length - 1 - index).join("/"));
}

function describeRun(outcome: Outcome): string {
  const command = outcome.command.map((arg) => JSON.stringify(arg)).join(" ");
  return `\n--- command: maven-promote ${command}\n--- exit ${outcome.result.code}\n--- stdout:\n${outcome.result.stdout}--- stderr:\n${outcome.result.stderr}`;
}

/** The lines of the report's `Errors (N):` section; each must look like `  - ... [ERR_CODE]`. */
function errorSection(stdout: string): string[] | undefined {
  const header = /^Errors \((\d+)\):$/m.exec(stdout);
  if (header === null) return undefined;
  return stdout.slice(header.index + header[0].length + 1).split("\n").slice(0, Number(header[1]));
}

function assertRefused(spec: Case, outcome: Outcome): void {
  const { result, repos } = outcome;
  const context = describeRun(outcome);
  const expected = spec.expect;

  // (3) no stack trace, and no internal error
  for (const [name, text] of [["stdout", result.stdout], ["stderr", result.stderr]] as const) {
    assert.doesNotMatch(text, /\n\s+at /, `no stack trace on ${name}${context}`);
    assert.doesNotMatch(text, /ERR_INTERNAL/, `no internal error on ${name}${context}`);
    assert.doesNotMatch(text, new RegExp(INVISIBLE.source), `no raw bidi/zero-width character on ${name}${context}`);
  }

  // (1) exit code
  assert.equal(result.code, expected.exit, `exit code ${expected.exit}${context}`);

  // (2) one clear line naming what is wrong
  if (expected.exit === 4) {
    const path = typeof expected.path === "function" ? expected.path(repos) : expected.path;
    const forms = [path, ...(expected.ancestorOk ? ancestorsOf(path) : [])].flatMap(namedForms);
    const prefix = expected.side === "target" ? "target " : "";
    const names = (line: string): boolean => forms.some((form) => line.startsWith(`${prefix}${form}: `)) && line.endsWith(` [${expected.code}]`);
    const lines = errorSection(result.stdout);
    const firstStderrLine = result.stderr.split("\n")[0]!;
    if (lines === undefined && expected.stderrOk && firstStderrLine.startsWith("maven-promote: ")) {
      // A stage that is refused before it is scanned (an SFTP stage, while it is fetched).
      assert.ok(names(firstStderrLine.slice("maven-promote: ".length)), `stderr names ${prefix}${forms[0]} with [${expected.code}]${context}`);
    } else {
      assert.ok(lines !== undefined, `the report has an "Errors (N):" section${context}`);
      for (const line of lines) assert.match(line, /^ {2}- \S.* \[ERR_[A-Z_]+\]$/, `every error is one line "  - <path>: <reason> [ERR_CODE]"${context}`);
      assert.ok(
        lines.some((line) => names(line.slice(4))),
        `an error line names ${prefix}${forms.map((form) => JSON.stringify(form)).join(" or ")} with [${expected.code}]${context}`,
      );
      assert.match(result.stdout, /^Result: refused, \d+ problems?\. Nothing was written\.$/m, `the report says it refused${context}`);
      // (4) and it says why on stderr too, where CI logs look: one line per problem (10 at most).
      const stderrLines = result.stderr.trimEnd().split("\n");
      assert.ok(result.stderr.trim() !== "", `stderr says why${context}`);
      assert.ok(stderrLines.length <= 11, `at most 10 problems and a count on stderr${context}`);
      for (const line of stderrLines) assert.match(line, /^maven-promote: (\S.* \[ERR_[A-Z_]+\]|and \d+ more problems? .*)$/, `every stderr line is one problem${context}`);
      assert.ok(
        stderrLines.some((line) => names(line.slice("maven-promote: ".length))),
        `a stderr line names ${prefix}${forms[0]} with [${expected.code}]${context}`,
      );
    }
  } else {
    const lines = result.stderr.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^maven-promote: \S.* \[ERR_[A-Z_]+\]$/, `stderr's first line is "maven-promote: <message> [ERR_CODE]"${context}`);
    assert.ok(lines[0]!.endsWith(` [${expected.code}]`), `the code is ${expected.code}${context}`);
    for (const mention of expected.mentions(repos)) assert.ok(lines[0]!.includes(mention), `the line names ${JSON.stringify(mention)}${context}`);
    assert.ok(lines.length <= 2, `one error line and a hint line at most${context}`);
    if (lines.length === 2) assert.match(lines[1]!, /^ {2}hint: /, `the second line is the hint${context}`);
  }

  // (4) the target is byte-identical, and no promotion state was created
  assert.ok(!existsSync(join(repos.target, ".maven-promote")), `no .maven-promote/ in the target${context}`);
  assert.deepEqual(outcome.targetAfter, outcome.targetBefore, `the target is byte-identical${context}`);

  // (5) nothing was executed from a name
  assert.deepEqual(outcome.markers, [], `no PWNED file appeared${context}`);
}

type Settled = { ok: true; outcome: Outcome } | { ok: false; error: unknown };

/** Runs at most `limit` tasks at a time. */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    while (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * Registers one `it` per case. Their CLI runs start together in a `before` hook (a few at a
 * time) and each `it` checks its own run.
 */
function registerCases(groups: Array<[string, Case[]]>, ready: (context: Mocha.Context) => Promise<void>): void {
  const runs = new Map<Case, Promise<Settled>>();
  before(async function () {
    await ready(this);
    const limit = limiter(availableParallelism() + 1);
    for (const [, cases] of groups) {
      for (const spec of cases) {
        runs.set(
          spec,
          limit(() => execute(spec)).then(
            (outcome): Settled => ({ ok: true, outcome }),
            (error: unknown): Settled => ({ ok: false, error }),
          ),
        );
      }
    }
  });
  after(async () => {
    await Promise.all(runs.values());
  });
  for (const [title, cases] of groups) {
    describe(title, () => {
      for (const spec of cases) {
        it(spec.title, async () => {
          const settled = await (runs.get(spec) ?? execute(spec).then((outcome): Settled => ({ ok: true, outcome })));
          if (!settled.ok) throw settled.error;
          assertRefused(spec, settled.outcome);
        });
      }
    });
  }
}

// --- the cases ----------------------------------------------------------------------------

const unsafe = (path: string, extra: Partial<Extract<Expectation, { exit: 4 }>> = {}): Expectation => ({ exit: 4, code: "ERR_UNSAFE_PATH", path, ...extra });

/** A file with a hostile name in the staged version directory (or elsewhere in the stage). */
function nameCase(title: string, path: string, markers?: string[]): Case {
  return { title, setup: (repos) => put(repos.staging, path, "bytes\n"), expect: unsafe(path), ...(markers ? { markers } : {}) };
}

/** The staged artifact metadata replaced by `content` (its checksums made to match). */
function stagedMetadataCase(title: string, content: string | Uint8Array, code: string, markers?: string[]): Case {
  return { title, setup: (repos) => putWithChecksums(repos.staging, META, content), expect: { exit: 4, code, path: META }, ...(markers ? { markers } : {}) };
}

function targetMetadataCase(title: string, content: string | Uint8Array | ((current: string) => string)): Case {
  return {
    title,
    setup: (repos) => putWithChecksums(repos.target, META, typeof content === "function" ? content(readFileSync(join(repos.target, META), "utf8")) : content),
    expect: { exit: 4, code: "ERR_METADATA_PARSE", path: META, side: "target" },
  };
}

const metadataCases: Case[] = [
  stagedMetadataCase("malformed XML", `${XML_HEAD}<metadata>\n  <groupId>org.example</groupId>\n  <versioning>\n    <versions><version>1.2</versions>\n`, "ERR_METADATA_PARSE"),
  stagedMetadataCase(
    "an external entity (file:///etc/passwd)",
    `${XML_HEAD}<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<metadata>\n  <groupId>&x;</groupId>\n  <artifactId>demo</artifactId>\n</metadata>\n`,
    "ERR_METADATA_PARSE",
  ),
  stagedMetadataCase("a billion-laughs entity bomb", BILLION_LAUGHS, "ERR_METADATA_PARSE"),
  stagedMetadataCase("a file full of NUL bytes", Buffer.alloc(4096), "ERR_METADATA_PARSE"),
  {
    title: "over 16 MiB (17 MiB of whitespace-padded, otherwise valid XML)",
    setup: (repos) => putWithChecksums(repos.staging, META, metadataXml().replace("<metadata>\n", `<metadata>\n${" ".repeat(17 * 1024 * 1024)}\n`)),
    expect: { exit: 4, code: "ERR_METADATA_PARSE", path: META },
  },
  stagedMetadataCase("a root element that is not <metadata>", metadataXml({ root: "project" }), "ERR_METADATA_PARSE"),
  stagedMetadataCase("a groupId that disagrees with its path", metadataXml({ groupId: "org.evil" }), "ERR_METADATA_MISMATCH"),
  stagedMetadataCase("an artifactId that disagrees with its path", metadataXml({ artifactId: "evil" }), "ERR_METADATA_MISMATCH"),
  stagedMetadataCase(
    'invalid UTF-8 bytes under encoding="UTF-8"',
    Buffer.concat([Buffer.from(`${XML_HEAD}<metadata>\n  <groupId>org.example</groupId>\n  <!-- `), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(" -->\n  <artifactId>demo</artifactId>\n</metadata>\n")]),
    "ERR_METADATA_PARSE",
  ),
  stagedMetadataCase("an unsupported encoding declaration (UTF-7)", metadataXml({ head: '<?xml version="1.0" encoding="UTF-7"?>\n' }), "ERR_METADATA_PARSE"),
  stagedMetadataCase("a version entry ../../../etc (path traversal through metadata)", metadataXml({ versions: ["1.2", "../../../etc"] }), "ERR_UNSAFE_PATH"),
  // `org/example/demo/..` is a directory the target has, so "is it on the target?" cannot be the guard.
  stagedMetadataCase("a version entry .. (the parent directory, which exists on the target)", metadataXml({ versions: ["1.2", ".."] }), "ERR_UNSAFE_PATH"),
  stagedMetadataCase("a version entry $(touch PWNED6)", metadataXml({ versions: ["1.2", "$(touch PWNED6)"] }), "ERR_UNSAFE_PATH", ["PWNED6"]),
  stagedMetadataCase("a version entry `touch PWNED7` (backticks)", metadataXml({ versions: ["1.2", "`touch PWNED7`"] }), "ERR_UNSAFE_PATH", ["PWNED7"]),
  stagedMetadataCase(
    "a duplicate <versioning> element",
    metadataXml().replace("</metadata>", "  <versioning>\n    <versions><version>9.9</version></versions>\n  </versioning>\n</metadata>"),
    "ERR_METADATA_PARSE",
  ),
  stagedMetadataCase("an empty file", "", "ERR_METADATA_PARSE"),
  {
    title: "a SNAPSHOT <value> ../../../../etc/passwd (path traversal through snapshotVersions)",
    fixture: "snapshot",
    setup: (repos) => {
      const path = join(repos.staging, SNAPSHOT_META);
      putWithChecksums(repos.staging, SNAPSHOT_META, readFileSync(path, "utf8").replace("<value>2.0-20261122.090000-4</value>", "<value>../../../../etc/passwd</value>"));
    },
    expect: { exit: 4, code: "ERR_UNSAFE_PATH", path: SNAPSHOT_META },
  },
];

const targetCases: Case[] = [
  targetMetadataCase("the target's maven-metadata.xml is malformed", `${XML_HEAD}<metadata>\n  <groupId>org.example</groupId>\n  <versioning>\n`),
  targetMetadataCase("the target's maven-metadata.xml is full of NUL bytes", Buffer.alloc(2048)),
  targetMetadataCase(
    "the target's maven-metadata.xml has an external entity",
    `${XML_HEAD}<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<metadata><groupId>&x;</groupId></metadata>\n`,
  ),
  targetMetadataCase("the target's maven-metadata.xml is over 16 MiB", (current) => current.replace("<metadata>\n", `<metadata>\n${" ".repeat(17 * 1024 * 1024)}\n`)),
];

const nameCases: Case[] = [
  nameCase("a single quote", `${V}/demo-1.2-it's.jar`),
  nameCase("a double quote", `${V}/demo-1.2-"quoted".jar`),
  nameCase("$(touch PWNED)", `${V}/demo-1.2-$(touch PWNED).jar`, ["PWNED"]),
  nameCase("backticks", `${V}/demo-1.2-\`touch PWNED2\`.jar`, ["PWNED2"]),
  nameCase("a newline", `${V}/demo-1.2-a\nb.jar`),
  nameCase("a space", `${V}/demo-1.2 copy.jar`),
  nameCase("a tab", `${V}/demo-1.2\tcopy.jar`),
  nameCase("; touch PWNED3", `${V}/demo-1.2.jar; touch PWNED3`, ["PWNED3"]),
  nameCase("| touch PWNED4", `${V}/demo-1.2.jar | touch PWNED4`, ["PWNED4"]),
  nameCase("&& touch PWNED5 (&)", `${V}/demo-1.2.jar && touch PWNED5`, ["PWNED5"]),
  nameCase("a leading - (-rf)", `${V}/-rf`),
  nameCase("a *", `${V}/demo-1.2-*.jar`),
  nameCase("a control character \\x01", `${V}/demo-1.2-\x01.jar`),
  nameCase("a .rip suffix", `${V}/demo-1.2.jar.rip`),
  {
    title: "a .maven-promote directory at the stage root",
    setup: (repos) => put(repos.staging, ".maven-promote/20261122T101500Z-0000/journal.json", '{"state":"committed"}\n'),
    expect: unsafe(".maven-promote"),
  },
  nameCase("non-ASCII (démo-1.2.jar)", `${V}/démo-1.2.jar`),
  {
    title: "a very deep nesting (70 directories)",
    setup: (repos) => put(repos.staging, `${V}/${"d/".repeat(70)}demo-1.2.jar`, "deep\n"),
    expect: unsafe(`${V}/${"d/".repeat(70)}demo-1.2.jar`, { ancestorOk: true }),
  },
  {
    title: "a version directory named 1.2$(touch PWNED8)",
    setup: (repos) => put(repos.staging, "org/example/demo/1.2$(touch PWNED8)/demo-1.2$(touch PWNED8).pom", "<project/>\n"),
    expect: unsafe("org/example/demo/1.2$(touch PWNED8)"),
    markers: ["PWNED8"],
  },
  {
    title: "a version directory with a .rip suffix (1.3.rip/)",
    setup: (repos) => put(repos.staging, "org/example/demo/1.3.rip/demo-1.3.pom", "<project/>\n"),
    expect: unsafe("org/example/demo/1.3.rip"),
  },
  nameCase("a leading ~ (~root)", `${V}/~root`),
  nameCase("a backslash", `${V}/demo-1.2-..\\..\\evil.jar`),
  {
    // The name is refused either way; the report must not echo the override raw, or a terminal
    // shows the user a different name (U+202E reverses what follows it).
    title: "a right-to-left override (U+202E) is refused and not echoed raw",
    setup: (repos) => put(repos.staging, `${V}/demo-1.2-\u202Erav.jar`, "bytes\n"),
    expect: unsafe(`${V}/demo-1.2-\u202Erav.jar`),
  },
];

const linkCases: Case[] = [
  {
    title: "a symlink to a file outside the stage (relative ../../../../../outside.txt)",
    setup: (repos) => {
      writeFileSync(join(repos.root, "outside.txt"), "not part of the release\n");
      link(repos.staging, `${V}/demo-1.2-extra.jar`, "../../../../../outside.txt");
    },
    expect: unsafe(`${V}/demo-1.2-extra.jar`),
  },
  {
    title: "a symlink to a directory outside the stage (a version directory 1.3 -> elsewhere)",
    setup: (repos) => {
      put(repos.root, "outside/demo-1.3.pom", "<project><groupId>org.example</groupId><artifactId>demo</artifactId><version>1.3</version></project>\n");
      link(repos.staging, "org/example/demo/1.3", join(repos.root, "outside"));
    },
    expect: unsafe("org/example/demo/1.3"),
  },
  {
    title: "an absolute symlink (to /etc/passwd)",
    setup: (repos) => link(repos.staging, `${V}/demo-1.2-passwd.jar`, "/etc/passwd"),
    expect: unsafe(`${V}/demo-1.2-passwd.jar`),
  },
  {
    title: "a symlink loop (a -> b -> a)",
    setup: (repos) => {
      link(repos.staging, `${V}/demo-1.2-loop-a.jar`, "demo-1.2-loop-b.jar");
      link(repos.staging, `${V}/demo-1.2-loop-b.jar`, "demo-1.2-loop-a.jar");
    },
    expect: unsafe(`${V}/demo-1.2-loop-a.jar`),
  },
  {
    title: "a directory symlink back to its parent (again -> ..)",
    setup: (repos) => link(repos.staging, `${V}/again`, ".."),
    expect: unsafe(`${V}/again`),
  },
  {
    title: "a dangling symlink",
    setup: (repos) => link(repos.staging, `${V}/demo-1.2-gone.jar`, "/nonexistent/maven-promote/gone.jar"),
    expect: unsafe(`${V}/demo-1.2-gone.jar`),
  },
  {
    title: "a FIFO where an artifact should be",
    setup: (repos) => execFileSync("mkfifo", [join(repos.staging, V, "demo-1.2-fifo.jar")]),
    expect: unsafe(`${V}/demo-1.2-fifo.jar`),
  },
];

const POM = `${V}/demo-1.2.pom`;
const JAR = `${V}/demo-1.2.jar`;
const pomXml = (groupId: string): string =>
  `${XML_HEAD}<project>\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>${groupId}</groupId>\n  <artifactId>demo</artifactId>\n  <version>1.2</version>\n</project>\n`;
const trusted = (): string[] => ["--trusted-keys", trustedKeysFile];

async function signedThenTampered(repos: Repos): Promise<void> {
  put(repos.staging, `${JAR}.asc`, await detachedSignature(trustedKey, readFileSync(join(repos.staging, JAR))));
  putWithChecksums(repos.staging, JAR, "tampered after signing\n");
}

const contentCases: Case[] = [
  { title: "an md5 mismatch", setup: (repos) => put(repos.staging, `${JAR}.md5`, "0".repeat(32)), expect: { exit: 4, code: "ERR_CHECKSUM_MISMATCH", path: JAR } },
  { title: "a sha1 mismatch", setup: (repos) => put(repos.staging, `${JAR}.sha1`, "0".repeat(40)), expect: { exit: 4, code: "ERR_CHECKSUM_MISMATCH", path: JAR } },
  {
    title: "a checksum file that is not hex",
    setup: (repos) => put(repos.staging, `${JAR}.sha1`, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n"),
    expect: { exit: 4, code: "ERR_CHECKSUM_FORMAT", path: `${JAR}.sha1` },
  },
  {
    title: "a checksum of a file that is not staged",
    setup: (repos) => put(repos.staging, `${V}/demo-1.2-missing.jar.sha1`, "0".repeat(40)),
    expect: { exit: 4, code: "ERR_STRAY_FILE", path: `${V}/demo-1.2-missing.jar.sha1` },
  },
  { title: "a POM whose groupId disagrees with its path", setup: (repos) => putWithChecksums(repos.staging, POM, pomXml("org.evil")), expect: { exit: 4, code: "ERR_POM_MISMATCH", path: POM } },
  { title: "a POM that is not XML", setup: (repos) => putWithChecksums(repos.staging, POM, "this is { not XML\n"), expect: { exit: 4, code: "ERR_POM_PARSE", path: POM } },
  {
    title: "a POM with an external entity",
    setup: (repos) => putWithChecksums(repos.staging, POM, pomXml("&x;").replace(XML_HEAD, `${XML_HEAD}<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n`)),
    expect: { exit: 4, code: "ERR_POM_PARSE", path: POM },
  },
  {
    title: "a version directory without POM",
    setup: (repos) => {
      for (const suffix of ["", ".md5", ".sha1"]) rmSync(join(repos.staging, POM + suffix));
    },
    expect: { exit: 4, code: "ERR_POM_MISSING", path: V },
  },
  { title: "a stray file at the stage root", setup: (repos) => put(repos.staging, "notes.txt", "release notes\n"), expect: { exit: 4, code: "ERR_STRAY_FILE", path: "notes.txt" } },
  {
    title: "a maven-metadata-local.xml",
    setup: (repos) => put(repos.staging, "org/example/demo/maven-metadata-local.xml", metadataXml()),
    expect: { exit: 4, code: "ERR_STRAY_FILE", path: "org/example/demo/maven-metadata-local.xml" },
  },
  { title: "a bad signature (file tampered after signing, --trusted-keys)", setup: signedThenTampered, args: trusted, expect: { exit: 4, code: "ERR_SIGNATURE_INVALID", path: `${JAR}.asc` } },
  {
    title: "a signature by an unknown key",
    setup: async (repos) => put(repos.staging, `${JAR}.asc`, await detachedSignature(strangerKey, readFileSync(join(repos.staging, JAR)))),
    args: trusted,
    expect: { exit: 4, code: "ERR_SIGNATURE_INVALID", path: `${JAR}.asc` },
  },
  {
    title: "a garbage .asc",
    setup: (repos) => put(repos.staging, `${JAR}.asc`, "-----BEGIN PGP SIGNATURE-----\n\nbm90IGEgc2lnbmF0dXJl\n=AAAA\n-----END PGP SIGNATURE-----\n"),
    args: trusted,
    expect: { exit: 4, code: "ERR_SIGNATURE_INVALID", path: `${JAR}.asc` },
  },
  {
    title: "a re-staged release with different bytes (1.1 again, jar changed)",
    setup: (repos) => {
      cpSync(join(repos.target, "org/example/demo/1.1"), join(repos.staging, "org/example/demo/1.1"), { recursive: true });
      putWithChecksums(repos.staging, "org/example/demo/1.1/demo-1.1.jar", "a different 1.1\n");
    },
    expect: { exit: 4, code: "ERR_RELEASE_EXISTS", path: "org/example/demo/1.1" },
  },
  {
    title: "an empty staging repository",
    setup: (repos) => {
      rmSync(repos.staging, { recursive: true });
      mkdirSync(repos.staging);
    },
    expect: { exit: 4, code: "ERR_EMPTY_STAGING", path: (repos) => repos.staging },
  },
  {
    title: "a staging path that is a file, not a directory (exit 2)",
    setup: (repos) => writeFileSync(join(repos.root, "staging.zip"), "PK\x03\x04"),
    from: (repos) => join(repos.root, "staging.zip"),
    expect: { exit: 2, code: "ERR_REPOSITORY_NOT_FOUND", mentions: (repos) => [join(repos.root, "staging.zip")] },
  },
  {
    title: "a target that does not exist (exit 2)",
    to: (repos) => join(repos.root, "no-such-target"),
    expect: { exit: 2, code: "ERR_REPOSITORY_NOT_FOUND", mentions: (repos) => ["--to", join(repos.root, "no-such-target")] },
  },
  { title: "an unknown option (exit 2)", args: () => ["--frobnicate"], expect: { exit: 2, code: "ERR_USAGE", mentions: () => ["--frobnicate"] } },
  {
    title: "a --from holding a newline (exit 2)",
    from: (repos) => `${repos.staging}\n--to=/`,
    expect: { exit: 2, code: "ERR_CONFIG", mentions: () => ["--from"] },
  },
  {
    title: "a --trusted-keys file that holds no key (exit 2)",
    setup: (repos) => writeFileSync(join(repos.root, "keys.asc"), "not a key\n"),
    args: (repos) => ["--trusted-keys", join(repos.root, "keys.asc")],
    expect: { exit: 2, code: "ERR_KEY", mentions: (repos) => [join(repos.root, "keys.asc")] },
  },
];

const pluginCases: Case[] = [
  {
    title: "a plugin prefix that the target maps to another artifactId",
    fixture: "plugin",
    setup: (repos) => {
      const path = join(repos.staging, PLUGIN_GROUP_META);
      putWithChecksums(repos.staging, PLUGIN_GROUP_META, readFileSync(path, "utf8").replace("<prefix>demo</prefix>", "<prefix>other</prefix>"));
    },
    expect: { exit: 4, code: "ERR_PLUGIN_PREFIX_CONFLICT", path: PLUGIN_GROUP_META },
  },
];

// --- the suites ---------------------------------------------------------------------------

function enterCliCwd(): void {
  originalCwd = process.cwd();
  cliCwd = makeTempDir("maven-promote-cwd-");
  // runCliProcess starts the CLI in our working directory: make it an empty one we can search.
  process.chdir(cliCwd);
  preexistingMarkers = new Set(globalMarkers());
}

function leaveCliCwd(): void {
  if (originalCwd !== "") process.chdir(originalCwd);
}

describe("integration: hostile input is refused (promote, local target)", function () {
  this.timeout(180_000);

  registerCases(
    [
      ["staged maven-metadata.xml", metadataCases],
      ["target maven-metadata.xml", targetCases],
      ["names in the stage", nameCases],
      ["links in the stage", linkCases],
      ["content", contentCases],
      ["plugin groups", pluginCases],
    ],
    async (_context) => {
      [trustedKey, strangerKey] = await Promise.all([makeKeyPair("release@example.org"), makeKeyPair("stranger@example.net")]);
      trustedKeysFile = join(makeTempDir(), "trusted-keys.asc");
      writeFileSync(trustedKeysFile, trustedKey.publicArmored);
      enterCliCwd();
    },
  );

  after(() => {
    leaveCliCwd();
    removeTempDirs();
  });

  describe("controls (the same inputs, made good, pass)", () => {
    it("the untouched basic stage plans cleanly", async () => {
      const repos = copyRepoFixture("basic");
      const result = await runCliProcess(["plan", "--from", repos.staging, "--to", repos.target]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
    });

    it("a correctly signed jar passes --trusted-keys", async () => {
      const repos = copyRepoFixture("basic");
      put(repos.staging, `${JAR}.asc`, await detachedSignature(trustedKey, readFileSync(join(repos.staging, JAR))));
      const result = await runCliProcess(["plan", "--from", repos.staging, "--to", repos.target, ...trusted()]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
    });
  });
});

describe("integration: hostile input is refused over SFTP (real sshd)", function () {
  this.timeout(180_000);
  let server: SshServer | undefined;
  const sftp = (path: string): string => `sftp://${server!.user}@127.0.0.1:${server!.port}${path}`;
  const sshArgs = (): string[] => ["--identity", server!.clientKeyPath, "--known-hosts", server!.knownHostsPath];

  /** The same case with an SFTP target (the target directory is on this machine, read through sshd). */
  const toSftp = (spec: Case): Case => ({ ...spec, to: (repos) => sftp(spec.to?.(repos) ?? repos.target), args: (repos) => [...(spec.args?.(repos) ?? []), ...sshArgs()] });
  /** The same case with an SFTP stage, pulled before it is validated. */
  const fromSftp = (spec: Case): Case => ({
    ...spec,
    from: (repos) => sftp(repos.staging),
    args: (repos) => [...(spec.args?.(repos) ?? []), ...sshArgs()],
    expect: { ...(spec.expect as Extract<Expectation, { exit: 4 }>), stderrOk: true },
  });

  const absoluteLink: Case = {
    title: "an absolute symlink (to /etc/passwd)",
    setup: (repos) => link(repos.staging, `${V}/demo-1.2-passwd.jar`, "/etc/passwd"),
    expect: unsafe(`${V}/demo-1.2-passwd.jar`),
  };

  registerCases(
    [
      [
        "SFTP target",
        [
          toSftp(nameCase("a name holding $(touch PWNED9)", `${V}/demo-1.2-$(touch PWNED9).jar`, ["PWNED9"])),
          toSftp(nameCase("a name holding ; touch PWNED10", `${V}/demo-1.2.jar; touch PWNED10`, ["PWNED10"])),
          toSftp(absoluteLink),
          toSftp(stagedMetadataCase("a staged metadata version ../../../etc", metadataXml({ versions: ["1.2", "../../../etc"] }), "ERR_UNSAFE_PATH")),
          toSftp(stagedMetadataCase("a staged metadata version `touch PWNED11`", metadataXml({ versions: ["1.2", "`touch PWNED11`"] }), "ERR_UNSAFE_PATH", ["PWNED11"])),
          toSftp(metadataCases[1]!), // external entity
          toSftp(targetCases[0]!), // the target's metadata is malformed: read over SFTP, named as the target's
        ].map((spec) => ({ ...spec, title: `${spec.title} (sftp target)` })),
      ],
      [
        "SFTP stage",
        [
          fromSftp(nameCase("a name holding $(touch PWNED12)", `${V}/demo-1.2-$(touch PWNED12).jar`, ["PWNED12"])),
          fromSftp(absoluteLink),
        ].map((spec) => ({ ...spec, title: `${spec.title} (sftp stage)` })),
      ],
    ],
    async (context) => {
      skipWithoutSshd(context);
      server = await startSshd();
      enterCliCwd();
    },
  );

  after(async () => {
    leaveCliCwd();
    await server?.stop();
    removeTempDirs();
  });
});
