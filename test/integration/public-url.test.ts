// What users actually download (issue 19, part 2): a real nginx serves the target directory
// through proxy_cache, the cache a CDN would be. Each test primes the cache as users' earlier
// downloads would, promotes with --public-url and proves what the tool reports: stale metadata
// (exit 75, with the cache's headers), --public-wait reading again until the cache lets go (the
// test purges it on the tool's own "reading again" event: no clock decides), new metadata beside
// an old cached checksum (the error that breaks checksumPolicy=fail), `verify --public-url`, and a
// bad URL refused before anything is written.
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { runCliProcess } from "../helpers/cli.js";
import { spawnCli } from "../helpers/cli-process.js";
import { nginxAvailable, startCachingNginx } from "../helpers/nginx.js";
import { makeTempDir, removeTempDirs, treeFingerprint } from "../helpers/temp-repos.js";

const METADATA = "org/example/hello/maven-metadata.xml";

interface PublicJson {
  ok: boolean;
  attempts: number;
  checked: number;
  problems: Array<{ path: string; verdict: string; headers: Record<string, string> }>;
}

describe("integration: --public-url through a caching nginx", function () {
  this.timeout(120_000);

  before(function () {
    if (!nginxAvailable()) assert.fail("/usr/sbin/nginx is missing: run scripts/install-test-deps.sh");
  });
  after(() => removeTempDirs());

  /** The example's stage and target, the target behind a fresh cache (max-age=1: the tool reads again after 1 s). */
  async function cachedExample(): Promise<{ staging: string; target: string; cache: Awaited<ReturnType<typeof startCachingNginx>> }> {
    const example = writeExampleRepositories(makeTempDir());
    return { ...example, cache: await startCachingNginx(example.target, 1) };
  }

  /** What a user's download puts in the cache. */
  async function download(url: string): Promise<string> {
    const response = await fetch(url);
    assert.equal(response.status, 200, url);
    return response.text();
  }

  it("reports metadata the cache still serves from before the promotion (exit 75, with the cache's headers)", async () => {
    const { staging, target, cache } = await cachedExample();
    try {
      await download(`${cache.url}/${METADATA}`);
      const run = await runCliProcess(["promote", "--from", staging, "--to", target, "--public-url", cache.url, "--json"]);
      assert.equal(run.code, 75, run.stderr);
      const report = JSON.parse(run.stdout) as { state: string; public: PublicJson };
      assert.equal(report.state, "committed"); // the promotion itself is live on the target
      assert.equal(report.public.ok, false);
      assert.deepEqual(report.public.problems.map((problem) => [problem.path, problem.verdict, problem.headers["x-cache"]]), [[METADATA, "stale", "HIT"]]);
      assert.match(run.stderr, /maven-metadata\.xml: served as it was before the promotion: users do not see the release yet \(cache-control: max-age=1; last-modified: .*; x-cache: HIT\)/);
      assert.match(run.stderr, /users of --public-url .* do not get it yet \(give --public-wait to wait for the cache\) \[ERR_PUBLIC_STALE\]\n$/);
    } finally {
      await cache.stop();
    }
  });

  it("--public-wait reads again, honouring max-age, until the cache lets go, then exits 0", async () => {
    const { staging, target, cache } = await cachedExample();
    try {
      await download(`${cache.url}/${METADATA}`);
      const cli = spawnCli(["promote", "--from", staging, "--to", target, "--public-url", cache.url, "--public-wait", "2m", "--json"]);
      const poll = await cli.waitForEvent((event) => event.type === "public:poll");
      assert.deepEqual([poll.problems, poll.nextPollMs], [1, 1000]); // max-age=1, no Age: 1 s
      cache.purge(); // the cache's entry expires
      const { code, stdout, stderr } = await cli.exited;
      assert.equal(code, 0, stderr);
      const report = JSON.parse(stdout) as { public: PublicJson };
      assert.equal(report.public.ok, true);
      assert.ok(report.public.attempts >= 2);
      assert.equal(await download(`${cache.url}/${METADATA}`), await download(`${cache.originUrl}/${METADATA}`));
    } finally {
      await cache.stop();
    }
  });

  it("names new metadata served beside an old cached checksum as the error that breaks builds", async () => {
    const { staging, target, cache } = await cachedExample();
    try {
      // Users fetched only the checksum (Maven asks for it right after the metadata; a cache may
      // keep one longer than the other): the metadata comes fresh, its .sha1 from the cache.
      await download(`${cache.url}/${METADATA}.sha1`);
      const run = await runCliProcess(["promote", "--from", staging, "--to", target, "--public-url", cache.url, "--json"]);
      assert.equal(run.code, 75, run.stderr);
      const report = JSON.parse(run.stdout) as { public: PublicJson };
      assert.deepEqual(report.public.problems.map((problem) => [problem.path, problem.verdict]), [[`${METADATA}.sha1`, "checksum-mismatch"]]);
      assert.match(run.stderr, /checksumPolicy=fail breaks users' builds/);
      assert.match(run.stderr, /\[ERR_PUBLIC_CHECKSUM_MISMATCH\]\n$/);
    } finally {
      await cache.stop();
    }
  });

  it("checks the new release's checksum files and a few artifacts in full", async () => {
    const { staging, target, cache } = await cachedExample();
    try {
      const run = await runCliProcess(["promote", "--from", staging, "--to", target, "--public-url", cache.url, "--json"]);
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout) as {
        public: PublicJson;
        metadata: Array<{ changed: boolean; checksums: string[] }>;
        uploads: Array<{ kind: string; origin: string }>;
      };
      // Each changed metadata file and its checksums, every staged checksum file, 3 artifacts in full.
      const metadata = report.metadata.filter((entry) => entry.changed).reduce((sum, entry) => sum + 1 + entry.checksums.length, 0);
      const checksums = report.uploads.filter((upload) => upload.kind === "checksum" && upload.origin !== "merged").length;
      const artifacts = Math.min(3, report.uploads.filter((upload) => upload.kind === "artifact").length);
      assert.ok(checksums > 0 && artifacts === 3);
      assert.deepEqual([report.public.ok, report.public.checked], [true, metadata + checksums + artifacts]);
    } finally {
      await cache.stop();
    }
  });

  it("verify --public-url compares every metadata file users get with the target's, and waits with --public-wait", async () => {
    const { staging, target, cache } = await cachedExample();
    try {
      await download(`${cache.url}/${METADATA}`);
      assert.equal((await runCliProcess(["promote", "--from", staging, "--to", target])).code, 0);
      const stale = await runCliProcess(["verify", "--to", target, "--public-url", cache.url, "--json"]);
      assert.equal(stale.code, 75, stale.stderr);
      const report = JSON.parse(stale.stdout) as { ok: boolean; public: PublicJson };
      assert.equal(report.ok, true); // the target itself is consistent
      assert.deepEqual(report.public.problems.map((problem) => [problem.path, problem.verdict]), [[METADATA, "stale"]]);
      assert.match(stale.stderr, /the target is consistent, but users of --public-url .* \[ERR_PUBLIC_STALE\]/);

      const cli = spawnCli(["verify", "--to", target, "--public-url", cache.url, "--public-wait", "2m"]);
      await cli.waitForLine(/1 file not yet served as written at --public-url; reading again in 1s/);
      cache.purge();
      const waited = await cli.exited;
      assert.equal(waited.code, 0, waited.stderr);
      assert.match(waited.stdout, /^OK: .*\nPublic URL .*: users get the release/m);
    } finally {
      await cache.stop();
    }
  });

  it("a group checks each target through its own public URL, and says which one users do not see yet", async () => {
    const { staging, target, cache } = await cachedExample();
    const second = join(makeTempDir(), "target");
    cpSync(target, second, { recursive: true });
    const secondCache = await startCachingNginx(second, 1);
    try {
      await download(`${secondCache.url}/${METADATA}`); // only the second target's users have the old metadata cached
      const run = await runCliProcess(["promote", "--from", staging, "--to", target, "--public-url", cache.url, "--to", second, "--public-url", secondCache.url, "--json"]);
      assert.equal(run.code, 75, run.stderr);
      const report = JSON.parse(run.stdout) as { state: string; targets: Array<{ to: string; state: string; public: PublicJson }> };
      assert.equal(report.state, "committed");
      const byTarget = new Map(report.targets.map((row) => [row.to, row]));
      assert.equal(byTarget.get(target)!.public.ok, true);
      assert.deepEqual(byTarget.get(second)!.public.problems.map((problem) => [problem.path, problem.verdict]), [[METADATA, "stale"]]);
      assert.match(run.stderr, new RegExp(`the group is live on ${second.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}, but users of --public-url .* \\[ERR_PUBLIC_STALE\\]`));
      const mismatched = await runCliProcess(["promote", "--from", staging, "--to", target, "--to", second, "--public-url", cache.url]);
      assert.equal(mismatched.code, 2);
      assert.match(mismatched.stderr, /^maven-promote: --public-url is given once for 2 --to targets: give one after each --to \[ERR_USAGE\]/);
    } finally {
      await secondCache.stop();
      await cache.stop();
    }
  });

  it("refuses a --public-url that is no http(s) URL before anything is written", async () => {
    const example = writeExampleRepositories(makeTempDir());
    const before = treeFingerprint(example.target);
    const run = await runCliProcess(["promote", "--from", example.staging, "--to", example.target, "--public-url", "ftp://mirror.example/repo"]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^maven-promote: --public-url ftp:\/\/mirror\.example\/repo: only http:\/\/ and https:\/\/ URLs \[ERR_CONFIG\]\n/);
    assert.deepEqual(treeFingerprint(example.target), before);
  });
});
