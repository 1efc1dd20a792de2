// The plan phase over real directory trees: what it finds, what it refuses, and that it never
// writes to either repository.
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as openpgp from "openpgp";
import { plan, type PlanOptions } from "../../../src/api.js";
import { loadSigningKey, loadTrustedKeys, verifyDetachedSignature } from "../../../src/integrity/pgp.js";
import { printablePath } from "../../../src/maven/repository-path.js";
import type { Plan } from "../../../src/plan/plan-types.js";
import { copyRepoFixture, makeTempDir, removeTempDirs, treeFingerprint } from "../../helpers/temp-repos.js";

const NOW = new Date("2026-11-22T10:15:00Z");
const DEMO = "org/example/demo";

async function planFixture(name: string, options: Partial<PlanOptions> = {}, mutate?: (dirs: { staging: string; target: string }) => void) {
  const dirs = copyRepoFixture(name);
  mutate?.(dirs);
  const before = { staging: treeFingerprint(dirs.staging), target: treeFingerprint(dirs.target) };
  const result = await plan({ from: dirs.staging, to: dirs.target, now: NOW, ...options });
  // Invariant: planning reads both repositories and writes neither, whatever it finds.
  assert.deepEqual(treeFingerprint(dirs.staging), before.staging, "the staging tree is unchanged");
  assert.deepEqual(treeFingerprint(dirs.target), before.target, "the target tree is unchanged");
  return { result, ...dirs };
}

function errorCodes(result: Plan): string[] {
  return result.errors.map((error) => error.code);
}

function findError(result: Plan, code: string) {
  const error = result.errors.find((candidate) => candidate.code === code);
  assert.ok(error, `expected ${code} among ${JSON.stringify(result.errors)}`);
  return error;
}

describe("plan", () => {
  afterEach(removeTempDirs);

  describe("a clean release", () => {
    it("adds the version, recomputes release/latest, and lists every upload", async () => {
      const { result } = await planFixture("basic");
      assert.equal(result.ok, true, JSON.stringify(result.errors));
      assert.equal(result.lastUpdated, "20261122101500");
      assert.match(result.id, /^20261122T101500Z-[0-9a-f]{4}$/);
      const [entry] = result.metadata;
      assert.equal(result.metadata.length, 1);
      assert.equal(entry!.path, `${DEMO}/maven-metadata.xml`);
      assert.equal(entry!.kind, "artifact");
      assert.deepEqual(entry!.versionsAdded, ["1.2"]);
      assert.deepEqual(entry!.release, { before: "1.1", after: "1.2" });
      assert.deepEqual(entry!.latest, { before: "1.1", after: "1.2" });
      assert.deepEqual(entry!.checksums, ["md5", "sha1"]);
      assert.match(entry!.content, /<version>1\.0<\/version>\s*<version>1\.1<\/version>\s*<version>1\.2<\/version>/);
      assert.match(entry!.content, /<lastUpdated>20261122101500<\/lastUpdated>/);
      const paths = result.uploads.map((upload) => upload.path);
      assert.deepEqual(paths, [
        `${DEMO}/1.2/demo-1.2-sources.jar`,
        `${DEMO}/1.2/demo-1.2-sources.jar.md5`,
        `${DEMO}/1.2/demo-1.2-sources.jar.sha1`,
        `${DEMO}/1.2/demo-1.2.jar`,
        `${DEMO}/1.2/demo-1.2.jar.md5`,
        `${DEMO}/1.2/demo-1.2.jar.sha1`,
        `${DEMO}/1.2/demo-1.2.pom`,
        `${DEMO}/1.2/demo-1.2.pom.md5`,
        `${DEMO}/1.2/demo-1.2.pom.sha1`,
        `${DEMO}/maven-metadata.xml`,
        `${DEMO}/maven-metadata.xml.md5`,
        `${DEMO}/maven-metadata.xml.sha1`,
      ]);
      const jar = result.uploads.find((upload) => upload.path.endsWith("demo-1.2.jar"))!;
      assert.equal(jar.size, readFileSync(jar.localPath!).length);
      const md5 = result.uploads.find((upload) => upload.path === `${DEMO}/maven-metadata.xml.md5`)!;
      assert.equal(md5.content, entry!.digests.md5);
    });

    it("generates the checksums a stage lacks, and the extra ones asked for", async () => {
      const { result } = await planFixture("basic", { checksums: ["sha256"] }, ({ staging }) => {
        unlinkSync(join(staging, DEMO, "1.2/demo-1.2.jar.md5"));
      });
      assert.equal(result.ok, true, JSON.stringify(result.errors));
      const generated = result.uploads.filter((upload) => upload.origin === "generated").map((upload) => upload.path);
      assert.ok(generated.includes(`${DEMO}/1.2/demo-1.2.jar.md5`));
      assert.ok(generated.includes(`${DEMO}/1.2/demo-1.2.jar.sha256`));
      assert.ok(!generated.includes(`${DEMO}/1.2/demo-1.2.jar.sha1`), "a staged checksum is not generated again");
      assert.deepEqual(result.metadata[0]!.checksums, ["md5", "sha1", "sha256"]);
    });

    it("writes every checksum the target had beside its metadata", async () => {
      const { result } = await planFixture("basic", {}, ({ target }) => {
        writeFileSync(join(target, DEMO, "maven-metadata.xml.sha512"), "0".repeat(128));
      });
      assert.deepEqual(result.metadata[0]!.checksums, ["md5", "sha1", "sha512"]);
      assert.ok(result.warnings.some((warning) => /maven-metadata\.xml\.sha512: does not match/.test(warning.message)));
    });

    it("plans a new artifact whose stage has no maven-metadata.xml", async () => {
      const { result } = await planFixture("basic", {}, ({ staging }) => {
        for (const name of ["maven-metadata.xml", "maven-metadata.xml.md5", "maven-metadata.xml.sha1"]) unlinkSync(join(staging, DEMO, name));
      });
      assert.equal(result.ok, true, JSON.stringify(result.errors));
      assert.deepEqual(result.metadata[0]!.versionsAdded, ["1.2"]);
    });

    it("merges plugin group metadata and names the group", async () => {
      const { result } = await planFixture("plugin");
      assert.equal(result.ok, true, JSON.stringify(result.errors));
      const group = result.metadata.find((entry) => entry.kind === "group")!;
      assert.equal(group.groupId, "org.example.plugins");
      assert.deepEqual(group.pluginsAdded, [{ prefix: "demo", artifactId: "demo-maven-plugin", name: "Demo Maven Plugin" }]);
      assert.match(group.content, /<prefix>other<\/prefix>[\s\S]*<prefix>demo<\/prefix>/);
    });

    it("adds new timestamped files to an existing SNAPSHOT and merges its metadata", async () => {
      const { result } = await planFixture("snapshot");
      assert.equal(result.ok, true, JSON.stringify(result.errors));
      const version = result.versions[0]!;
      assert.equal(version.state, "update");
      assert.equal(version.snapshot, true);
      const snapshot = result.metadata.find((entry) => entry.kind === "snapshot")!;
      assert.equal(snapshot.version, "2.0-SNAPSHOT");
      assert.match(snapshot.content, /<timestamp>20261122\.090000<\/timestamp>\s*<buildNumber>4<\/buildNumber>/);
      const artifact = result.metadata.find((entry) => entry.kind === "artifact")!;
      assert.equal(artifact.changed, false, "the artifact-level file already lists 2.0-SNAPSHOT");
      assert.ok(!result.uploads.some((upload) => upload.path === "org/example/snap/maven-metadata.xml"));
    });
  });

  describe("release immutability", () => {
    it("refuses a re-staged release whose bytes differ", async () => {
      const { result } = await planFixture("basic", {}, ({ staging, target }) => {
        rmSync(join(staging, DEMO), { recursive: true });
        mkdirSync(join(staging, DEMO), { recursive: true });
        // 1.1 is on the target; stage it again with a different jar.
        for (const name of ["demo-1.1.pom", "demo-1.1.pom.md5", "demo-1.1.pom.sha1"]) {
          mkdirSync(join(staging, DEMO, "1.1"), { recursive: true });
          writeFileSync(join(staging, DEMO, "1.1", name), readFileSync(join(target, DEMO, "1.1", name)));
        }
        writeFileSync(join(staging, DEMO, "1.1/demo-1.1.jar"), "different bytes");
      });
      assert.equal(result.ok, false);
      const error = findError(result, "ERR_RELEASE_EXISTS");
      assert.equal(error.path, `${DEMO}/1.1`);
      assert.match(error.message, /org\.example:demo:1\.1 is already on the target and 1 staged file\(s\) differ.*demo-1\.1\.jar/);
    });

    it("skips a re-staged release that is byte-identical", async () => {
      const { result } = await planFixture("basic", {}, ({ staging, target }) => {
        rmSync(join(staging, DEMO, "1.2"), { recursive: true });
        mkdirSync(join(staging, DEMO, "1.1"), { recursive: true });
        for (const name of ["demo-1.1.pom", "demo-1.1.jar", "demo-1.1.jar.sha1"]) {
          writeFileSync(join(staging, DEMO, "1.1", name), readFileSync(join(target, DEMO, "1.1", name)));
        }
        rmSync(join(staging, DEMO, "maven-metadata.xml"));
        rmSync(join(staging, DEMO, "maven-metadata.xml.md5"));
        rmSync(join(staging, DEMO, "maven-metadata.xml.sha1"));
      });
      assert.equal(result.ok, true, JSON.stringify(result.errors));
      assert.equal(result.versions[0]!.state, "identical");
      assert.equal(result.uploads.length, 0, JSON.stringify(result.uploads));
      assert.equal(result.skipped.length, 3);
      assert.equal(result.metadata[0]!.changed, false);
    });
  });

  describe("refusals, each naming its file", () => {
    it("a checksum that does not match", async () => {
      const { result } = await planFixture("basic", {}, ({ staging }) => appendFileSync(join(staging, DEMO, "1.2/demo-1.2.jar"), "tampered"));
      const error = findError(result, "ERR_CHECKSUM_MISMATCH");
      assert.equal(error.path, `${DEMO}/1.2/demo-1.2.jar`);
      assert.match(error.message, /demo-1\.2\.jar: its (md5|sha1) is [0-9a-f]+ but demo-1\.2\.jar\.(md5|sha1) says/);
      assert.equal(errorCodes(result).filter((code) => code === "ERR_CHECKSUM_MISMATCH").length, 2, "md5 and sha1 both reported");
    });

    it("a checksum file that is not a checksum", async () => {
      const { result } = await planFixture("basic", {}, ({ staging }) => writeFileSync(join(staging, DEMO, "1.2/demo-1.2.pom.sha1"), "not hex at all"));
      assert.equal(findError(result, "ERR_CHECKSUM_FORMAT").path, `${DEMO}/1.2/demo-1.2.pom.sha1`);
    });

    it("a POM whose coordinates disagree with its path", async () => {
      const { result } = await planFixture("basic", {}, ({ staging }) => {
        const pom = join(staging, DEMO, "1.2/demo-1.2.pom");
        writeFileSync(pom, readFileSync(pom, "utf8").replace("<groupId>org.example</groupId>", "<groupId>org.evil</groupId>"));
        unlinkSync(pom + ".md5");
        unlinkSync(pom + ".sha1");
      });
      const error = findError(result, "ERR_POM_MISMATCH");
      assert.match(error.message, /demo-1\.2\.pom: groupId is "org\.evil" but its path says "org\.example"/);
    });

    it("a version directory without a POM", async () => {
      const { result } = await planFixture("basic", {}, ({ staging }) => {
        for (const suffix of ["", ".md5", ".sha1"]) unlinkSync(join(staging, DEMO, `1.2/demo-1.2.pom${suffix}`));
      });
      assert.equal(findError(result, "ERR_POM_MISSING").path, `${DEMO}/1.2`);
    });

    it("staged metadata whose groupId disagrees with its path", async () => {
      const { result } = await planFixture("basic", {}, ({ staging }) => {
        const file = join(staging, DEMO, "maven-metadata.xml");
        writeFileSync(file, readFileSync(file, "utf8").replace("<groupId>org.example</groupId>", "<groupId>com.other</groupId>"));
        unlinkSync(file + ".md5");
        unlinkSync(file + ".sha1");
      });
      const error = findError(result, "ERR_METADATA_MISMATCH");
      assert.equal(error.message, `${DEMO}/maven-metadata.xml: groupId is "com.other" but its path says "org.example"`);
    });

    it("broken target metadata, named as the target's", async () => {
      const { result } = await planFixture("basic", {}, ({ target }) => writeFileSync(join(target, DEMO, "maven-metadata.xml"), "\0".repeat(64)));
      const error = findError(result, "ERR_METADATA_PARSE");
      assert.equal(error.message, `target ${DEMO}/maven-metadata.xml: file contains NUL bytes, so it is not XML`);
    });

    it("staged metadata listing a version that exists nowhere", async () => {
      const { result } = await planFixture("basic", {}, ({ staging }) => {
        const file = join(staging, DEMO, "maven-metadata.xml");
        writeFileSync(file, readFileSync(file, "utf8").replace("<version>1.2</version>", "<version>1.2</version><version>1.3</version>"));
        unlinkSync(file + ".md5");
        unlinkSync(file + ".sha1");
      });
      assert.match(findError(result, "ERR_VERSION_MISSING").message, /lists version 1\.3, which is neither staged nor on the target/);
    });

    it("files outside Maven's layout and local-repository files", async () => {
      const { result } = await planFixture("basic", {}, ({ staging }) => {
        writeFileSync(join(staging, "README.txt"), "hello");
        writeFileSync(join(staging, DEMO, "maven-metadata-local.xml"), "<metadata/>");
        writeFileSync(join(staging, DEMO, "1.2/other-1.2.jar.sha1"), "0".repeat(40));
      });
      const strays = result.errors.filter((error) => error.code === "ERR_STRAY_FILE").map((error) => error.path).sort();
      assert.deepEqual(strays, ["README.txt", `${DEMO}/1.2/other-1.2.jar.sha1`, `${DEMO}/maven-metadata-local.xml`]);
    });

    for (const [label, name] of [
      ["a space", "demo 1.2.jar"],
      ["a quote", "demo-1.2'.jar"],
      ["a command substitution", "demo-$(touch pwned).jar"],
      ["backticks", "demo-`id`.jar"],
      ["a newline", "demo-1.2\n.jar"],
      ["a leading dash", "-rf"],
      ["a .rip suffix", "demo-1.2.jar.rip"],
    ] as const) {
      it(`a name with ${label}`, async () => {
        const { result } = await planFixture("basic", {}, ({ staging }) => writeFileSync(join(staging, DEMO, "1.2", name), "x"));
        const error = findError(result, "ERR_UNSAFE_PATH");
        const printable = printablePath(name).replace(/^"|"$/g, ""); // control characters shown escaped
        assert.ok(error.message.includes(printable), error.message);
        assert.doesNotMatch(error.message, /[\u0000-\u001f]/, "no raw control characters");
        assert.doesNotMatch(error.message, /\n/, "the message stays on one line");
      });
    }

    it("a link that leaves the staging repository", async () => {
      const outside = makeTempDir();
      writeFileSync(join(outside, "secret.jar"), "secret");
      const { result } = await planFixture("basic", {}, ({ staging }) => symlinkSync(join(outside, "secret.jar"), join(staging, DEMO, "1.2/demo-1.2-evil.jar")));
      assert.match(findError(result, "ERR_UNSAFE_PATH").message, /demo-1\.2-evil\.jar: is a link that leaves the staging repository/);
    });

    it("follows a link that stays inside the staging repository", async () => {
      const { result } = await planFixture("basic", {}, ({ staging }) => {
        symlinkSync(join(staging, DEMO, "1.2/demo-1.2.jar"), join(staging, DEMO, "1.2/demo-1.2-copy.jar"));
      });
      assert.equal(result.ok, true, JSON.stringify(result.errors));
      assert.ok(result.uploads.some((upload) => upload.path.endsWith("demo-1.2-copy.jar")));
    });

    it("an empty staging repository", async () => {
      const empty = makeTempDir();
      const target = makeTempDir();
      const result = await plan({ from: empty, to: target, now: NOW });
      assert.equal(result.ok, false);
      assert.equal(findError(result, "ERR_EMPTY_STAGING").path, empty);
    });

    it("reports every problem of one run together", async () => {
      const { result } = await planFixture("basic", {}, ({ staging }) => {
        appendFileSync(join(staging, DEMO, "1.2/demo-1.2.jar"), "tampered");
        writeFileSync(join(staging, "stray.txt"), "x");
        writeFileSync(join(staging, DEMO, "1.2/bad name.jar"), "x");
      });
      assert.deepEqual([...new Set(errorCodes(result))].sort(), ["ERR_CHECKSUM_MISMATCH", "ERR_STRAY_FILE", "ERR_UNSAFE_PATH"]);
    });
  });

  describe("signatures", () => {
    async function makeKey(name: string) {
      const { privateKey, publicKey } = await openpgp.generateKey({ type: "curve25519", userIDs: [{ name, email: `${name}@example.org` }], format: "armored" });
      return { privateKey, publicKey, signer: await loadSigningKey(privateKey, undefined, `${name}.asc`) };
    }

    it("verifies staged .asc files against trusted keys and refuses a bad one", async () => {
      const releaser = await makeKey("releaser");
      const stranger = await makeKey("stranger");
      const trustedKeys = await loadTrustedKeys(releaser.publicKey, "trusted.asc");
      const signAll = async (staging: string, signer: typeof releaser.signer) => {
        for (const name of ["demo-1.2.pom", "demo-1.2.jar", "demo-1.2-sources.jar"]) {
          const file = join(staging, DEMO, "1.2", name);
          writeFileSync(file + ".asc", await signer.sign(readFileSync(file)));
        }
      };
      const good = copyRepoFixture("basic");
      await signAll(good.staging, releaser.signer);
      const goodPlan = await plan({ from: good.staging, to: good.target, now: NOW, trustedKeys, requireSignatures: true });
      assert.equal(goodPlan.ok, true, JSON.stringify(goodPlan.errors));
      assert.equal(goodPlan.signatures.verified, 3);
      assert.ok(goodPlan.uploads.some((upload) => upload.path.endsWith("demo-1.2.jar.asc") && upload.kind === "signature"));

      const bad = copyRepoFixture("basic");
      await signAll(bad.staging, stranger.signer);
      const badPlan = await plan({ from: bad.staging, to: bad.target, now: NOW, trustedKeys });
      const error = findError(badPlan, "ERR_SIGNATURE_INVALID");
      assert.match(error.message, /\.asc: signed by unknown key 0x[0-9A-F]+/);
    });

    it("--require-signatures refuses unsigned artifacts", async () => {
      const { result } = await planFixture("basic", { requireSignatures: true });
      assert.equal(result.errors.filter((error) => error.code === "ERR_SIGNATURE_MISSING").length, 3);
    });

    it("signs merged metadata with a fresh detached signature", async () => {
      const releaser = await makeKey("releaser");
      const { result } = await planFixture("basic", { signer: releaser.signer });
      const entry = result.metadata[0]!;
      assert.equal(entry.signature, "sign");
      const trusted = await loadTrustedKeys(releaser.publicKey, "trusted.asc");
      const verified = await verifyDetachedSignature(Buffer.from(entry.content), entry.signatureContent!, trusted, "x");
      assert.equal(verified.ok, true);
      assert.ok(result.uploads.some((upload) => upload.path === `${DEMO}/maven-metadata.xml.asc`));
    });

    it("removes a stale target .asc when no key is given, and says so", async () => {
      const { result } = await planFixture("basic", {}, ({ target }) => writeFileSync(join(target, DEMO, "maven-metadata.xml.asc"), "old signature"));
      assert.equal(result.metadata[0]!.signature, "remove");
      assert.deepEqual(result.removals, [`${DEMO}/maven-metadata.xml.asc`]);
      assert.ok(result.warnings.some((warning) => /maven-metadata\.xml\.asc: would be stale/.test(warning.message)));
    });

    it("--require-metadata-signatures refuses to write unsigned metadata", async () => {
      const { result } = await planFixture("basic", { requireMetadataSignatures: true });
      assert.equal(findError(result, "ERR_METADATA_SIGNATURE_REQUIRED").path, `${DEMO}/maven-metadata.xml`);
    });
  });

  describe("metadata modes", () => {
    it("flags a backport in computed mode and follows Maven in maven mode", async () => {
      const mutate = ({ staging }: { staging: string }) => {
        rmSync(join(staging, DEMO), { recursive: true });
        const dir = join(staging, DEMO, "1.0.1");
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "demo-1.0.1.pom"), "<project><groupId>org.example</groupId><artifactId>demo</artifactId><version>1.0.1</version></project>");
        writeFileSync(
          join(staging, DEMO, "maven-metadata.xml"),
          "<metadata><groupId>org.example</groupId><artifactId>demo</artifactId><versioning><latest>1.0.1</latest><release>1.0.1</release><versions><version>1.0.1</version></versions><lastUpdated>20261122090000</lastUpdated></versioning></metadata>",
        );
      };
      const computed = (await planFixture("basic", {}, mutate)).result.metadata[0]!;
      assert.equal(computed.backport, true);
      assert.deepEqual(computed.release, { before: "1.1", after: "1.1" });
      const maven = (await planFixture("basic", { metadataMode: "maven" }, mutate)).result.metadata[0]!;
      assert.deepEqual(maven.release, { before: "1.1", after: "1.0.1" });
    });
  });

  describe("locations", () => {
    it("accepts file:// URLs", async () => {
      const dirs = copyRepoFixture("basic");
      const result = await plan({ from: `file://${dirs.staging}`, to: `file://${dirs.target}`, now: NOW });
      assert.equal(result.ok, true, JSON.stringify(result.errors));
    });

    it("refuses a target that is not a directory, naming --to", async () => {
      const dirs = copyRepoFixture("basic");
      await assert.rejects(plan({ from: dirs.staging, to: join(dirs.root, "missing"), now: NOW }), (error: Error & { code?: string }) => {
        assert.equal(error.code, "ERR_REPOSITORY_NOT_FOUND");
        assert.match(error.message, /^--to .*missing: target repository .* is not a directory$/);
        return true;
      });
    });
  });
});
