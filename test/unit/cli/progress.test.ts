// Progress on stderr: a cli-progress bar on a terminal, a plain line per interval elsewhere,
// nothing with --quiet; never on stdout, where reports and --json go.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import type { CliIo } from "../../../src/cli/io.js";
import { phaseProgress, progressModeFor } from "../../../src/cli/progress.js";
import { runCliProcess } from "../../helpers/cli.js";
import { copyRepoFixture, removeTempDirs } from "../../helpers/temp-repos.js";

function capture(stderrIsTty: boolean): { io: CliIo; out: () => string; err: () => string; drawn: () => string } {
  let out = "";
  let err = "";
  let drawn = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      drawn += chunk.toString();
      done();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  stream.isTTY = true;
  stream.columns = 120;
  return {
    io: { stdout: (text) => void (out += text), stderr: (text) => void (err += text), env: {}, isTty: false, stderrIsTty, stderrStream: stream },
    out: () => out,
    err: () => err,
    drawn: () => drawn,
  };
}

describe("progress", () => {
  afterEach(removeTempDirs);

  it("the mode: a bar where stderr is a terminal, lines where it is not, nothing with --quiet", () => {
    assert.equal(progressModeFor(capture(true).io, false), "bar");
    assert.equal(progressModeFor(capture(false).io, false), "lines");
    assert.equal(progressModeFor(capture(true).io, true), "off");
  });

  it("on a terminal: a bar with the phase, bytes, rate and time left, drawn on stderr only", () => {
    const { io, out, drawn } = capture(true);
    const progress = phaseProgress(io, "bar");
    progress.update("uploading", 0, 4 * 1048576);
    progress.update("uploading", 4 * 1048576, 4 * 1048576);
    progress.done();
    assert.equal(out(), "");
    assert.match(drawn(), /uploading +\[[^\]]+\] 100% \| 4\.0 MiB of 4\.0 MiB \| [\d.]+ [KMG]?i?B\/s \| \S+ left/);
  });

  it("elsewhere: one plain line per interval, none before the first interval has passed", () => {
    const { io, err, drawn } = capture(false);
    let clock = 0;
    const progress = phaseProgress(io, "lines", { intervalMs: 10_000, now: () => clock });
    progress.update("digesting", 0, 100 * 1048576);
    clock = 5_000;
    progress.update("digesting", 10 * 1048576, 100 * 1048576);
    assert.equal(err(), "", "nothing within the first 10 s");
    clock = 10_000;
    progress.update("digesting", 50 * 1048576, 100 * 1048576);
    progress.done();
    assert.equal(err(), "digesting: 50% (50.0 MiB of 100.0 MiB, 5.0 MiB/s, about 10 s left)\n");
    assert.equal(drawn(), "");
  });

  it("--quiet: nothing at all", () => {
    const { io, err, drawn } = capture(true);
    const progress = phaseProgress(io, "off");
    progress.update("uploading", 1, 2);
    progress.done();
    assert.equal(err() + drawn(), "");
  });

  it("the CLI in a pipe: a short promotion prints its report on stdout and no progress", async () => {
    const dirs = copyRepoFixture("basic");
    const result = await runCliProcess(["promote", "--from", dirs.staging, "--to", dirs.target]);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, "");
    assert.match(result.stdout, /^Metadata window: at most \d+\.\d\d ms per metadata file between its checksums and itself \(1 file, \d+\.\d\d ms in all\)\.$/m);
  });
});
