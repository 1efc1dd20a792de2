// `npm run bench`: maven-promote beside what release engineers would do instead, in one run, on
// the same generated release, into fresh directories on a private sshd (issue 9). Not a test: it
// prints numbers and never fails on them. These machines are noisy: read the ratios.
//
//   npm run bench -- [--artifacts 300] [--scale 1] [--runs 3] [--wan] [--wan-artifacts 100] [--wan-runs 1]
//                    [--rtt-ms 40] [--mbit 100] [--only tar,sftp,...] [--existing 10000] [--json] [--chart FILE.svg]
//
// Methods (each run alternates them in this order):
//   tar          tar c | ssh tar x              the floor: one stream, no per-file round trips
//   sftp         sftp -b with put -r            what people script
//   rsync        rsync -a over ssh
//   shell        maven-promote, shell executor (default: the bundle streamed into tar -x, rename script)
//   shell-zip    maven-promote, shell executor with --unpack zip (a zip uploaded whole, then unzip)
//   sftp-only    maven-promote --sftp-only
//   cp           cp -r to a local directory     (loopback only)
//   cp-sync      cp -r, then sync -f            a durable copy: what the local promotion's barriers cost too
//   local        maven-promote to a local directory (loopback only)
//   shell-existing, local-existing   (with --existing N) the same into a target that already
//                holds N other artifacts; compared with the empty target's time
// --wan repeats the network methods through scripts/wan-proxy.ts (delay each way, bandwidth cap).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseScriptArgs } from "./script-args.js";
import { digestFiles } from "../src/integrity/digest-pool.js";
import { ALL_ALGORITHMS } from "../src/integrity/digests.js";
import { startSshd, sshdAvailable, type SshServer } from "../test/helpers/sshd.js";
import { writeExistingRepository, writeRelease, type Release } from "./bench-release.js";
import { benchChart, type ChartPanel } from "./bench-chart.js";

const USAGE = `usage: npm run bench -- [--artifacts 300] [--scale 1] [--runs 3] [--wan] [--wan-artifacts 100] [--wan-runs 1]
                      [--rtt-ms 40] [--mbit 100] [--only tar,sftp,...] [--skip-digests] [--existing 10000] [--json] [--chart FILE.svg]
(methods and what each option means: the top of scripts/bench.ts and docs/performance.md)
`;

const { values: options } = parseScriptArgs("bench", USAGE, {
  artifacts: { type: "string", default: "300" },
  /** The files' sizes, times this, on loopback and over --wan (0.5: 150 artifacts make the 33 MiB small release of issue 18; 0.25: 60 artifacts make its 6.6 MiB one). */
  scale: { type: "string", default: "1" },
  runs: { type: "string", default: "3" },
  wan: { type: "boolean", default: false },
  "wan-artifacts": { type: "string", default: "100" },
  "wan-runs": { type: "string", default: "1" },
  "rtt-ms": { type: "string", default: "40" },
  mbit: { type: "string", default: "100" },
  only: { type: "string" },
  "skip-digests": { type: "boolean", default: false },
  existing: { type: "string", default: "0" },
  json: { type: "boolean", default: false },
  /** Also draw the tables as an SVG chart into this file (scripts/bench-chart.ts). */
  chart: { type: "string" },
});

const DIST = new URL("..", import.meta.url).pathname; // dist/
const CLI = join(DIST, "src/cli/main.js");
const RSS_REPORTER = join(DIST, "scripts/report-rss.js");
const PROXY = join(DIST, "scripts/wan-proxy.js");
const NETWORK_METHODS = ["tar", "sftp", "rsync", "shell", "shell-zip", "sftp-only"] as const;
const LOCAL_METHODS = ["cp", "cp-sync", "local"] as const;
const EXISTING_METHODS = ["shell-existing", "local-existing"] as const;
type Method = (typeof NETWORK_METHODS)[number] | (typeof LOCAL_METHODS)[number] | (typeof EXISTING_METHODS)[number];
const only = options.only === undefined ? undefined : new Set(options.only.split(","));

interface Sample {
  seconds: number;
  /** maven-promote only. */
  timingsMs?: Record<string, number>;
  network?: { requests: number; roundTrips: number; byPhase?: Record<string, number> } | null;
  metadataWindow?: { maxMs: number; totalMs: number; groups: number } | null;
  executor?: string;
  peakRssBytes?: number;
}

interface Row {
  method: Method;
  samples: Sample[];
  medianSeconds: number;
  vsFloor?: number;
  vsSftp?: number;
  vsCp?: number;
  /** For a method into a populated target: its time over the same method's into an empty one. */
  vsEmpty?: number;
}

const root = mkdtempSync(join(tmpdir(), "maven-promote-bench-"));
const out = (text: string): void => {
  if (!options.json) process.stdout.write(text);
};

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs a command, resolving with its stdout; rejects with the tail of its stderr. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.slice(0, 3).join(" ")}… exit ${code}: ${stderr.trim().split("\n").pop()}`))));
  });
}

interface Link {
  name: "loopback" | "wan";
  port: number;
  knownHosts: string;
}

class Methods {
  private serial = 0;
  constructor(
    private readonly server: SshServer | undefined,
    private readonly release: Release,
    /** A repository of other artifacts the `-existing` methods start from (hard-linked in, untimed). */
    private readonly existing?: string,
  ) {}

  private ssh(link: Link): string[] {
    return ["-i", this.server!.clientKeyPath, "-p", String(link.port), "-o", `UserKnownHostsFile=${link.knownHosts}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"];
  }

  private freshTarget(): string {
    const target = join(root, "targets", `t${++this.serial}`);
    mkdirSync(target, { recursive: true });
    return target;
  }

  async time(method: Method, link: Link): Promise<Sample> {
    const target = this.freshTarget();
    const source = this.release.directory;
    if (method.endsWith("-existing")) {
      await run("cp", ["-al", `${this.existing!}/.`, target]);
      await run("sync", []); // the 70,000 new links' writeback is not the promotion's time
      method = method.replace("-existing", "") as Method;
    }
    const login = `${this.server?.user}@127.0.0.1`;
    const start = performance.now();
    let sample: Partial<Sample> = {};
    switch (method) {
      case "tar":
        await run("bash", ["-c", `tar -C ${source} -cf - . | ssh ${this.ssh(link).join(" ")} ${login} "tar -C ${target} -xf -"`]);
        break;
      case "sftp": {
        const batch = join(root, `batch${this.serial}`);
        writeFileSync(batch, `put -r ${source}/org ${target}/org\n`);
        await run("sftp", ["-q", "-b", batch, "-i", this.server!.clientKeyPath, "-P", String(link.port), "-o", `UserKnownHostsFile=${link.knownHosts}`, "-o", "BatchMode=yes", login]);
        break;
      }
      case "rsync":
        await run("rsync", ["-a", "-e", `ssh ${this.ssh(link).join(" ")}`, `${source}/`, `${login}:${target}/`]);
        break;
      case "cp":
        await run("cp", ["-r", `${source}/.`, target]);
        break;
      case "cp-sync":
        await run("cp", ["-r", `${source}/.`, target]);
        await run("sync", ["-f", target]);
        break;
      default:
        throw new Error(`unknown method ${method}`);
      case "shell":
      case "shell-zip":
      case "sftp-only":
      case "local": {
        const to = method === "local" ? target : `sftp://${login}:${link.port}${target}`;
        const args = ["--import", RSS_REPORTER, CLI, "promote", "--from", source, "--to", to, "--json"];
        if (method !== "local") args.push("--identity", this.server!.clientKeyPath, "--known-hosts", link.knownHosts);
        if (method === "sftp-only") args.push("--sftp-only");
        if (method === "shell-zip") args.push("--unpack", "zip");
        const rssFile = join(root, `rss${this.serial}`);
        const report = JSON.parse(await run(process.execPath, args, { ...process.env, BENCH_RSS_FILE: rssFile })) as Record<string, unknown>;
        if (report.state !== "committed") throw new Error(`${method}: the promotion ended ${String(report.state)}`);
        sample = {
          timingsMs: report.timingsMs as Record<string, number>,
          network: report.network as Sample["network"],
          metadataWindow: report.metadataWindow as Sample["metadataWindow"],
          executor: String(report.executor),
          peakRssBytes: Number(readFileSync(rssFile, "utf8")),
        };
        break;
      }
    }
    const seconds = (performance.now() - start) / 1000;
    await checkCopy(source, target, method);
    rmSync(target, { recursive: true, force: true });
    return { seconds, ...sample };
  }
}

/** Every method must have delivered the whole release: the version directories, byte for byte (metadata is merged, so it differs). */
async function checkCopy(source: string, target: string, method: Method): Promise<void> {
  const list = async (directory: string): Promise<string> =>
    (await run("bash", ["-c", `cd ${directory} && find org -type f -path '*/1.0.0/*' | LC_ALL=C sort | xargs -d '\\n' sha1sum`])).trim();
  const [want, got] = await Promise.all([list(source), list(target)]);
  if (createHash("sha1").update(want).digest("hex") !== createHash("sha1").update(got).digest("hex")) throw new Error(`${method}: the target does not hold the release`);
}

async function measure(methods: Methods, link: Link, names: readonly Method[], runs: number): Promise<Row[]> {
  const samples = new Map<Method, Sample[]>(names.map((name) => [name, []]));
  for (let index = 0; index < runs; index++) {
    for (const name of names) {
      const sample = await methods.time(name, link);
      samples.get(name)!.push(sample);
      out(`  run ${index + 1}/${runs} ${name.padEnd(10)} ${sample.seconds.toFixed(2)} s\n`);
    }
  }
  const rows: Row[] = names.map((method) => ({ method, samples: samples.get(method)!, medianSeconds: median(samples.get(method)!.map((sample) => sample.seconds)) }));
  const floor = rows.find((row) => row.method === "tar")?.medianSeconds;
  const sftp = rows.find((row) => row.method === "sftp")?.medianSeconds;
  const cp = rows.find((row) => row.method === "cp")?.medianSeconds;
  for (const row of rows) {
    if (row.method.endsWith("-existing")) {
      const empty = rows.find((other) => other.method === row.method.replace("-existing", ""))?.medianSeconds;
      if (empty !== undefined) row.vsEmpty = row.medianSeconds / empty;
    } else if (LOCAL_METHODS.includes(row.method as never)) {
      if (cp !== undefined) row.vsCp = row.medianSeconds / cp;
    } else {
      if (floor !== undefined) row.vsFloor = row.medianSeconds / floor;
      if (sftp !== undefined) row.vsSftp = row.medianSeconds / sftp;
    }
  }
  return rows;
}

const LABELS: Record<Method, string> = {
  tar: "`tar c \\| ssh tar x` (the floor)",
  sftp: "`sftp -b` with `put -r`",
  rsync: "`rsync -a` over ssh",
  shell: "maven-promote, shell executor",
  "shell-zip": "maven-promote, shell executor, `--unpack zip`",
  "sftp-only": "maven-promote `--sftp-only`",
  cp: "`cp -r` to a local directory",
  "cp-sync": "`cp -r` then `sync -f` (a durable copy)",
  local: "maven-promote to a local directory",
  "shell-existing": "shell executor, target holding the other artifacts",
  "local-existing": "local directory holding the other artifacts",
};

/** A table label without its Markdown. */
function plainLabel(label: string): string {
  return label.replace(/\\\|/g, "|").replace(/`/g, "");
}

function table(rows: Row[]): string {
  const ratio = (value: number | undefined): string => (value === undefined ? "" : `${value.toFixed(2)}×`);
  const withEmpty = rows.some((row) => row.vsEmpty !== undefined);
  const lines = [
    `| method | median | vs floor | vs \`sftp put -r\` | vs \`cp -r\` |${withEmpty ? " vs empty target |" : ""} round trips | metadata window (max / all) | peak RSS |`,
    `| --- | --- | --- | --- | --- |${withEmpty ? " --- |" : ""} --- | --- | --- |`,
  ];
  for (const row of rows) {
    const last = row.samples[row.samples.length - 1]!;
    const window = last.metadataWindow ? `${last.metadataWindow.maxMs.toFixed(2)} / ${last.metadataWindow.totalMs.toFixed(0)} ms` : "";
    const trips = last.network ? `${last.network.roundTrips} (${last.network.requests} requests)` : "";
    const rss = last.peakRssBytes ? `${(last.peakRssBytes / 1048576).toFixed(0)} MiB` : "";
    const empty = withEmpty ? ` ${ratio(row.vsEmpty)} |` : "";
    lines.push(`| ${LABELS[row.method]} | ${row.medianSeconds.toFixed(2)} s | ${ratio(row.vsFloor)} | ${ratio(row.vsSftp)} | ${ratio(row.vsCp)} |${empty} ${trips} | ${window} | ${rss} |`);
  }
  const phases = rows.filter((row) => row.samples[0]?.timingsMs !== undefined);
  for (const row of phases) {
    const keys = Object.keys(row.samples[0]!.timingsMs!);
    const medians = keys.map((key) => `${key} ${(median(row.samples.map((sample) => sample.timingsMs?.[key] ?? 0)) / 1000).toFixed(2)}`);
    const byPhase = row.samples[row.samples.length - 1]!.network?.byPhase;
    const trips = byPhase === undefined ? "" : `; round trips (last run) ${Object.entries(byPhase).map(([phase, count]) => `${phase} ${count}`).join(", ")}`;
    lines.push(`\n${LABELS[row.method]}: phases (s, median) ${medians.join(", ")}${row.samples[0]!.executor ? `; executor ${row.samples[0]!.executor}` : ""}${trips}`);
  }
  return lines.join("\n") + "\n";
}

/** The four digests with the worker pool vs coreutils' four tools in parallel, and memory. */
async function digestBench(): Promise<object> {
  const big = join(root, "big.bin");
  const piece = createHash("sha512").update("x").digest();
  const block = Buffer.alloc(1024 * 1024);
  for (let offset = 0; offset < block.length; offset += piece.length) piece.copy(block, offset);
  writeFileSync(big, "");
  for (let index = 0; index < 256; index++) appendFileSync(big, block);
  const peakBefore = process.resourceUsage().maxRSS;
  let start = performance.now();
  await digestFiles([big], ALL_ALGORITHMS);
  const ours = (performance.now() - start) / 1000;
  const rssGrowthMiB = (process.resourceUsage().maxRSS - peakBefore) / 1024;
  start = performance.now();
  await run("bash", ["-c", `md5sum ${big} >/dev/null & sha1sum ${big} >/dev/null & sha256sum ${big} >/dev/null & sha512sum ${big} >/dev/null & wait`]);
  const coreutils = (performance.now() - start) / 1000;
  rmSync(big);
  out(`digests of 256 MiB (md5+sha1+sha256+sha512): maven-promote ${ours.toFixed(2)} s, coreutils' four tools in parallel ${coreutils.toFixed(2)} s (${(ours / coreutils).toFixed(2)}×); peak RSS growth ${rssGrowthMiB.toFixed(1)} MiB\n\n`);
  return { mib: 256, seconds: ours, coreutilsParallelSeconds: coreutils, rssGrowthMiB };
}

async function startProxy(port: number): Promise<{ port: number; stop(): void }> {
  const child = spawn(process.execPath, [PROXY, "--to", String(port), "--rtt-ms", options["rtt-ms"]!, "--mbit", options.mbit!], { stdio: ["ignore", "pipe", "inherit"] });
  const listening = await new Promise<number>((resolve, reject) => {
    child.stdout.once("data", (chunk: Buffer) => resolve(Number(/listening (\d+)/.exec(chunk.toString())?.[1])));
    child.once("exit", (code) => reject(new Error(`wan-proxy exited ${code}`)));
  });
  return { port: listening, stop: () => child.kill() };
}

/** A known_hosts file naming the server at `port` (the proxy's port is another name for it). */
function knownHostsFor(server: SshServer, port: number): string {
  const path = join(root, `known_hosts_${port}`);
  writeFileSync(path, `[127.0.0.1]:${port} ${server.hostPublicKeyLine}\n`);
  return path;
}

const report: Record<string, unknown> = { node: process.version, cpus: cpus().length };
let server: SshServer | undefined;
try {
  const artifacts = Number(options.artifacts);
  const release = writeRelease(join(root, "release"), artifacts, Number(options.scale));
  out(`maven-promote benchmark: ${release.artifacts} artifacts, ${release.files} files, ${(release.bytes / 1048576).toFixed(0)} MiB; ${options.runs} runs, medians (node ${process.version}, ${cpus().length} cores)\n\n`);
  if (!options["skip-digests"]) report.digests = await digestBench();

  if (!sshdAvailable()) throw new Error("/usr/sbin/sshd is missing: run scripts/install-test-deps.sh");
  server = await startSshd();
  const pick = (names: readonly Method[]): Method[] => names.filter((name) => only === undefined || only.has(name));
  const loopback: Link = { name: "loopback", port: server.port, knownHosts: knownHostsFor(server, server.port) };
  out("loopback:\n");
  const existingArtifacts = Number(options.existing);
  let existing: string | undefined;
  if (existingArtifacts > 0) {
    existing = join(root, "existing");
    writeExistingRepository(existing, existingArtifacts);
    out(`the -existing methods start from a target holding ${existingArtifacts} other artifacts of org.bench\n`);
  }
  const loopbackMethods = [...NETWORK_METHODS, ...LOCAL_METHODS, ...(existing !== undefined ? EXISTING_METHODS : [])];
  const loopbackRows = await measure(new Methods(server, release, existing), loopback, pick(loopbackMethods), Number(options.runs));
  out(`\n${table(loopbackRows)}\n`);
  report.loopback = { release: { artifacts: release.artifacts, files: release.files, bytes: release.bytes }, rows: loopbackRows };

  if (options.wan) {
    const proxy = await startProxy(server.port);
    try {
      const wanRelease = writeRelease(join(root, "wan-release"), Number(options["wan-artifacts"]), Number(options.scale));
      const link: Link = { name: "wan", port: proxy.port, knownHosts: knownHostsFor(server, proxy.port) };
      out(`wide-area link (RTT ${options["rtt-ms"]} ms, ${options.mbit} Mbit/s, scripts/wan-proxy.ts): ${wanRelease.artifacts} artifacts, ${wanRelease.files} files, ${(wanRelease.bytes / 1048576).toFixed(0)} MiB, ${options["wan-runs"]} run(s)\n`);
      const wanRows = await measure(new Methods(server, wanRelease), link, pick(NETWORK_METHODS), Number(options["wan-runs"]));
      out(`\n${table(wanRows)}\n`);
      report.wan = { rttMs: Number(options["rtt-ms"]), mbit: Number(options.mbit), release: { artifacts: wanRelease.artifacts, files: wanRelease.files, bytes: wanRelease.bytes }, rows: wanRows };
    } finally {
      proxy.stop();
    }
  }
  if (options.chart !== undefined) {
    const rowsOf = (key: "loopback" | "wan"): Row[] => ((report[key] as { rows?: Row[] } | undefined)?.rows ?? []);
    const panel = (title: string, rows: Row[], methods: readonly Method[], floor: Method): ChartPanel => ({
      title,
      bars: rows.filter((row) => methods.includes(row.method)).map((row) => ({ label: plainLabel(LABELS[row.method]), seconds: row.medianSeconds, floor: row.method === floor })),
    });
    const panels = [
      panel(`loopback: ${release.artifacts} artifacts, ${(release.bytes / 1048576).toFixed(0)} MiB (median of ${options.runs})`, rowsOf("loopback"), NETWORK_METHODS, "tar"),
      panel("loopback, into a local directory", rowsOf("loopback"), [...LOCAL_METHODS, "local-existing"], "cp"),
      ...(options.wan ? [panel(`through the delaying proxy: RTT ${options["rtt-ms"]} ms, ${options.mbit} Mbit/s, ${options["wan-artifacts"]} artifacts`, rowsOf("wan"), NETWORK_METHODS, "tar")] : []),
    ].filter((entry) => entry.bars.length > 0);
    writeFileSync(options.chart, benchChart(panels, `maven-promote benchmark (node ${process.version}, ${cpus().length} cores): seconds, the floor dashed`));
    out(`chart: ${options.chart}\n`);
  }
  if (options.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
} finally {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
}
