// The stage's scan and digests begun while the target's login runs (issue 18): the plan takes
// them for the same directory and checksums only, sees the progress made so far, and gets the
// warm-up's own error.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dropWarmStage, takeWarmStage, warmStage } from "../../../src/plan/stage-warmup.js";
import { makeTempDir, removeTempDirs } from "../../helpers/temp-repos.js";

describe("stage warm-up", () => {
  afterEach(() => {
    dropWarmStage();
    removeTempDirs();
  });

  function stage(): string {
    const root = makeTempDir();
    mkdirSync(join(root, "org/x/1.0"), { recursive: true });
    writeFileSync(join(root, "org/x/1.0/x-1.0.jar"), Buffer.alloc(300_000, 1));
    writeFileSync(join(root, "org/x/1.0/x-1.0.pom"), "<project/>");
    return root;
  }

  it("hands the scan and digests to the plan of the same directory and checksums, once, with the progress so far", async () => {
    const root = stage();
    warmStage(root, ["md5", "sha1"]);
    assert.equal(takeWarmStage(root, ["md5", "sha1", "sha256"]), undefined, "other checksums: not this warm-up");
    assert.equal(takeWarmStage(join(root, "org"), ["md5", "sha1"]), undefined, "another directory");
    const progress: number[] = [];
    const warm = await takeWarmStage(root, ["sha1", "md5"], (loaded) => progress.push(loaded));
    assert.ok(warm !== undefined);
    assert.deepEqual(warm.scan.files.map((file) => file.path).sort(), ["org/x/1.0/x-1.0.jar", "org/x/1.0/x-1.0.pom"]);
    assert.equal(warm.digests.get("org/x/1.0/x-1.0.pom")?.digests.sha1, createHash("sha1").update("<project/>").digest("hex"));
    assert.equal(progress.at(-1), 300_000 + "<project/>".length, "the progress reaches every staged byte");
    assert.equal(takeWarmStage(root, ["md5", "sha1"]), undefined, "taken once");
  });

  it("a warm-up that failed gives its error to the plan that takes it", async () => {
    const missing = join(makeTempDir(), "nowhere");
    warmStage(missing, ["md5", "sha1"]);
    await assert.rejects(takeWarmStage(missing, ["md5", "sha1"])!, /nowhere is not a directory/);
  });
});
