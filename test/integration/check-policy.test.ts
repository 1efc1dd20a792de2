// `check --policy central` on stages made of real projects' files: jsoup 1.15.3 as its authors
// published it (the POM inside Debian's jsoup.jar is upstream's, with every field Central asks
// for), and commons-io 2.11.0 with its parents as Debian ships their POMs (stripped of url,
// licenses, developers and scm). Signatures are made by the real gpg and checked against its
// public key; checksums by coreutils. The compliant stage passes (exit 0); the other lists every
// reason in Central's words (exit 4), and plan/promote --policy refuse it the same way.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { runCliProcess } from "../helpers/cli.js";
import { makeGpgHome, type GpgHome } from "../helpers/gpg.js";
import { makeTempDir, removeTempDirs, treeFingerprint } from "../helpers/temp-repos.js";

const JSOUP_JAR = "/usr/share/java/jsoup.jar";
const COMMONS_IO_JAR = "/usr/share/java/commons-io.jar";
const COMMONS_IO_POM = "/usr/share/maven-repo/commons-io/commons-io/2.11.0/commons-io-2.11.0.pom";
const COMMONS_PARENT_POM = "/usr/share/maven-repo/org/apache/commons/commons-parent/debian/commons-parent-debian.pom";
const APACHE_POM = "/usr/share/maven-repo/org/apache/apache/debian/apache-debian.pom";

/** A small jar (a zip with a manifest), for the sources and javadoc jars. */
function writeJar(path: string, entry: string, text: string): void {
  const work = makeTempDir();
  mkdirSync(join(work, dirname(entry)), { recursive: true });
  writeFileSync(join(work, entry), text);
  execFileSync("zip", ["-q", "-r", path, "."], { cwd: work });
}

/** md5 and sha1 of every file in `directory` (coreutils), except the names in `skip`. */
function writeChecksums(directory: string, skip: { md5?: string[]; sha1?: string[] } = {}): void {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const name = entry.name;
    if (!entry.isFile() || /\.(md5|sha1|asc)$/.test(name)) continue;
    for (const [algorithm, tool] of [["md5", "md5sum"], ["sha1", "sha1sum"]] as const) {
      if (skip[algorithm]?.includes(name)) continue;
      const digest = execFileSync(tool, [join(directory, name)], { encoding: "utf8" }).split(" ")[0]!;
      writeFileSync(join(directory, `${name}.${algorithm}`), digest);
    }
  }
}

function metadata(groupId: string, artifactId: string, version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>${groupId}</groupId>
  <artifactId>${artifactId}</artifactId>
  <versioning>
    <latest>${version}</latest>
    <release>${version}</release>
    <versions><version>${version}</version></versions>
    <lastUpdated>20261201101500</lastUpdated>
  </versioning>
</metadata>
`;
}

describe("integration: check --policy central on real projects' stages", function () {
  this.timeout(120_000);
  let gpg: GpgHome;
  let keys: string;
  let compliant: string;
  let rejected: string;

  before(async function () {
    for (const file of [JSOUP_JAR, COMMONS_IO_JAR, COMMONS_IO_POM, COMMONS_PARENT_POM, APACHE_POM]) {
      if (!existsSync(file)) return assert.fail(`${file} is missing: run scripts/install-maven-test-deps.sh`);
    }
    gpg = await makeGpgHome();
    keys = join(makeTempDir(), "keys.asc");
    writeFileSync(keys, gpg.armoredPublicKey);

    // jsoup 1.15.3: upstream's POM and jar, sources and javadoc jars, all signed and summed.
    compliant = makeTempDir();
    const jsoup = join(compliant, "org/jsoup/jsoup/1.15.3");
    mkdirSync(jsoup, { recursive: true });
    writeFileSync(join(jsoup, "jsoup-1.15.3.pom"), execFileSync("unzip", ["-p", JSOUP_JAR, "META-INF/maven/org.jsoup/jsoup/pom.xml"]));
    copyFileSync(JSOUP_JAR, join(jsoup, "jsoup-1.15.3.jar"));
    writeJar(join(jsoup, "jsoup-1.15.3-sources.jar"), "org/jsoup/Jsoup.java", "package org.jsoup;\npublic class Jsoup {}\n");
    writeJar(join(jsoup, "jsoup-1.15.3-javadoc.jar"), "index.html", "<html>jsoup API</html>\n");
    for (const name of readdirSync(jsoup)) await gpg.sign(join(jsoup, name));
    writeChecksums(jsoup);
    writeFileSync(join(compliant, "org/jsoup/jsoup/maven-metadata.xml"), metadata("org.jsoup", "jsoup", "1.15.3"));
    writeChecksums(join(compliant, "org/jsoup/jsoup"));

    // commons-io 2.11.0 and its parents (commons-parent, apache) as Debian ships them; the jar
    // unsigned, commons-parent's POM without an md5.
    rejected = makeTempDir();
    const io = join(rejected, "commons-io/commons-io/2.11.0");
    const parent = join(rejected, "org/apache/commons/commons-parent/debian");
    const apache = join(rejected, "org/apache/apache/debian");
    for (const directory of [io, parent, apache]) mkdirSync(directory, { recursive: true });
    copyFileSync(COMMONS_IO_POM, join(io, "commons-io-2.11.0.pom"));
    copyFileSync(COMMONS_IO_JAR, join(io, "commons-io-2.11.0.jar"));
    copyFileSync(COMMONS_PARENT_POM, join(parent, "commons-parent-debian.pom"));
    copyFileSync(APACHE_POM, join(apache, "apache-debian.pom"));
    for (const pom of [join(io, "commons-io-2.11.0.pom"), join(parent, "commons-parent-debian.pom"), join(apache, "apache-debian.pom")]) await gpg.sign(pom);
    writeChecksums(io);
    writeChecksums(parent, { md5: ["commons-parent-debian.pom"] });
    writeChecksums(apache);
    for (const [path, groupId, artifactId] of [
      ["commons-io/commons-io", "commons-io", "commons-io"],
      ["org/apache/commons/commons-parent", "org.apache.commons", "commons-parent"],
      ["org/apache/apache", "org.apache", "apache"],
    ] as const) {
      writeFileSync(join(rejected, path, "maven-metadata.xml"), metadata(groupId, artifactId, path.endsWith("commons-io") ? "2.11.0" : "debian"));
      writeChecksums(join(rejected, path));
    }
  });

  after(async () => {
    await gpg?.remove();
    removeTempDirs();
  });

  /** Every reason Central gives for the commons-io stage, as `path: message [rule]`. */
  const CENTRAL_REASONS = [
    "commons-io/commons-io/2.11.0: Missing: no javadoc jar found in folder '/commons-io/commons-io/2.11.0' [central/javadoc]",
    "commons-io/commons-io/2.11.0: Missing: no sources jar found in folder '/commons-io/commons-io/2.11.0' [central/sources]",
    "commons-io/commons-io/2.11.0/commons-io-2.11.0.jar: Missing signature for file: commons-io-2.11.0.jar [central/signature]",
    "commons-io/commons-io/2.11.0/commons-io-2.11.0.pom: Developers information is missing [central/developers]",
    "commons-io/commons-io/2.11.0/commons-io-2.11.0.pom: License information is missing [central/licenses]",
    "commons-io/commons-io/2.11.0/commons-io-2.11.0.pom: Project URL is not defined [central/url]",
    "commons-io/commons-io/2.11.0/commons-io-2.11.0.pom: SCM URL is not defined [central/scm-url]",
    "org/apache/apache/debian/apache-debian.pom: Developers information is missing [central/developers]",
    "org/apache/apache/debian/apache-debian.pom: License information is missing [central/licenses]",
    "org/apache/apache/debian/apache-debian.pom: Project URL is not defined [central/url]",
    "org/apache/apache/debian/apache-debian.pom: SCM URL is not defined [central/scm-url]",
    "org/apache/commons/commons-parent/debian/commons-parent-debian.pom: Developers information is missing [central/developers]",
    "org/apache/commons/commons-parent/debian/commons-parent-debian.pom: License information is missing [central/licenses]",
    "org/apache/commons/commons-parent/debian/commons-parent-debian.pom: Missing md5 checksum for file: commons-parent-debian.pom [central/md5]",
    "org/apache/commons/commons-parent/debian/commons-parent-debian.pom: Project URL is not defined [central/url]",
    "org/apache/commons/commons-parent/debian/commons-parent-debian.pom: SCM URL is not defined [central/scm-url]",
  ];

  const lines = (json: { errors: Array<{ message: string; rule: string }> }) => json.errors.map((error) => `${error.message} [${error.rule}]`).sort();

  it("a compliant stage (jsoup, signed by gpg): exit 0, no problem", async () => {
    const result = await runCliProcess(["check", "--from", compliant, "--policy", "central", "--trusted-keys", keys]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^Check of .* \(policy central\): 19 files\n\nResult: the stage meets the policy central\.\n$/);
    assert.equal(result.stderr, "");
  });

  it("a stage Central would reject: every reason, in Central's words, each with its file and rule; exit 4", async () => {
    const result = await runCliProcess(["check", "--json", "--from", rejected, "--policy", "central", "--trusted-keys", keys]);
    assert.equal(result.code, 4, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.equal(json.ok, false);
    assert.equal(json.policy, "central");
    assert.deepEqual(lines(json), [...CENTRAL_REASONS].sort());
    // On stderr too: ten lines, then the count.
    const stderr = result.stderr.trimEnd().split("\n");
    assert.equal(stderr.length, 11, result.stderr);
    assert.equal(stderr[10], `maven-promote: and ${CENTRAL_REASONS.length - 10} more problems (all of them are in the report on stdout)`);
  });

  it("the default policy only checks what is there: the same stage passes", async () => {
    const result = await runCliProcess(["check", "--from", rejected, "--trusted-keys", keys]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it("a tampered, gpg-signed jar is found by the default checks, whatever the policy", async () => {
    const stage = makeTempDir();
    execFileSync("cp", ["-a", `${compliant}/.`, stage]);
    const jar = join(stage, "org/jsoup/jsoup/1.15.3/jsoup-1.15.3.jar");
    writeFileSync(jar, Buffer.concat([execFileSync("cat", [jar]), Buffer.from("tampered")]));
    const result = await runCliProcess(["check", "--json", "--from", stage, "--policy", "central", "--trusted-keys", keys]);
    assert.equal(result.code, 4);
    const rules = JSON.parse(result.stdout).errors.map((error: { rule: string }) => error.rule);
    assert.ok(rules.includes("ERR_CHECKSUM_MISMATCH") && rules.includes("ERR_SIGNATURE_INVALID"), rules.join(", "));
  });

  it("a policy file: javadoc a warning, sources off; the rest stays an error", async () => {
    const policy = join(makeTempDir(), "policy.json");
    writeFileSync(policy, JSON.stringify({ extends: "central", rules: { "central/javadoc": "warning", "central/sources": "off" } }));
    const result = await runCliProcess(["check", "--json", "--from", rejected, "--policy", policy]);
    assert.equal(result.code, 4);
    const json = JSON.parse(result.stdout);
    assert.equal(json.policy, policy);
    assert.deepEqual(lines(json), CENTRAL_REASONS.filter((line) => !/central\/(javadoc|sources)/.test(line)).sort());
    assert.deepEqual(
      json.warnings.map((warning: { message: string; rule: string }) => `${warning.message} [${warning.rule}]`),
      [CENTRAL_REASONS[0]],
    );
  });

  it("a policy file can require sha256 and sha512, which no built-in policy does", async () => {
    const policy = join(makeTempDir(), "policy.json");
    writeFileSync(policy, JSON.stringify({ rules: { "checksum/sha256": "error", "checksum/sha512": "warning" } }));
    const result = await runCliProcess(["check", "--json", "--from", compliant, "--policy", policy]);
    assert.equal(result.code, 4);
    const json = JSON.parse(result.stdout);
    assert.deepEqual(json.errors.map((error: { path: string }) => error.path.split("/").pop()).sort(), ["jsoup-1.15.3-javadoc.jar", "jsoup-1.15.3-sources.jar", "jsoup-1.15.3.jar", "jsoup-1.15.3.pom"]);
    assert.ok(json.errors.every((error: { rule: string; message: string }) => error.rule === "checksum/sha256" && /^.*: Missing sha256 checksum for file: /.test(error.message)));
    assert.equal(json.warnings.length, 4);
    assert.equal((await runCliProcess(["check", "--from", compliant, "--policy", "central"])).code, 0, "central does not ask for them");
  });

  it("a bad policy is one line naming the file and the key; an unknown name too", async () => {
    const policy = join(makeTempDir(), "policy.json");
    writeFileSync(policy, JSON.stringify({ extends: "central", rules: { "central/nonsense": "error" } }));
    const bad = await runCliProcess(["check", "--from", rejected, "--policy", policy]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr.split("\n")[0]!, new RegExp(`^maven-promote: ${policy}: "rules\\.central/nonsense": not a rule \\(known: central/signature, .*\\) \\[ERR_CONFIG\\]$`));
    const level = join(makeTempDir(), "policy.json");
    writeFileSync(level, JSON.stringify({ rules: { "central/javadoc": "fatal" } }));
    const badLevel = await runCliProcess(["check", "--from", rejected, "--policy", level]);
    assert.equal(badLevel.stderr.split("\n")[0], `maven-promote: ${level}: "rules.central/javadoc": expected error, warning or off [ERR_CONFIG]`);
    const unknown = await runCliProcess(["check", "--from", rejected, "--policy", "strict"]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr.split("\n")[0], "maven-promote: --policy strict: neither a policy (default, central) nor a file [ERR_CONFIG]");
  });

  it("a parent that is not staged: a warning for check (it may be on Central), settled by plan from the target", async () => {
    // A child of jsoup's real POM that leaves url, licenses, developers and scm to its parent.
    const stage = makeTempDir();
    const version = join(stage, "org/example/child/1.0");
    mkdirSync(version, { recursive: true });
    writeFileSync(
      join(version, "child-1.0.pom"),
      `<project><modelVersion>4.0.0</modelVersion><parent><groupId>org.jsoup</groupId><artifactId>jsoup</artifactId><version>1.15.3</version></parent>
  <artifactId>child</artifactId><groupId>org.example</groupId><version>1.0</version><packaging>pom</packaging>
  <name>Child</name><description>Inherits the rest.</description></project>\n`,
    );
    await gpg.sign(join(version, "child-1.0.pom"));
    writeChecksums(version);
    writeFileSync(join(stage, "org/example/child/maven-metadata.xml"), metadata("org.example", "child", "1.0"));
    writeChecksums(join(stage, "org/example/child"));
    const inherited = ["central/url", "central/licenses", "central/developers", "central/scm-url"];

    const checked = await runCliProcess(["check", "--json", "--from", stage, "--policy", "central", "--trusted-keys", keys]);
    assert.equal(checked.code, 0, checked.stdout);
    const warnings = JSON.parse(checked.stdout).warnings;
    assert.deepEqual(warnings.map((warning: { rule: string }) => warning.rule).sort(), [...inherited].sort());
    for (const warning of warnings) assert.match(warning.message, /the parent org\.jsoup:jsoup:1\.15\.3 is not in the stage, so what it gives was not checked\)$/);

    // The target holds the parent: plan reads it there, and nothing is left to warn about.
    const target = makeTempDir();
    const parentDirectory = join(target, "org/jsoup/jsoup/1.15.3");
    mkdirSync(parentDirectory, { recursive: true });
    writeFileSync(join(parentDirectory, "jsoup-1.15.3.pom"), execFileSync("unzip", ["-p", JSOUP_JAR, "META-INF/maven/org.jsoup/jsoup/pom.xml"]));
    const planned = await runCliProcess(["plan", "--json", "--from", stage, "--to", target, "--policy", "central"]);
    assert.equal(planned.code, 0, planned.stdout + planned.stderr);
    assert.deepEqual(JSON.parse(planned.stdout).warnings.filter((warning: { rule?: string }) => warning.rule !== undefined), []);
  });

  it("plan and promote --policy central refuse the rejected stage (exit 4, target unchanged) and promote the compliant one", async () => {
    const target = makeTempDir();
    mkdirSync(join(target, "org"), { recursive: true });
    const before = treeFingerprint(target);
    for (const command of ["plan", "promote"]) {
      const refused = await runCliProcess([command, "--json", "--from", rejected, "--to", target, "--policy", "central"]);
      assert.equal(refused.code, 4, refused.stderr);
      const json = JSON.parse(refused.stdout);
      const policyErrors = json.errors.filter((error: { code: string }) => error.code === "ERR_POLICY");
      assert.deepEqual(policyErrors.map((error: { message: string; rule: string }) => `${error.message} [${error.rule}]`).sort(), [...CENTRAL_REASONS].sort());
    }
    assert.deepEqual(treeFingerprint(target), before);
    const promoted = await runCliProcess(["promote", "--json", "--from", compliant, "--to", target, "--policy", "central", "--trusted-keys", keys]);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(JSON.parse(promoted.stdout).state, "committed");
    rmSync(target, { recursive: true, force: true });
  });
});
