// `npm run bench`: speed and memory figures, each against a baseline measured in the same run
// (these machines are noisy). Not a test: it prints numbers and never fails on them.
//
//   1. digests: one streaming pass computing md5+sha1+sha256+sha512 vs four separate passes
//   2. memory: peak RSS growth while digesting a large artifact (must not hold the file)
//   3. promotion of a generated release (many files) to a local target
//   4. the same over SFTP to a real sshd: bundle + unzip (shell executor) vs file by file
//      (SFTP-only), with the metadata window of each
import { createHash } from "node:crypto";
import { appendFileSync, createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALL_ALGORITHMS, digestFile } from "../src/integrity/digests.js";
import { promote } from "../src/api.js";
import { startSshd, sshdAvailable } from "../test/helpers/sshd.js";
import { writeWithChecksums } from "./example-repository.js";

const root = mkdtempSync(join(tmpdir(), "maven-promote-bench-"));
const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 40);
const JAR_BYTES = Number(process.env.BENCH_JAR_BYTES ?? 1024 * 1024);

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function windowText(result: { metadataWindow?: { maxMs: number; totalMs: number; groups: number } }): string {
  const window = result.metadataWindow;
  return window === undefined ? "no window logged" : `window ≤ ${window.maxMs.toFixed(2)} ms per metadata file (${window.groups} files, ${window.totalMs.toFixed(1)} ms in all)`;
}

function line(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(58)} ${value}\n`);
}

async function separatePasses(path: string): Promise<void> {
  for (const algorithm of ALL_ALGORITHMS) {
    const hash = createHash(algorithm);
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    hash.digest("hex");
  }
}

/** A stage with VERSIONS artifacts (pom, jar, sources) and an empty target. */
function writeStage(dir: string): { staging: string; target: string; files: number; bytes: number } {
  const staging = join(dir, "staging");
  const target = join(dir, "target");
  mkdirSync(target, { recursive: true });
  let files = 0;
  let bytes = 0;
  const put = (path: string, data: Buffer | string): void => {
    writeWithChecksums(path, data);
    files += 3;
    bytes += Buffer.byteLength(data);
  };
  for (let index = 0; index < VERSIONS; index++) {
    const artifact = `lib${index}`;
    const base = join(staging, "org/bench", artifact, "1.0.0");
    put(join(base, `${artifact}-1.0.0.pom`), `<project><groupId>org.bench</groupId><artifactId>${artifact}</artifactId><version>1.0.0</version></project>`);
    put(join(base, `${artifact}-1.0.0.jar`), Buffer.alloc(JAR_BYTES, index));
    put(join(base, `${artifact}-1.0.0-sources.jar`), Buffer.alloc(JAR_BYTES / 4, index + 1));
  }
  return { staging, target, files, bytes };
}

try {
  process.stdout.write(`maven-promote benchmarks (node ${process.version}, ${VERSIONS} artifacts of ${(JAR_BYTES / 1048576).toFixed(1)} MiB)\n\n`);

  // 1 and 2: digests.
  const big = join(root, "big.jar");
  // Written in 1 MiB pieces, so that the peak RSS measured below is the digest's, not ours.
  const piece = Buffer.alloc(1024 * 1024, 7);
  writeFileSync(big, "");
  for (let index = 0; index < 256; index++) appendFileSync(big, piece);
  const peakBefore = process.resourceUsage().maxRSS;
  let start = process.hrtime.bigint();
  await digestFile(big, ALL_ALGORITHMS);
  const onePass = seconds(start);
  const rssGrowth = (process.resourceUsage().maxRSS - peakBefore) / 1024;
  start = process.hrtime.bigint();
  await separatePasses(big);
  const fourPasses = seconds(start);
  line("digest 256 MiB, 4 algorithms, one pass", `${onePass.toFixed(2)} s (${(256 / onePass).toFixed(0)} MiB/s)`);
  line("  baseline: four separate passes", `${fourPasses.toFixed(2)} s (${(256 / fourPasses).toFixed(0)} MiB/s)`);
  line("  peak RSS growth while digesting 256 MiB", `${rssGrowth.toFixed(1)} MiB`);
  rmSync(big);

  // 3: local promotion.
  const local = writeStage(join(root, "local"));
  start = process.hrtime.bigint();
  const localResult = await promote({ from: local.staging, to: local.target });
  const localTime = seconds(start);
  line(`promote ${local.files} files (${(local.bytes / 1048576).toFixed(0)} MiB) to a local directory`, `${localTime.toFixed(2)} s, ${windowText(localResult)}`);

  // 4: SFTP, bundle vs file by file.
  if (sshdAvailable()) {
    const server = await startSshd();
    try {
      for (const mode of ["shell", "sftp-only"] as const) {
        const dir = join(root, mode);
        cpSync(join(root, "local", "staging"), join(dir, "staging"), { recursive: true });
        mkdirSync(join(dir, "target"));
        start = process.hrtime.bigint();
        const phaseTimes: string[] = [];
        let phaseStart = process.hrtime.bigint();
        const result = await promote({
          onEvent: (event) => {
            if (event.type === "phase:start") phaseStart = process.hrtime.bigint();
            if (event.type === "phase:end") phaseTimes.push(`${event.phase} ${seconds(phaseStart).toFixed(2)}`);
          },
          from: join(dir, "staging"),
          to: `sftp://${server.user}@127.0.0.1:${server.port}${join(dir, "target")}`,
          ssh: { identityFile: server.clientKeyPath, knownHostsPath: server.knownHostsPath, sftpOnly: mode === "sftp-only" },
        });
        const label = mode === "shell" ? "promote over SFTP: one bundle + unzip (shell executor)" : "  baseline: file by file, SFTP renames (--sftp-only)";
        line(label, `${seconds(start).toFixed(2)} s, ${windowText(result)}`);
        line("    phases (s)", phaseTimes.join(", "));
      }
    } finally {
      await server.stop();
    }
  } else {
    line("promote over SFTP", "skipped: /usr/sbin/sshd is missing (scripts/install-test-deps.sh)");
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
