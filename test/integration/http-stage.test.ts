// An HTTP(S) stage: nginx (from apt) serves the example stage with autoindex as HTML and as JSON,
// and maven-promote promotes from each; a hostile server of our own tries links up and out, a
// listing loop, a 500 then success and a truncated body; 401 and 404 are one line naming the URL.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { writeExampleRepositories } from "../../scripts/example-repository.js";
import { HttpSource, parseHtmlListing, type HttpSourceOptions } from "../../src/transport/http-source.js";
import { downloadTree } from "../../src/transport/download-tree.js";
import { runCliProcess } from "../helpers/cli.js";
import { apacheAvailable, startApache } from "../helpers/apache.js";
import { nginxAvailable, startNginx, type NginxServer } from "../helpers/nginx.js";
import { startRepositoryManager, type RepositoryManagerServer } from "../helpers/repository-manager.js";
import { makeTempDir, removeTempDirs, treeFingerprint } from "../helpers/temp-repos.js";

/** Downloads the stage at `url` into a fresh directory with its own HttpSource, closed after. */
async function download(url: string, options: HttpSourceOptions): Promise<{ local: string; files: number }> {
  const local = makeTempDir();
  const source = new HttpSource(url, options);
  try {
    return { local, files: await downloadTree(source, local) };
  } finally {
    await source.close();
  }
}

describe("integration: an HTTP(S) staging repository", function () {
  this.timeout(120_000);
  let nginx: NginxServer;
  let example: { staging: string; target: string };

  let caFile = "";

  before(async function () {
    if (!nginxAvailable()) return assert.fail("/usr/sbin/nginx is missing: run scripts/install-test-deps.sh");
    example = writeExampleRepositories(makeTempDir());
    // A CA made here, and a certificate it signs for 127.0.0.1.
    const pki = makeTempDir();
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: pki, stdio: ["ignore", "pipe", "pipe"] });
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=maven-promote test CA");
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    writeFileSync(join(pki, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext");
    caFile = join(pki, "ca.pem");
    nginx = await startNginx(example.staging, { certificate: join(pki, "server.pem"), key: join(pki, "server.key") });
  });

  after(async () => {
    await nginx?.stop();
    removeTempDirs();
  });

  function freshTarget(): string {
    const target = join(makeTempDir(), "target");
    cpSync(example.target, target, { recursive: true });
    return target;
  }

  for (const format of ["html", "json"]) {
    it(`promotes from nginx autoindex (${format}) as from the same stage on disk`, async () => {
      const viaHttp = freshTarget();
      const local = freshTarget();
      const http = await runCliProcess(["promote", "--json", "--from", `${nginx.url}/${format}/`, "--to", viaHttp]);
      assert.equal(http.code, 0, http.stderr);
      assert.equal(JSON.parse(http.stdout).state, "committed");
      const disk = await runCliProcess(["promote", "--json", "--from", example.staging, "--to", local]);
      assert.equal(disk.code, 0, disk.stderr);
      const tree = (root: string) => Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
      assert.deepEqual(tree(viaHttp), tree(local));
    });
  }

  it("promotes from Apache httpd mod_autoindex (FancyIndexing, with its ?C=N;O=D sort links)", async function () {
    if (!apacheAvailable()) return assert.fail("/usr/sbin/apache2 is missing: run scripts/install-test-deps.sh");
    const served = join(makeTempDir(), "stage");
    cpSync(example.staging, served, { recursive: true });
    const apache = await startApache(served);
    try {
      const listing = await (await fetch(`${apache.url}/stage/`)).text();
      assert.match(listing, /href="\?C=N;O=D"/, "the listing has sort links to skip");
      const viaHttp = freshTarget();
      const local = freshTarget();
      const http = await runCliProcess(["promote", "--json", "--from", `${apache.url}/stage/`, "--to", viaHttp]);
      assert.equal(http.code, 0, http.stderr);
      assert.equal(JSON.parse(http.stdout).state, "committed");
      assert.equal((await runCliProcess(["promote", "--from", example.staging, "--to", local])).code, 0);
      const tree = (root: string) => Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
      assert.deepEqual(tree(viaHttp), tree(local));
    } finally {
      await apache.stop();
    }
  });

  it("over HTTPS: verified against --ca-file; without it, refused in one line", async () => {
    const target = freshTarget();
    const before = treeFingerprint(target);
    const refused = await runCliProcess(["plan", "--from", `${nginx.httpsUrl}/html/`, "--to", target]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr.split("\n")[0]!, new RegExp(`^maven-promote: ${nginx.httpsUrl}/html/: cannot read the listing \\(.*(self-signed|unable to (get|verify)).*\\) \\[ERR_HTTP\\]$`, "i"));
    assert.deepEqual(treeFingerprint(target), before);
    const trusted = await runCliProcess(["promote", "--json", "--from", `${nginx.httpsUrl}/html/`, "--ca-file", caFile, "--to", target]);
    assert.equal(trusted.code, 0, trusted.stderr);
    const json = JSON.parse(trusted.stdout);
    assert.equal(json.state, "committed");
    assert.deepEqual(json.connections, { from: { caFile: { value: caFile, source: "option" } } });
    assert.deepEqual(json.settings["from-listing"], { source: "default", value: "auto" });
  });

  it("a missing stage URL is one line naming it; the target is unchanged", async () => {
    const target = freshTarget();
    const before = treeFingerprint(target);
    const result = await runCliProcess(["plan", "--from", `${nginx.url}/nothing-here/`, "--to", target]);
    assert.notEqual(result.code, 0);
    assert.equal(result.stderr.split("\n")[0], `maven-promote: --from ${nginx.url}/nothing-here/: 404 Not Found (no staging repository listed there) [ERR_REPOSITORY_NOT_FOUND]`);
    assert.deepEqual(treeFingerprint(target), before);
  });

  describe("repository managers: Nexus 2, Artifactory, Nexus 3", () => {
    let manager: RepositoryManagerServer;
    const tree = (root: string) => Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
    let expected: Record<string, string>;

    before(async () => {
      manager = await startRepositoryManager(example.staging);
      const local = freshTarget();
      assert.equal((await runCliProcess(["promote", "--from", example.staging, "--to", local])).code, 0);
      expected = tree(local);
    });

    after(() => manager?.stop());

    for (const [name, path] of [
      ["Nexus 2 (absolute links)", "/nexus/content/repositories/staging/"],
      ["Artifactory", "/artifactory/libs-staging-local/"],
      ["Nexus 3, recognised by its Server header (the asset API, 10 a page)", "/nexus3/repository/staging/"],
    ]) {
      it(`promotes from ${name} as from the same stage on disk`, async () => {
        const target = freshTarget();
        const result = await runCliProcess(["promote", "--json", "--from", `${manager.url}${path}`, "--to", target]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(JSON.parse(result.stdout).state, "committed");
        assert.deepEqual(tree(target), expected);
        if (path.startsWith("/nexus3/")) {
          // Two pages were read, and the files came from the URL given: each asset's
          // downloadUrl names http://nexus.internal:8081/, which does not even resolve.
          assert.equal(manager.hits.get("/nexus3/service/rest/v1/assets?repository=staging&continuationToken=10"), 1);
          assert.equal(manager.hits.get("/nexus3/repository/staging/org/example/hello/1.2.0/hello-1.2.0.jar"), 1);
        }
      });
    }

    it("Nexus 3 behind a proxy that hides its Server header: --from-listing nexus3 uses the asset API", async () => {
      manager.hideNexus3Header = true;
      try {
        const target = freshTarget();
        const before = treeFingerprint(target);
        const guessed = await runCliProcess(["plan", "--from", `${manager.url}/nexus3/repository/staging/`, "--to", target]);
        assert.equal(guessed.stderr.split("\n")[0], `maven-promote: --from ${manager.url}/nexus3/repository/staging/: 404 Not Found (no staging repository listed there) [ERR_REPOSITORY_NOT_FOUND]`);
        assert.deepEqual(treeFingerprint(target), before);
        const told = await runCliProcess(["promote", "--json", "--from-listing", "nexus3", "--from", `${manager.url}/nexus3/repository/staging/`, "--to", target]);
        assert.equal(told.code, 0, told.stderr);
        assert.deepEqual(tree(target), expected);
      } finally {
        manager.hideNexus3Header = false;
      }
    });

    it("Nexus 3: an asset list that never ends is one line naming the URL; the target is unchanged", async () => {
      manager.loopAssetPages = true;
      try {
        const target = freshTarget();
        const before = treeFingerprint(target);
        const result = await runCliProcess(["plan", "--from", `${manager.url}/nexus3/repository/staging/`, "--to", target]);
        assert.notEqual(result.code, 0);
        assert.equal(
          result.stderr.split("\n")[0],
          `maven-promote: ${manager.url}/nexus3/service/rest/v1/assets?repository=staging&continuationToken=same-token: the Nexus 3 asset list does not end (continuationToken "same-token" again) [ERR_HTTP]`,
        );
        assert.deepEqual(treeFingerprint(target), before);
      } finally {
        manager.loopAssetPages = false;
      }
    });

    it("--from-listing nexus3 on a URL that names no Nexus 3 repository is one line", async () => {
      const result = await runCliProcess(["plan", "--from-listing", "nexus3", "--from", `${manager.url}/artifactory/libs-staging-local/`, "--to", freshTarget()]);
      assert.notEqual(result.code, 0);
      assert.equal(result.stderr.split("\n")[0], `maven-promote: --from ${manager.url}/artifactory/libs-staging-local/: --from-listing nexus3 needs a Nexus 3 repository URL, …/repository/NAME/ [ERR_CONFIG]`);
    });
  });

  describe("redirects, and listings that point elsewhere", () => {
    let stage: Server;
    let blobs: Server;
    let base = "";
    let blobBase = "";
    const blobAuthorization: Array<string | undefined> = [];
    let busyHits = 0;

    before(async () => {
      // A blob store on another origin, as a repository manager may send downloads to one.
      blobs = createServer((request, response) => {
        blobAuthorization.push(request.headers.authorization);
        response.end(request.url === "/blob/a.txt" ? "from the blob store" : "?");
      });
      await new Promise<void>((resolve) => blobs.listen(0, "127.0.0.1", resolve));
      blobBase = `http://127.0.0.1:${(blobs.address() as { port: number }).port}`;
      stage = createServer((request, response) => {
        const url = request.url ?? "/";
        const redirect = (location: string) => response.writeHead(301, { location }).end();
        if (request.headers.authorization !== `Basic ${Buffer.from("ci:pw").toString("base64")}`) return void response.writeHead(401).end();
        if (url === "/stage/") return void response.end(`<a href="moved/">moved/</a><a href="a.txt">a.txt</a>`);
        if (url.startsWith("/stage/moved/")) return redirect(url.replace("/moved/", "/real/")); // within the base: followed
        // Absolute links, relative to where the listing was served from after the redirect.
        if (url === "/stage/real/") return void response.end(`<a href="/stage/real/b.txt">b.txt</a>`);
        if (url === "/stage/real/b.txt") return void response.end("b");
        if (url === "/stage/a.txt") return redirect(`${blobBase}/blob/a.txt`);
        if (url === "/out/") return redirect("/elsewhere/");
        if (url === "/busy/") {
          busyHits++;
          // The first answer asks to come back at once; backoff alone would wait a minute.
          if (busyHits === 1) return void response.writeHead(429, { "retry-after": "0" }).end();
          return void response.end(`<a href="c.txt">c.txt</a>`);
        }
        if (url === "/busy/c.txt") return void response.end("c");
        if (url === "/foreign/") return void response.end(`<a href="http://repo.example.org/foreign/org/">org/</a>`);
        response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => stage.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(stage.address() as { port: number }).port}`;
    });

    after(async () => {
      await new Promise<void>((resolve) => stage.close(() => resolve()));
      await new Promise<void>((resolve) => blobs.close(() => resolve()));
    });

    it("follows a listing's redirect within the base URL, and a file's to another origin without the credentials", async () => {
      const { local, files } = await download(`${base}/stage/`, { username: "ci", password: "pw", attempts: 1 });
      assert.equal(files, 2);
      assert.equal(readFileSync(join(local, "moved/b.txt"), "utf8"), "b");
      assert.equal(readFileSync(join(local, "a.txt"), "utf8"), "from the blob store");
      assert.deepEqual(blobAuthorization, [undefined], "the password never went to the other origin");
    });

    it("a 429 is retried when its Retry-After says, not after the backoff", async () => {
      const { local, files } = await download(`${base}/busy/`, { username: "ci", password: "pw", backoffMs: 60_000 });
      assert.equal(files, 1);
      assert.equal(busyHits, 2);
      assert.equal(readFileSync(join(local, "c.txt"), "utf8"), "c");
    });

    it("a listing that redirects outside the base URL, or links only to another host, is one line", async () => {
      const target = freshTarget();
      const before = treeFingerprint(target);
      const netrc = join(makeTempDir(), "netrc");
      writeFileSync(netrc, "machine 127.0.0.1 login ci password pw\n");
      const out = await runCliProcess(["plan", "--from", `${base}/out/`, "--to", target], { NETRC: netrc });
      assert.notEqual(out.code, 0);
      assert.equal(out.stderr.split("\n")[0], `maven-promote: ${base}/out/: the listing redirects to ${base}/elsewhere/, outside --from ${base}/out/ [ERR_HTTP]`);
      const foreign = await runCliProcess(["plan", "--from", `${base}/foreign/`, "--to", target], { NETRC: netrc });
      assert.notEqual(foreign.code, 0);
      assert.equal(
        foreign.stderr.split("\n")[0],
        `maven-promote: ${base}/foreign/: the listing links to http://repo.example.org, not to ${base} (is the server's own base URL set to another host?); use --from with that host [ERR_HTTP]`,
      );
      assert.deepEqual(treeFingerprint(target), before);
    });
  });

  describe("a hostile server", () => {
    let server: Server;
    let base = "";
    const hits = new Map<string, number>();
    const secretFile = "/outside/secret.txt";

    before(async () => {
      server = createServer((request, response) => {
        const url = request.url ?? "/";
        hits.set(url, (hits.get(url) ?? 0) + 1);
        if (url.startsWith("/private/")) {
          // Only ci:right-pw may list it (an empty listing).
          const right = `Basic ${Buffer.from("ci:right-pw").toString("base64")}`;
          if (request.headers.authorization === right) response.end("<html></html>");
          else response.writeHead(401).end();
          return;
        }
        if (url.startsWith("/abyss/")) {
          // A directory below every directory, for ever.
          response.end(`<a href="a/">a/</a>`);
          return;
        }
        switch (url) {
          case "/stage/":
            response.setHeader("content-type", "text/html");
            // Up, out, another host, a query link, the directory itself and a loop back to it.
            response.end(`<a href="../">..</a><a href="${secretFile}">x</a><a href="http://evil.example/a.jar">y</a>
              <a href="?C=N;O=D">sort</a><a href="./">self</a><a href="/stage/">again</a><a href="sub/">sub/</a><a href="flaky.txt">f</a><a href="short.txt">s</a>`);
            return;
          case "/stage/sub/":
            response.end(`<a href="/stage/">loop</a><a href="/stage/sub/">self</a><a href="deep.txt">d</a>`);
            return;
          case "/stage/sub/deep.txt":
            response.end("deep");
            return;
          case "/stage/flaky.txt":
            if (hits.get(url) === 1) response.writeHead(500).end("try again");
            else response.end("flaky but fine");
            return;
          case "/stage/short.txt":
            // The first answer promises 100 bytes and stops at 5; the second is whole.
            if (hits.get(url) === 1) {
              response.writeHead(200, { "content-length": "100" });
              response.write("short");
              response.socket?.destroy();
            } else response.end("short, then whole");
            return;
          default:
            response.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });

    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("follows only links one level below each directory, retries a 500 and a truncated body", async () => {
      const { local, files } = await download(`${base}/stage/`, { backoffMs: 1 });
      assert.equal(files, 3);
      assert.equal(readFileSync(join(local, "sub/deep.txt"), "utf8"), "deep");
      assert.equal(readFileSync(join(local, "flaky.txt"), "utf8"), "flaky but fine");
      assert.equal(readFileSync(join(local, "short.txt"), "utf8"), "short, then whole");
      assert.equal(hits.get(secretFile), undefined, "never left the base URL");
      assert.equal(hits.get("/stage/"), 1, "the loop back to the base was not followed");
    });

    it("a server that invents directories for ever is refused past 64 levels, before anything is written", async () => {
      const local = makeTempDir();
      const source = new HttpSource(`${base}/abyss/`, { backoffMs: 1 });
      try {
        await assert.rejects(downloadTree(source, local), /^PromoteError: a(\/a){64}: the stage is deeper than 64 directories$/);
      } finally {
        await source.close();
      }
      assert.deepEqual(readdirSync(local), [], "nothing was written");
    });

    it("parses links in every quoting, decodes names, and keeps only direct children", () => {
      const directory = new URL("http://h/repo/org/");
      const html = `<a href='a/'>a</a><a href=b%20c.jar>b</a><a HREF="http://h/repo/org/d/">abs (Nexus 2)</a><a href="http://h/repo/">up</a><a href="e/f/">deeper</a><a href="x?y">q</a>`;
      assert.deepEqual(parseHtmlListing(html, directory), [
        { name: "a", type: "directory" },
        { name: "b c.jar", type: "file" },
        { name: "d", type: "directory" },
      ]);
    });

    it("~/.netrc ($NETRC) gives the credentials when no --from-server-id does", async () => {
      const target = freshTarget();
      const netrc = join(makeTempDir(), "netrc");
      const run = (password: string) => {
        writeFileSync(netrc, `machine other.example login nobody password x\nmachine 127.0.0.1\n  login ci\n  password ${password}\ndefault login anon password y\n`);
        return runCliProcess(["plan", "--from", `${base}/private/`, "--to", target], { NETRC: netrc });
      };
      const wrong = await run("wrong-pw");
      assert.equal(wrong.stderr.split("\n")[0], `maven-promote: ${base}/private/: 401 Unauthorized (as ci) [ERR_HTTP]`);
      assert.doesNotMatch(wrong.stderr, /wrong-pw/);
      const right = await run("right-pw");
      assert.match(right.stderr.split("\n")[0]! + right.stdout, /ERR_EMPTY_STAGING/, `logged in: the (empty) listing was read\n${right.stderr}\n${right.stdout}`);
    });

    it("401 names the URL and the user, never the password", async () => {
      const source = new HttpSource(`${base}/private/`, { username: "ci", password: "s3cr3t-pw", attempts: 1 });
      // (the server answers 401 to any password but right-pw)
      try {
        await assert.rejects(source.list(""), (error: Error) => {
          assert.equal(error.message, `${base}/private/: 401 Unauthorized (as ci)`);
          assert.doesNotMatch(error.message, /s3cr3t/);
          return true;
        });
      } finally {
        await source.close();
      }
    });
  });
});
