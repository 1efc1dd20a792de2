// An HTTP(S) staging repository, read by walking its directory listings: nginx autoindex (HTML
// or `autoindex_format json`), Apache httpd mod_autoindex, Artifactory's listing, and listings
// with absolute links (Nexus 2 style); or, for Nexus Repository 3, which lists no directories,
// through its REST asset list (nexus3-assets.ts). Only links one level below the directory listed are followed (no `../`,
// other hosts, query links such as Apache's `?C=N;O=D` sort links), so a listing cannot lead the
// walk out of the base URL or round in a loop. Files stream to disk; a connection reset, a 5xx,
// a 429 (honouring Retry-After) or a truncated body is retried with backoff.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Agent as HttpAgent } from "node:http";
import { dirname } from "node:path";
import { pipeline } from "node:stream/promises";
import { rootCertificates } from "node:tls";
import { PromoteError } from "../errors.js";
import { assetsPageUrl, assetTree, nexus3RepositoryOf, parseAssetsPage } from "./nexus3-assets.js";
import type { DirEntry } from "./transport.js";

/**
 * How the stage is listed: "auto" reads directory listings, unless the server says it is Nexus 3
 * (a `Server: Nexus/3…` header) and the URL is …/repository/NAME/…, when its asset API is used;
 * "index" always reads listings; "nexus3" always uses the asset API (for a proxy that hides the
 * Server header).
 */
export type HttpListing = "auto" | "index" | "nexus3";
export const HTTP_LISTINGS: readonly HttpListing[] = ["auto", "index", "nexus3"];

export interface HttpSourceOptions {
  /** HTTP Basic credentials (a settings.xml server's); the password is never printed. */
  username?: string;
  password?: string;
  /** PEM file of CA certificates trusted besides the system's. */
  caFile?: string;
  /** Attempts per request for transient failures. */
  attempts?: number;
  /** First backoff delay; doubled each retry. */
  backoffMs?: number;
  listing?: HttpListing;
}

/** What the public URL answered for one path. */
export interface PublicAnswer {
  status: number;
  /** sha256 of the body (200 only). */
  sha256?: string;
  /** The body as text, for checksum files (200 only, first 64 KiB). */
  text?: string;
  /** The caching headers that explain a stale answer (those present). */
  headers: Partial<Record<CacheHeader, string>>;
}

export const CACHE_HEADERS = ["age", "cache-control", "last-modified", "etag", "x-cache"] as const;
export type CacheHeader = (typeof CACHE_HEADERS)[number];

const MAX_LISTING_BYTES = 16 * 1024 * 1024;
const MAX_REDIRECTS = 5;
/** The text kept of a body read as a user (checksum files are far shorter). */
const MAX_TEXT_BYTES = 64 * 1024;
/** A Nexus 3 asset list longer than this many pages is taken for a loop. */
const MAX_ASSET_PAGES = 100_000;

export class HttpSource {
  private readonly base: URL;
  /** The URL each answer came from, after redirects. */
  private readonly servedFrom = new WeakMap<IncomingMessage, URL>();
  private httpAgent: HttpAgent | undefined;
  private httpsAgent: HttpsAgent | undefined;
  /** The whole tree, once a Nexus 3 asset list has been read. */
  private assets: Map<string, DirEntry[]> | undefined;
  /** The Server header of the last answer, 404s included (Nexus 3 answers 404 for a directory). */
  private lastServerHeader: string | undefined;

  constructor(
    base: string,
    private readonly options: HttpSourceOptions = {},
  ) {
    this.base = new URL(base.endsWith("/") ? base : `${base}/`);
  }

  /** The entries of a directory (repository-relative path, "" for the base), or undefined if it is not there. */
  async list(path: string): Promise<DirEntry[] | undefined> {
    if (this.assets !== undefined) return this.assets.get(path);
    const listing = this.options.listing ?? "auto";
    if (path === "" && listing === "nexus3") return this.listNexus3Assets();
    const url = new URL(path === "" ? "" : `${encodePath(path)}/`, this.base);
    const listed = await this.fetchListing(url);
    if (path === "" && listing === "auto" && this.isNexus3(this.lastServerHeader)) return this.listNexus3Assets();
    if (listed === undefined && path === "") {
      throw new PromoteError("ERR_REPOSITORY_NOT_FOUND", `--from ${this.base.href}: 404 Not Found (no staging repository listed there)`, { path: "--from" });
    }
    if (listed === undefined) return undefined;
    const { response, body } = listed;
    const json = /json/i.test(String(response.headers["content-type"] ?? "")) || /^\s*\[/.test(body);
    if (json) return parseJsonListing(body, url);
    // Links are relative to where the listing was served from, after any redirect.
    const served = this.servedFrom.get(response) ?? url;
    const entries = parseHtmlListing(body, served);
    const elsewhere = path === "" && entries.length === 0 ? foreignOrigin(body, served) : undefined;
    if (elsewhere !== undefined) {
      // Nexus 2 writes absolute links with its own base-URL setting, which may name another host.
      throw new PromoteError("ERR_HTTP", `${url.href}: the listing links to ${elsewhere}, not to ${url.origin} (is the server's own base URL set to another host?); use --from with that host`, { path: url.href });
    }
    return entries;
  }

  /** A Nexus 3 server (by its Server header) whose URL names a repository. */
  private isNexus3(server: string | undefined): boolean {
    return server !== undefined && /^Nexus\/3\./i.test(server) && nexus3RepositoryOf(this.base) !== undefined;
  }

  /** Reads every page of the Nexus 3 asset list and keeps the tree it makes. */
  private async listNexus3Assets(): Promise<DirEntry[]> {
    const repository = nexus3RepositoryOf(this.base);
    if (repository === undefined) {
      throw new PromoteError("ERR_CONFIG", `--from ${this.base.href}: --from-listing nexus3 needs a Nexus 3 repository URL, …/repository/NAME/`, { path: "--from" });
    }
    const paths: string[] = [];
    const tokens = new Set<string>();
    let token: string | undefined;
    do {
      const url = assetsPageUrl(repository, token);
      const listed = await this.fetchListing(url);
      if (listed === undefined) {
        throw new PromoteError("ERR_REPOSITORY_NOT_FOUND", `--from ${this.base.href}: Nexus 3 has no repository ${repository.name} (404 from ${url.href})`, { path: "--from" });
      }
      const page = parseAssetsPage(listed.body, url);
      paths.push(...page.paths);
      token = page.continuationToken;
      if (token !== undefined && (tokens.has(token) || tokens.size >= MAX_ASSET_PAGES)) {
        throw new PromoteError("ERR_HTTP", `${url.href}: the Nexus 3 asset list does not end (continuationToken ${JSON.stringify(token)} again)`, { path: url.href });
      }
      if (token !== undefined) tokens.add(token);
    } while (token !== undefined);
    this.assets = assetTree(paths, repository.prefix);
    return this.assets.get("") ?? [];
  }

  /**
   * A listing's response and its whole body; undefined for a 404. A body cut short (a reset, an
   * EOF, a stall past the timeout) is asked for again like a failed request, then reported in
   * one line naming the URL (issue 17: never an internal error).
   */
  private async fetchListing(url: URL): Promise<{ response: IncomingMessage; body: string } | undefined> {
    for (let attempt = 1; ; attempt++) {
      const response = await this.fetch(url, "list");
      if (response === undefined) return undefined;
      try {
        return { response, body: await readBody(response, url) };
      } catch (error) {
        if (error instanceof PromoteError) throw error;
        if (!isTransient(error) || attempt >= this.attempts()) {
          throw new PromoteError(isTransient(error) ? "ERR_UNAVAILABLE" : "ERR_HTTP", `${url.href}: cannot read the listing (${describe(error)})`, { path: url.href, cause: error });
        }
        await delay(this.backoff(attempt));
      }
    }
  }

  async download(path: string, localPath: string): Promise<void> {
    const url = new URL(encodePath(path), this.base);
    await mkdir(dirname(localPath), { recursive: true });
    for (let attempt = 1; ; attempt++) {
      const response = await this.fetch(url, "download");
      if (response === undefined) throw new PromoteError("ERR_HTTP", `${url.href}: 404 Not Found (it was listed)`, { path: url.href });
      const expected = Number(response.headers["content-length"] ?? Number.NaN);
      let received = 0;
      response.on("data", (chunk: Buffer) => (received += chunk.length));
      try {
        await pipeline(response, createWriteStream(localPath));
        if (!Number.isNaN(expected) && received !== expected) throw Object.assign(new Error(`${received} of ${expected} bytes`), { code: "ETRUNCATED" });
        return;
      } catch (error) {
        await rm(localPath, { force: true });
        if (!isTransient(error) || attempt >= this.attempts()) {
          throw new PromoteError(isTransient(error) ? "ERR_UNAVAILABLE" : "ERR_HTTP", `${url.href}: the download failed (${describe(error)})`, { path: url.href, cause: error });
        }
        await delay(this.backoff(attempt));
      }
    }
  }

  /**
   * What a user's client gets for `path` (no cache-busting headers): the status, the body's
   * sha256 and, when short, its text, and the caching headers that explain a stale answer.
   */
  async readAsUser(path: string): Promise<PublicAnswer> {
    const url = new URL(encodePath(path), this.base);
    for (let attempt = 1; ; attempt++) {
      const response = await this.fetch(url, "download");
      if (response === undefined) return { status: 404, headers: {} };
      const headers: PublicAnswer["headers"] = {};
      for (const name of CACHE_HEADERS) {
        const value = response.headers[name];
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      const hash = createHash("sha256");
      const start: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of response as AsyncIterable<Buffer>) {
          hash.update(chunk);
          if (size < MAX_TEXT_BYTES) start.push(chunk.subarray(0, MAX_TEXT_BYTES - size));
          size += chunk.length;
        }
        return { status: 200, sha256: hash.digest("hex"), text: Buffer.concat(start).toString("utf8"), headers };
      } catch (error) {
        if (!isTransient(error) || attempt >= this.attempts()) {
          throw new PromoteError(isTransient(error) ? "ERR_UNAVAILABLE" : "ERR_HTTP", `${url.href}: the read failed (${describe(error)})`, { path: url.href, cause: error });
        }
        await delay(this.backoff(attempt));
      }
    }
  }

  async close(): Promise<void> {
    this.httpAgent?.destroy();
    this.httpsAgent?.destroy();
  }

  /**
   * GET with retries; undefined for a 404. Other 4xx are one line naming the URL and the user.
   * Redirects are followed (at most MAX_REDIRECTS): for a listing only within the base URL (a
   * listing served from elsewhere could lead the walk anywhere); for a file anywhere but from
   * https to http (a repository manager may send downloads to a blob store), with the
   * credentials kept for the base URL's origin.
   */
  private async fetch(url: URL, what: "list" | "download"): Promise<IncomingMessage | undefined> {
    let current = url;
    for (let attempt = 1, redirects = 0; ; attempt++) {
      let response: IncomingMessage;
      try {
        response = await this.get(current);
      } catch (error) {
        if (isTransient(error) && attempt < this.attempts()) {
          await delay(this.backoff(attempt));
          continue;
        }
        const code = isTransient(error) ? "ERR_UNAVAILABLE" : "ERR_HTTP";
        throw new PromoteError(code, `${current.href}: cannot ${what === "list" ? "read the listing" : "download"} (${describe(error)})`, { path: current.href, cause: error });
      }
      const status = response.statusCode ?? 0;
      this.lastServerHeader = String(response.headers.server ?? "");
      if (status === 200) {
        this.servedFrom.set(response, current);
        return response;
      }
      response.resume();
      if (status === 404) return undefined;
      if ([301, 302, 303, 307, 308].includes(status) && response.headers.location !== undefined) {
        const next = this.redirectTarget(current, response.headers.location, what, url);
        if (++redirects > MAX_REDIRECTS) throw new PromoteError("ERR_HTTP", `${url.href}: more than ${MAX_REDIRECTS} redirects`, { path: url.href });
        current = next;
        attempt = 0;
        continue;
      }
      if ((status >= 500 || status === 429) && attempt < this.attempts()) {
        await delay(retryAfterMs(response) ?? this.backoff(attempt));
        continue;
      }
      const who = this.options.username === undefined ? "without credentials" : `as ${this.options.username}`;
      const authenticated = current.origin === this.base.origin;
      // A server error or "too many requests" that outlasted the retries may pass later.
      throw new PromoteError(status >= 500 || status === 429 ? "ERR_UNAVAILABLE" : "ERR_HTTP", `${current.href}: ${status} ${response.statusMessage ?? ""}`.trim() + ((status === 401 || status === 403) && authenticated ? ` (${who})` : ""), { path: current.href });
    }
  }

  private redirectTarget(from: URL, location: string, what: "list" | "download", asked: URL): URL {
    let next: URL;
    try {
      next = new URL(location, from);
    } catch {
      throw new PromoteError("ERR_HTTP", `${asked.href}: redirects to ${JSON.stringify(location)}, which is not a URL`, { path: asked.href });
    }
    const below = next.origin === this.base.origin && next.pathname.startsWith(this.base.pathname);
    if (what === "list" && !below) {
      throw new PromoteError("ERR_HTTP", `${asked.href}: the listing redirects to ${next.href}, outside --from ${this.base.href}`, { path: asked.href });
    }
    if ((next.protocol !== "https:" && next.protocol !== "http:") || (from.protocol === "https:" && next.protocol === "http:")) {
      throw new PromoteError("ERR_HTTP", `${asked.href}: redirects to ${next.href}; only http(s), and never from https to http`, { path: asked.href });
    }
    return next;
  }

  private async get(url: URL): Promise<IncomingMessage> {
    const https = url.protocol === "https:";
    const agent = https ? (this.httpsAgent ??= new HttpsAgent({ keepAlive: true, maxSockets: 8, ca: await this.trustedCas() })) : (this.httpAgent ??= new HttpAgent({ keepAlive: true, maxSockets: 8 }));
    const headers: Record<string, string> = { "user-agent": "maven-promote" };
    // The credentials go only to the origin they were given for, never after a redirect elsewhere.
    if (this.options.username !== undefined && url.origin === this.base.origin) {
      headers.authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password ?? ""}`).toString("base64")}`;
    }
    return new Promise((resolve, reject) => {
      const request = (https ? httpsRequest : httpRequest)(url, { agent, headers }, resolve);
      request.setTimeout(60_000, () => request.destroy(Object.assign(new Error("no answer for 60 s"), { code: "ETIMEDOUT" })));
      request.on("error", reject);
      request.end();
    });
  }

  private async trustedCas(): Promise<string[] | undefined> {
    if (this.options.caFile === undefined) return undefined; // Node's default: the system CAs
    try {
      return [...rootCertificates, await readFile(this.options.caFile, "utf8")];
    } catch (error) {
      throw new PromoteError("ERR_CONFIG", `--ca-file ${this.options.caFile}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { path: "--ca-file" });
    }
  }

  private attempts(): number {
    return this.options.attempts ?? 4;
  }

  private backoff(attempt: number): number {
    return (this.options.backoffMs ?? 250) * 2 ** (attempt - 1);
  }
}

async function readBody(response: IncomingMessage, url: URL): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_LISTING_BYTES) throw new PromoteError("ERR_HTTP", `${url.href}: the listing is over ${MAX_LISTING_BYTES} bytes`, { path: url.href });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Links of an HTML listing that name an entry directly below `directory`. */
export function parseHtmlListing(html: string, directory: URL): DirEntry[] {
  const entries = new Map<string, DirEntry>();
  for (const href of hrefs(html)) {
    const entry = entryBelow(href, directory);
    if (entry !== undefined && !entries.has(entry.name)) entries.set(entry.name, entry);
  }
  return [...entries.values()];
}

/** The href of each <a> in a page, in every quoting, entities decoded. */
function* hrefs(html: string): Generator<string> {
  for (const match of html.matchAll(/<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) yield decodeHtml(match[1] ?? match[2] ?? match[3] ?? "");
}

/** The origin of an absolute link in the listing that is below the same path on another host, if any. */
function foreignOrigin(html: string, directory: URL): string | undefined {
  for (const href of hrefs(html)) {
    try {
      const url = new URL(href, directory);
      if (url.origin !== directory.origin && url.pathname.startsWith(directory.pathname) && url.pathname !== directory.pathname) return url.origin;
    } catch {
      // not a URL
    }
  }
  return undefined;
}

/** nginx's `autoindex_format json`: [{ "name", "type": "directory" | "file" | … }]. */
export function parseJsonListing(body: string, directory: URL): DirEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new PromoteError("ERR_HTTP", `${directory.href}: the JSON listing is not valid JSON`, { path: directory.href });
  }
  if (!Array.isArray(parsed)) throw new PromoteError("ERR_HTTP", `${directory.href}: the JSON listing is not an array`, { path: directory.href });
  return parsed.flatMap((item: { name?: unknown; type?: unknown }) => {
    if (typeof item?.name !== "string") return [];
    const type = item.type === "directory" ? "directory" : item.type === "file" ? "file" : "other";
    return [{ name: item.name, type } as DirEntry];
  });
}

function entryBelow(href: string, directory: URL): DirEntry | undefined {
  if (href === "" || href.startsWith("?") || href.startsWith("#")) return undefined;
  let url: URL;
  try {
    url = new URL(href, directory);
  } catch {
    return undefined;
  }
  if (url.origin !== directory.origin || url.search !== "" || !url.pathname.startsWith(directory.pathname)) return undefined;
  const rest = url.pathname.slice(directory.pathname.length);
  if (!/^[^/]+\/?$/.test(rest)) return undefined; // the directory itself, or deeper than one level
  let name: string;
  try {
    name = decodeURIComponent(rest.replace(/\/$/, ""));
  } catch {
    return undefined;
  }
  if (name === "." || name === "..") return undefined;
  return { name, type: rest.endsWith("/") ? "directory" : "file" } as DirEntry;
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

function decodeHtml(text: string): string {
  return text.replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

function isTransient(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // "aborted" (a response whose connection ended before its body did) carries ECONNRESET.
  return code === "ECONNRESET" || code === "ETIMEDOUT" || code === "EPIPE" || code === "ECONNREFUSED" || code === "ETRUNCATED" || code === "ERR_STREAM_PREMATURE_CLOSE";
}

function retryAfterMs(response: IncomingMessage): number | undefined {
  const header = response.headers["retry-after"];
  if (header === undefined || Array.isArray(header)) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(30, Math.max(0, seconds)) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.min(30_000, Math.max(0, date - Date.now()));
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
