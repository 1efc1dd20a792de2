// The rename list's order (what makes a promotion look atomic) and the shell rendering of it.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { propertyRuns } from "../../helpers/property-runs.js";
import { plan } from "../../../src/api.js";
import { buildRenameList, stagedItemsOf, type RenameStep } from "../../../src/promotion/rename-list.js";
import { renderRenameScript } from "../../../src/promotion/render-script.js";
import { shellQuote } from "../../../src/util/shell-quote.js";
import { copyRepoFixture, makeTempDir, removeTempDirs } from "../../helpers/temp-repos.js";

const NOW = new Date("2026-11-22T10:15:00Z");

function indexOf(steps: RenameStep[], predicate: (step: RenameStep) => boolean): number {
  const index = steps.findIndex(predicate);
  assert.ok(index >= 0, "step present");
  return index;
}

describe("rename list", () => {
  afterEach(removeTempDirs);

  it("moves every version into place before any metadata, checksums before each metadata file", async () => {
    const dirs = copyRepoFixture("plugin");
    const steps = buildRenameList(await plan({ from: dirs.staging, to: dirs.target, now: NOW }));
    assert.deepEqual(steps[0], { op: "state", state: "committing" });
    assert.deepEqual(steps.at(-1), { op: "state", state: "committed" });
    const moveDir = indexOf(steps, (step) => step.op === "move-dir");
    const firstMetadata = indexOf(steps, (step) => step.op === "move-file" && step.to.includes("maven-metadata.xml"));
    const lastBackup = steps.map((step) => step.op).lastIndexOf("backup");
    assert.ok(lastBackup < moveDir && moveDir < firstMetadata);
    for (const xml of ["org/example/plugins/maven-metadata.xml", "org/example/plugins/demo-maven-plugin/maven-metadata.xml"]) {
      const flip = indexOf(steps, (step) => step.op === "move-file" && step.to === xml);
      const sha1 = indexOf(steps, (step) => step.op === "move-file" && step.to === `${xml}.sha1`);
      assert.equal(flip, sha1 + 1, `${xml} flips right after its last checksum`);
    }
    // Deepest first: the artifact's file before its group's.
    assert.ok(
      indexOf(steps, (step) => step.op === "move-file" && step.to === "org/example/plugins/demo-maven-plugin/maven-metadata.xml") <
        indexOf(steps, (step) => step.op === "move-file" && step.to === "org/example/plugins/maven-metadata.xml"),
    );
  });

  it("stages new versions as one .rip directory and SNAPSHOT files as .rip files", async () => {
    const release = copyRepoFixture("basic");
    const releaseItems = stagedItemsOf(await plan({ from: release.staging, to: release.target, now: NOW }));
    assert.ok(releaseItems.some((item) => item.ripPath === "org/example/demo/1.2.rip/demo-1.2.jar"));
    assert.ok(releaseItems.some((item) => item.ripPath === "org/example/demo/maven-metadata.xml.rip"));
    const snapshot = copyRepoFixture("snapshot");
    const snapshotItems = stagedItemsOf(await plan({ from: snapshot.staging, to: snapshot.target, now: NOW }));
    assert.ok(snapshotItems.some((item) => item.ripPath === "org/example/snap/2.0-SNAPSHOT/snap-2.0-20261122.090000-4.jar.rip"));
  });
});

describe("shellQuote", () => {
  it("round-trips any string through a real sh, running nothing", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }).filter((text) => !text.includes("\0")), (text) => {
        const output = spawnSync("sh", ["-c", `printf '%s' ${shellQuote(text)}`], { encoding: "buffer" });
        assert.equal(output.status, 0);
        assert.equal(output.stdout.toString("utf8"), Buffer.from(text, "utf8").toString("utf8"));
      }),
      propertyRuns(150),
    );
  });

  it("refuses NUL, which no shell word can hold", () => {
    assert.throws(() => shellQuote("a\0b"), /NUL/);
  });
});

describe("rendered rename script", () => {
  afterEach(removeTempDirs);

  it("moves hostile names literally and executes nothing from them", () => {
    const root = makeTempDir();
    const hostile = ["it's", "$(touch pwned)", "`touch pwned2`", "a b", "new\nline", "-rf", "*"];
    const steps: RenameStep[] = [{ op: "state", state: "committing" }];
    for (const [index, name] of hostile.entries()) {
      mkdirSync(join(root, `d${index}`, `${name}.rip`), { recursive: true });
      writeFileSync(join(root, `d${index}`, `${name}.rip`, "f"), name);
      steps.push({ op: "move-dir", from: `d${index}/${name}.rip`, to: `d${index}/${name}` });
    }
    steps.push({ op: "state", state: "committed" });
    mkdirSync(join(root, ".maven-promote/x"), { recursive: true });
    const script = renderRenameScript({ id: "x", root, stateDirectory: ".maven-promote/x", steps });
    writeFileSync(join(root, "rename.sh"), script);
    execFileSync("sh", [join(root, "rename.sh")], { cwd: "/" });
    for (const [index, name] of hostile.entries()) {
      assert.equal(readFileSync(join(root, `d${index}`, name, "f"), "utf8"), name);
    }
    assert.equal(existsSync(join(root, "pwned")) || existsSync(join(root, "pwned2")) || existsSync("/pwned"), false);
  });

  it("is idempotent: a second run after success changes nothing and succeeds", () => {
    const root = makeTempDir();
    mkdirSync(join(root, "v.rip"));
    writeFileSync(join(root, "m.rip"), "new");
    writeFileSync(join(root, "m"), "old");
    mkdirSync(join(root, "s"), { recursive: true });
    const steps: RenameStep[] = [
      { op: "backup", path: "m" },
      { op: "move-dir", from: "v.rip", to: "v" },
      { op: "move-file", from: "m.rip", to: "m", replace: true },
    ];
    writeFileSync(join(root, "rename.sh"), renderRenameScript({ id: "x", root, stateDirectory: "s", steps }));
    execFileSync("sh", [join(root, "rename.sh")]);
    execFileSync("sh", [join(root, "rename.sh")]);
    assert.equal(readFileSync(join(root, "m"), "utf8"), "new");
    assert.equal(readFileSync(join(root, "s/backup/m"), "utf8"), "old", "the backup keeps the first run's original");
  });

  it("refuses to move a new version onto an existing directory", () => {
    const root = makeTempDir();
    mkdirSync(join(root, "v.rip"));
    mkdirSync(join(root, "v"));
    mkdirSync(join(root, "s"));
    writeFileSync(join(root, "rename.sh"), renderRenameScript({ id: "x", root, stateDirectory: "s", steps: [{ op: "move-dir", from: "v.rip", to: "v" }] }));
    const result = spawnSync("sh", [join(root, "rename.sh")], { encoding: "utf8" });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /v already exists; refusing to move v\.rip onto it/);
    assert.equal(existsSync(join(root, "v/v.rip")), false, "nothing was moved into it");
  });
});
