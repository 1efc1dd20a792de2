// The read-back after a commit goes a batch at a time (issue 18, part 4: memory that does not
// grow with the release): 2,048 metadata files and 8,192 other files at once. A release larger
// than both batches, with one file damaged past each batch's edge, proves that no batch is
// skipped and that each problem is named once.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeExampleRepositories } from "../../../scripts/example-repository.js";
import { promote } from "../../../src/promotion/promote.js";
import { verifyPromotion } from "../../../src/promotion/verify-promotion.js";
import { LocalTransport } from "../../../src/transport/local-transport.js";
import { makeTempDir, removeTempDirs } from "../../helpers/temp-repos.js";

describe("verifyPromotion, a batch at a time", function () {
  this.timeout(300_000);
  after(removeTempDirs);

  it("finds a damaged metadata file past the first 2,048 and a damaged jar past the first 8,192 files, and nothing else", async () => {
    const repos = writeExampleRepositories(makeTempDir(), { extraArtifacts: 2100 });
    const result = await promote({ stagingDirectory: repos.staging, target: new LocalTransport(repos.target), remoteRoot: repos.target, executor: "transport", now: new Date("2026-11-22T10:15:00Z") });
    assert.equal(result.state, "committed");
    assert.deepEqual(result.verifyProblems, []);

    const changed = result.plan.metadata.filter((entry) => entry.changed);
    const files = result.plan.uploads.filter((upload) => upload.origin !== "merged");
    assert.ok(changed.length > 2048 && files.length > 8192, `${changed.length} metadata files, ${files.length} files: more than one batch of each`);
    const metadata = changed[2050]!.path;
    writeFileSync(join(repos.target, metadata), readFileSync(join(repos.target, metadata), "utf8").replace("<metadata", "<metadata "));
    const jar = files.slice(8200).find((upload) => upload.path.endsWith(".jar"))!;
    const bytes = readFileSync(join(repos.target, jar.path));
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(join(repos.target, jar.path), bytes);

    const problems = await verifyPromotion(result.plan, new LocalTransport(repos.target));
    assert.deepEqual(problems.sort(), [`${jar.path}: content differs from the staged file`, `${metadata}: differs from the merged file the plan wrote`].sort());
  });
});
