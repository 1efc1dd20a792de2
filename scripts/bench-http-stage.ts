// `npm run bench:http`: reading an HTTP stage through a server that answers each request after
// a delay (a WAN round trip; loopback would hide it), beside `wget -r` in the same run. Compares
// listing one directory at a time with the default (a level at a time, 8 at once); downloads run
// 8 at a time in both. Options: --artifacts N (default 100), --delay MS (20), --runs N (3).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { HttpSource } from "../src/transport/http-source.js";
import { downloadTree } from "../src/transport/download-tree.js";
import { writeRelease } from "./bench-release.js";

const execFileAsync = promisify(execFile);
const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const artifacts = option("artifacts", 100);
const delayMs = option("delay", 20);
const runs = option("runs", 3);

const root = mkdtempSync(join(tmpdir(), "maven-promote-bench-http-"));
const release = writeRelease(root, artifacts, 0.05);
// A plain autoindex-like server; every answer waits delayMs first.
const server = createServer((request, response) => {
  setTimeout(() => {
    const path = join(release.directory, decodeURIComponent((request.url ?? "/").split("?")[0]!));
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      response.writeHead(404).end();
      return;
    }
    if (isDirectory) response.end(readdirSync(path, { withFileTypes: true }).map((entry) => `<a href="${entry.name}${entry.isDirectory() ? "/" : ""}">${entry.name}</a>`).join("\n"));
    else response.end(readFileSync(path));
  }, delayMs);
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;

const methods: Array<[string, (local: string) => Promise<unknown>]> = [
  ["wget -r -np (baseline)", (local) => execFileAsync("wget", ["-q", "-r", "-l", "inf", "-np", "-nH", "-e", "robots=off", "-P", local, base])],
  ["maven-promote, 1 listing at a time", (local) => read(local, 1)],
  ["maven-promote, default (8 at once)", (local) => read(local, undefined)],
];
async function read(local: string, listingsInFlight: number | undefined): Promise<void> {
  const source = new HttpSource(base);
  try {
    await downloadTree(source, local, listingsInFlight === undefined ? {} : { listingsInFlight });
  } finally {
    await source.close();
  }
}

const times = new Map<string, number[]>();
for (let run = 0; run < runs; run++) {
  for (const [name, method] of methods) {
    const local = mkdtempSync(join(tmpdir(), "maven-promote-bench-http-out-"));
    const started = performance.now();
    await method(local);
    times.set(name, [...(times.get(name) ?? []), (performance.now() - started) / 1000]);
    rmSync(local, { recursive: true, force: true });
  }
}
server.close();
rmSync(root, { recursive: true, force: true });

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const baseline = median(times.get(methods[0]![0])!);
console.log(`HTTP stage: ${artifacts} artifacts, ${release.files} files, ${delayMs} ms per request, median of ${runs}`);
console.log("| method | time | vs wget |\n| --- | --- | --- |");
for (const [name] of methods) console.log(`| ${name} | ${median(times.get(name)!).toFixed(2)} s | ${(median(times.get(name)!) / baseline).toFixed(2)}× |`);
