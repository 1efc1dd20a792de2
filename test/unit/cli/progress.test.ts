// Upload progress: one redrawn line on a terminal, nothing in CI logs.
import assert from "node:assert/strict";
import type { CliIo } from "../../../src/cli/io.js";
import { uploadProgress } from "../../../src/cli/progress.js";
import { runCliProcess } from "../../helpers/cli.js";
import { copyRepoFixture, removeTempDirs } from "../../helpers/temp-repos.js";

function capture(): { io: CliIo; text: () => string } {
  let out = "";
  return { io: { stdout: (text) => void (out += text), stderr: () => {}, env: {}, isTty: true }, text: () => out };
}

describe("upload progress", () => {
  afterEach(removeTempDirs);

  it("redraws one line on a terminal and ends it", () => {
    const { io, text } = capture();
    const progress = uploadProgress(io, true);
    progress.update(0, 2048);
    progress.update(2048, 2048);
    progress.done();
    assert.match(text(), /^\rUploading: +0% {2}0 B of 2\.0 KiB +\rUploading: 100% {2}2\.0 KiB of 2\.0 KiB +\n$/);
  });

  it("prints nothing when disabled (stdout is not a terminal)", () => {
    const { io, text } = capture();
    const progress = uploadProgress(io, false);
    progress.update(1, 2);
    progress.done();
    assert.equal(text(), "");
  });

  it("the CLI stays quiet in a pipe", async () => {
    const dirs = copyRepoFixture("basic");
    const result = await runCliProcess(["promote", "--from", dirs.staging, "--to", dirs.target]);
    assert.equal(result.code, 0);
    assert.doesNotMatch(result.stdout, /Uploading/);
    assert.match(result.stdout, /^Metadata window: at most \d+\.\d\d ms per metadata file between its checksums and itself \(1 file, \d+\.\d\d ms in all\)\.$/m);
  });
});
