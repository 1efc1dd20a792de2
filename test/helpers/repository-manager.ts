// A small HTTP server that serves a directory the way three repository managers do, with pages
// shaped like test/fixtures/listings/ (Nexus 2, Artifactory, Nexus 3's asset API). Neither
// product can run here, so the pages follow their published formats; the parsers are tested on
// the fixture pages themselves in test/unit/transport/listing-formats.test.ts.
//   /nexus/content/repositories/staging/…  Nexus 2: absolute hrefs, a "Parent Directory" link
//   /artifactory/libs-staging-local/…      Artifactory: <pre> listing with "../"
//   /nexus3/repository/staging/…           Nexus 3: files only, a directory is 404, and
//   /nexus3/service/rest/v1/assets         the asset list, 10 a page, with continuationToken
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type ServerResponse, type Server } from "node:http";
import { join, relative } from "node:path";

export interface RepositoryManagerServer {
  url: string;
  /** Requests by path and query, for asserting what was (not) fetched. */
  hits: Map<string, number>;
  /** Nexus 3 sends no Server header (as behind a proxy that strips it). */
  hideNexus3Header: boolean;
  /** Nexus 3's asset list hands out the same continuationToken for ever. */
  loopAssetPages: boolean;
  stop(): Promise<void>;
}

const NEXUS2 = "/nexus/content/repositories/staging/";
const ARTIFACTORY = "/artifactory/libs-staging-local/";
const NEXUS3_CONTENT = "/nexus3/repository/staging/";
const NEXUS3_ASSETS = "/nexus3/service/rest/v1/assets";
const NEXUS3_SERVER = "Nexus/3.76.1-01 (OSS)";
const PAGE_SIZE = 10;

export async function startRepositoryManager(directory: string): Promise<RepositoryManagerServer> {
  const files = listFiles(directory);
  const state = { hideNexus3Header: false, loopAssetPages: false };
  const hits = new Map<string, number>();
  let origin = "";
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", origin);
    hits.set(url.pathname + url.search, (hits.get(url.pathname + url.search) ?? 0) + 1);
    if (url.pathname.startsWith(NEXUS3_CONTENT) || url.pathname === NEXUS3_ASSETS) {
      if (!state.hideNexus3Header) response.setHeader("server", NEXUS3_SERVER);
      if (url.pathname === NEXUS3_ASSETS) return assetsPage(response, url, files, state.loopAssetPages);
      return serve(response, directory, url.pathname.slice(NEXUS3_CONTENT.length), () => response.writeHead(404).end("Not Found"));
    }
    for (const [prefix, render] of [
      [NEXUS2, nexus2Page],
      [ARTIFACTORY, artifactoryPage],
    ] as const) {
      if (!url.pathname.startsWith(prefix)) continue;
      const path = decodeURIComponent(url.pathname.slice(prefix.length));
      return serve(response, directory, path, (entries) => {
        response.setHeader("content-type", "text/html;charset=utf-8");
        response.end(render(origin, prefix, path, entries));
      });
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url: origin,
    hits,
    get hideNexus3Header() {
      return state.hideNexus3Header;
    },
    set hideNexus3Header(value) {
      state.hideNexus3Header = value;
    },
    get loopAssetPages() {
      return state.loopAssetPages;
    },
    set loopAssetPages(value) {
      state.loopAssetPages = value;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Entry {
  name: string;
  directory: boolean;
  size: number;
}

/** A file's bytes, or for a directory (its path ending in "/") the listing `render` writes. */
function serve(response: ServerResponse, root: string, path: string, render: (entries: Entry[]) => void): void {
  const local = join(root, ...path.split("/").filter(Boolean));
  let stat;
  try {
    stat = statSync(local);
  } catch {
    response.writeHead(404).end();
    return;
  }
  if (stat.isDirectory() && (path === "" || path.endsWith("/"))) {
    const entries = readdirSync(local, { withFileTypes: true }).map((entry) => ({
      name: entry.name,
      directory: entry.isDirectory(),
      size: entry.isDirectory() ? 0 : statSync(join(local, entry.name)).size,
    }));
    render(entries.sort((a, b) => a.name.localeCompare(b.name)));
  } else if (stat.isFile()) {
    response.setHeader("content-length", stat.size);
    response.end(readFileSync(local));
  } else response.writeHead(404).end();
}

function nexus2Page(origin: string, prefix: string, path: string, entries: Entry[]): string {
  const here = `${origin}${prefix}${path}`;
  const parent = path === "" ? undefined : `${origin}${prefix}${path.replace(/[^/]+\/$/, "")}`;
  const rows = entries.map(
    (entry) => `      <tr>
        <td>
          <a href="${here}${encodeURIComponent(entry.name)}${entry.directory ? "/" : ""}">${entry.name}${entry.directory ? "/" : ""}</a>
        </td>
        <td>Wed Dec 02 11:02:44 UTC 2026</td>
        <td align="right">
          ${entry.directory ? "" : entry.size}
        </td>
        <td></td>
      </tr>`,
  );
  return `<html>
  <head>
    <title>Index of /repositories/staging/${path}</title>
    <link rel="icon" type="image/png" href="${origin}/nexus/favicon.png">
    <link rel="stylesheet" href="${origin}/nexus/static/css/Sonatype-content.css?2.15.1-02" type="text/css" media="screen" title="no title" charset="utf-8">
  </head>
  <body>
    <h1>Index of /repositories/staging/${path}</h1>
    <table cellspacing="10">
      <tr><th align="left">Name</th><th>Last Modified</th><th>Size</th><th>Description</th></tr>
${parent === undefined ? "" : `      <tr><td><a href="${parent}">Parent Directory</a></td></tr>\n`}${rows.join("\n")}
    </table>
  </body>
</html>
`;
}

function artifactoryPage(_origin: string, _prefix: string, path: string, entries: Entry[]): string {
  const title = `libs-staging-local/${path.replace(/\/$/, "")}`;
  const rows = entries.map((entry) => {
    const name = `${entry.name}${entry.directory ? "/" : ""}`;
    return `<a href="${encodeURIComponent(entry.name)}${entry.directory ? "/" : ""}">${name}</a>${" ".repeat(Math.max(1, 40 - name.length))}02-Dec-2026 11:02  ${entry.directory ? "  -" : `${entry.size} bytes`}`;
  });
  return `<!DOCTYPE html>
<html>
<head><meta name="robots" content="noindex" />
<title>Index of ${title}</title>
</head>
<body>
<h1>Index of ${title}</h1>
<pre>Name                                    Last modified      Size</pre><hr/>
<pre><a href="../">../</a>
${rows.join("\n")}
</pre>
<hr/><address style="font-size:small;">Artifactory/7.90.10 Server at 127.0.0.1 Port 80</address></body></html>
`;
}

/** One page of the asset list; half the paths with a leading "/", as newer Nexus versions write them. */
function assetsPage(response: ServerResponse, url: URL, files: string[], loop: boolean): void {
  if (url.searchParams.get("repository") !== "staging") {
    response.writeHead(404, { "content-type": "application/json" }).end(`{"message":"Repository not found"}`);
    return;
  }
  const start = loop ? 0 : Number(url.searchParams.get("continuationToken") ?? "0");
  const page = files.slice(start, start + PAGE_SIZE);
  const next = start + PAGE_SIZE < files.length ? String(start + PAGE_SIZE) : null;
  const items = page.map((path, index) => ({
    downloadUrl: `http://nexus.internal:8081/repository/staging/${path}`,
    path: index % 2 === 0 ? `/${path}` : path,
    id: Buffer.from(`staging:${path}`).toString("base64url"),
    repository: "staging",
    format: "maven2",
    checksum: {},
  }));
  response.setHeader("content-type", "application/json");
  response.end(JSON.stringify({ items, continuationToken: loop ? "same-token" : next }, null, 2));
}

function listFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(relative(root, path).split("\\").join("/"));
    }
  };
  walk(root);
  return files.sort();
}
