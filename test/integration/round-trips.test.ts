// Round trips that do not grow with the release (issue 9): the same promotion of 10 and of 60
// artifacts over SFTP to a real sshd, counted by the transport (`--json` "network"). With a
// shell, every read of the target is batched and the bundle streams, so six times the artifacts
// cost no more than a few round trips more. Without a shell (issue 18), every request that
// holds no handle is in flight at once (stats, renames, links), and what needs a file open (the
// upload, fsyncs, read-backs) is a window of chains as wide as the server's handles allow (4,096
// at most): ten times the files cost a few round trips more, for the upload alone and for the
// whole promotion, and a server that refuses opens past its descriptor limit gets every file
// all the same.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { writeRelease } from "../../scripts/bench-release.js";
import { openSftpTransport } from "../../src/connect/open-sftp.js";
import type { SftpTransport } from "../../src/transport/sftp-transport.js";
import type { UploadFile } from "../../src/transport/transport.js";
import { runCliProcess } from "../helpers/cli.js";
import { skipWithoutSshd, startSshd, type SshServer } from "../helpers/sshd.js";
import { makeTempDir, removeTempDirs } from "../helpers/temp-repos.js";

interface Counted {
  roundTrips: number;
  requests: number;
  /** SSH channels opened on the target's connection. */
  channels: number;
  byPhase: Record<string, number>;
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

  /** Round trips of a promotion of `artifacts` artifacts; `existing`: into a target holding their 1.0.0 (the release is 1.0.1). */
  async function promoteCounted(artifacts: number, extra: string[], existing = false): Promise<Counted> {
    const root = makeTempDir();
    const target = join(root, "target");
    if (existing) writeRelease(target, artifacts, 0.02);
    else mkdirSync(target);
    const release = writeRelease(join(root, "staging"), artifacts, 0.02, existing ? "1.0.1" : "1.0.0");
    const result = await runCliProcess([
      "promote", "--from", release.directory, "--to", `sftp://${server.user}@127.0.0.1:${server.port}${target}`,
      "--identity", server.clientKeyPath, "--known-hosts", server.knownHostsPath, "--json", ...extra,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { state: string; network: { roundTrips: number; requests: number; channels: number; byPhase: Record<string, number> } };
    assert.equal(report.state, "committed");
    if (existing) assert.match(readFileSync(join(target, "org/bench/lib0000/maven-metadata.xml"), "utf8"), /<version>1\.0\.0<\/version>\s*<version>1\.0\.1<\/version>/);
    return { ...report.network, files: release.files };
  }

  it("with a shell: 60 artifacts need at most 15 round trips more than 10 artifacts", async () => {
    const small = await promoteCounted(10, []);
    const large = await promoteCounted(60, []);
    assert.ok(large.requests > small.requests, "more files, more requests");
    assert.ok(large.roundTrips <= small.roundTrips + 15, `10 artifacts: ${small.roundTrips} round trips; 60 artifacts: ${large.roundTrips}`);
    // One login, two channels: SFTP and the shell session that runs every command, the tar
    // streamed through it (the default) or the zip's unzip (issue 18).
    assert.equal(large.channels, 2, "channels opened (tar streamed through the shell session)");
    const zipped = await promoteCounted(60, ["--unpack", "zip"]);
    assert.equal(zipped.channels, 2, "channels opened (zip bundle)");
    assert.ok(zipped.roundTrips <= small.roundTrips + 15, `10 artifacts: ${small.roundTrips} round trips; 60 zipped: ${zipped.roundTrips}`);
  });

  /** The files of a generated release of `artifacts` artifacts, each to go under a .rip version directory. */
  function releaseFiles(artifacts: number): UploadFile[] {
    const release = writeRelease(join(makeTempDir(), "staging"), artifacts, 0.02);
    const files: UploadFile[] = [];
    const walk = (directory: string): void => {
      for (const entry of readdirSync(directory, { withFileTypes: true })) {
        const path = join(directory, entry.name);
        if (entry.isDirectory()) walk(path);
        else files.push({ path: relative(release.directory, path).replace("/1.0.0/", "/1.0.0.rip/"), size: statSync(path).size, localPath: path });
      }
    };
    walk(release.directory);
    return files;
  }

  async function connect(target: string, sshd: SshServer = server): Promise<SftpTransport> {
    return openSftpTransport({
      host: "127.0.0.1", port: sshd.port, user: sshd.user, root: target, location: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${target}`,
      identityFile: sshd.clientKeyPath, knownHostsPath: sshd.knownHostsPath, acceptNewHostKey: false, sftpOnly: true,
    });
  }

  function assertUploaded(target: string, files: readonly UploadFile[]): void {
    for (const file of files) assert.ok(readFileSync(join(target, file.path)).equals(readFileSync(file.localPath!)), `${file.path} arrived whole`);
  }

  /** Round trips of uploadMany (the --sftp-only upload phase) of the files of `artifacts` artifacts into an empty target. */
  async function uploadCounted(artifacts: number): Promise<number> {
    const files = releaseFiles(artifacts);
    const target = makeTempDir();
    const transport = await connect(target);
    try {
      const before = transport.networkStats().roundTrips;
      await transport.uploadMany(files);
      const roundTrips = transport.networkStats().roundTrips - before;
      assertUploaded(target, files);
      return roundTrips;
    } finally {
      await transport.close();
    }
  }

  it("without a shell, the upload: 300 artifacts (4,500 files) need at most 8 round trips more than 30 (450 files)", async () => {
    const small = await uploadCounted(30);
    const large = await uploadCounted(300);
    // 450 files fit one window, 4,500 take 2 to 5 (a round trip each, by the server's descriptor
    // limit); the directories take 2 either way.
    assert.ok(small <= 6, `30 artifacts: ${small} round trips`);
    assert.ok(large <= small + 8, `30 artifacts: ${small} round trips; 300 artifacts: ${large}`);
  });

  it("without a shell, the upload: a server that refuses opens past its descriptor limit gets every file, the window shrunk", async () => {
    // sftp-server under `ulimit -n 40`, while the client is made to believe it allows 1,000 handles.
    const wrapper = join(makeTempDir(), "sftp-server-40");
    const sftpServer = ["/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server", "/usr/libexec/sftp-server"].find((path) => {
      try {
        return statSync(path).isFile();
      } catch {
        return false;
      }
    });
    assert.ok(sftpServer !== undefined, "OpenSSH's sftp-server is installed beside sshd");
    writeFileSync(wrapper, `#!/bin/sh\nulimit -n 40\nexec ${sftpServer} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const limited = await startSshd({ extraConfig: [`Subsystem sftp ${wrapper}`] });
    const files = releaseFiles(30);
    const target = makeTempDir();
    try {
      const transport = await connect(target, limited);
      try {
        const sftp = (transport as unknown as { client: { sftp: { maxOpenHandles?: number } } }).client.sftp;
        assert.equal(sftp.maxOpenHandles, 35, "limits@openssh.com says RLIMIT_NOFILE - 5");
        sftp.maxOpenHandles = 1000;
        await transport.uploadMany(files);
      } finally {
        await transport.close();
      }
      assertUploaded(target, files);
    } finally {
      await limited.stop();
    }
  });

  it("without a shell (--sftp-only), the whole promotion: 300 artifacts need at most 30 round trips more than 30, into a target holding their metadata", async () => {
    // Each artifact's metadata is read, backed up (3 files) and replaced, its version directory
    // moved, its 15 files written, fsync'ed and read back: one round trip per file would be
    // thousands more (before issue 18: 183 and 1,066). What needs a file open goes in windows
    // as wide as the server's handles: with sftp-server's usual 1,024 descriptors, 4,500 files
    // take 5 windows where 450 take one, in the upload, the fsyncs and the read-back (about 19
    // more in all); with 4,096 handles, 4 more.
    const small = await promoteCounted(30, ["--sftp-only"], true);
    const large = await promoteCounted(300, ["--sftp-only"], true);
    assert.equal(large.channels, 1, "channels opened (SFTP only)");
    assert.ok(large.requests > small.requests + 9 * (large.files - small.files), "every file is written, synced and read back");
    const phases = (counted: Counted): string => Object.entries(counted.byPhase ?? {}).map(([phase, trips]) => `${phase} ${trips}`).join(", ");
    assert.ok(large.roundTrips <= small.roundTrips + 30, `30 artifacts: ${small.roundTrips} round trips (${phases(small)}); 300 artifacts: ${large.roundTrips} (${phases(large)})`);
  });
});
