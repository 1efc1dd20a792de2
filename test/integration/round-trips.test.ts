// Round trips that do not grow with the release (issue 9): the same promotion of 10 and of 60
// artifacts over SFTP to a real sshd, counted by the transport (`--json` "network"). With a
// shell, every read of the target is batched and the bundle streams, so six times the artifacts
// cost no more than a few round trips more. Without a shell the windows (64 uploads, 128
// fsyncs, 64 read-backs in flight) make it grow slowly: checked to stay under one per 4 files.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeRelease } from "../../scripts/bench-release.js";
import { runCliProcess } from "../helpers/cli.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { makeTempDir, removeTempDirs } from "../helpers/temp-repos.js";

interface Counted {
  roundTrips: number;
  requests: number;
  files: number;
}

describe("integration: round trips do not grow with the release", function () {
  this.timeout(300_000);
  let server: SshServer;

  before(async function () {
    skipWithoutSshd(this);
    server = await startSshd();
  });
  after(async () => {
    await server?.stop();
    removeTempDirs();
  });

  async function promoteCounted(artifacts: number, extra: string[]): Promise<Counted> {
    const root = makeTempDir();
    const release = writeRelease(join(root, "staging"), artifacts, 0.02);
    const target = join(root, "target");
    mkdirSync(target);
    const result = await runCliProcess([
      "promote", "--from", release.directory, "--to", `sftp://${server.user}@127.0.0.1:${server.port}${target}`,
      "--identity", server.clientKeyPath, "--known-hosts", server.knownHostsPath, "--json", ...extra,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { state: string; network: { roundTrips: number; requests: number } };
    assert.equal(report.state, "committed");
    return { ...report.network, files: release.files };
  }

  it("with a shell: 60 artifacts need at most 15 round trips more than 10 artifacts", async () => {
    const small = await promoteCounted(10, []);
    const large = await promoteCounted(60, []);
    assert.ok(large.requests > small.requests, "more files, more requests");
    assert.ok(large.roundTrips <= small.roundTrips + 15, `10 artifacts: ${small.roundTrips} round trips; 60 artifacts: ${large.roundTrips}`);
  });

  it("without a shell (--sftp-only): fewer than one more round trip per 4 more files", async () => {
    const small = await promoteCounted(10, ["--sftp-only"]);
    const large = await promoteCounted(60, ["--sftp-only"]);
    const growth = large.roundTrips - small.roundTrips;
    assert.ok(growth < (large.files - small.files) / 4, `10 artifacts: ${small.roundTrips} round trips; 60 artifacts: ${large.roundTrips} (${large.files - small.files} more files)`);
  });
});
