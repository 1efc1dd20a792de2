// Nexus Repository 3 serves a maven2 repository's files at …/repository/NAME/PATH but lists no
// directories there; its REST API lists the repository's assets instead, a page at a time:
//   GET …/service/rest/v1/assets?repository=NAME[&continuationToken=T]
//   → { "items": [{ "path": "org/x/1.0/x-1.0.pom", "downloadUrl": …, … }], "continuationToken": T | null }
// The flat list of paths becomes a directory tree, so the stage is walked (and every name checked)
// exactly as a listed one. Files are downloaded from the URL the user gave, not from downloadUrl,
// which follows Nexus's own base-URL setting and could point anywhere.
import { PromoteError } from "../errors.js";
import type { DirEntry } from "./transport.js";

export interface Nexus3Repository {
  /** The assets endpoint, without its query. */
  assetsUrl: URL;
  name: string;
  /** The part of the stage URL below …/repository/NAME/ ("" or ending in "/"): only assets under it are the stage. */
  prefix: string;
}

/** A URL of the form …/repository/NAME/[PATH/], or undefined. */
export function nexus3RepositoryOf(base: URL): Nexus3Repository | undefined {
  const match = /^(.*?)\/repository\/([^/]+)\/(.*)$/.exec(base.pathname);
  if (match === null) return undefined;
  const [, context, name, prefix] = match as unknown as [string, string, string, string];
  return {
    assetsUrl: new URL(`${context}/service/rest/v1/assets`, base.origin),
    name: decodeURIComponent(name),
    prefix: decodeURIComponent(prefix),
  };
}

/** The URL of one page of the asset list. */
export function assetsPageUrl(repository: Nexus3Repository, continuationToken: string | undefined): URL {
  const url = new URL(repository.assetsUrl);
  url.searchParams.set("repository", repository.name);
  if (continuationToken !== undefined) url.searchParams.set("continuationToken", continuationToken);
  return url;
}

/** The asset paths and the next page's token of one page; anything else in it is ignored. */
export function parseAssetsPage(body: string, url: URL): { paths: string[]; continuationToken: string | undefined } {
  let page: unknown;
  try {
    page = JSON.parse(body);
  } catch {
    throw new PromoteError("ERR_HTTP", `${url.href}: the Nexus 3 asset list is not valid JSON`, { path: url.href });
  }
  const items = (page as { items?: unknown })?.items;
  if (!Array.isArray(items)) throw new PromoteError("ERR_HTTP", `${url.href}: the Nexus 3 asset list has no "items" array`, { path: url.href });
  const token = (page as { continuationToken?: unknown }).continuationToken;
  if (token !== undefined && token !== null && typeof token !== "string") {
    throw new PromoteError("ERR_HTTP", `${url.href}: the Nexus 3 continuationToken is not a string`, { path: url.href });
  }
  const paths = items.map((item: { path?: unknown }) => {
    if (typeof item?.path !== "string") throw new PromoteError("ERR_HTTP", `${url.href}: a Nexus 3 asset has no "path"`, { path: url.href });
    return item.path;
  });
  return { paths, continuationToken: typeof token === "string" && token !== "" ? token : undefined };
}

/**
 * The directory tree (directory path, "" for the stage root → its entries) of the assets under
 * `prefix`. Nexus has written paths both with and without a leading "/". An empty segment is
 * refused here; every other name is checked by the walk like a listed one.
 */
export function assetTree(paths: Iterable<string>, prefix: string): Map<string, DirEntry[]> {
  const tree = new Map<string, Map<string, DirEntry>>([["", new Map()]]);
  const kinds = new Map<string, DirEntry["type"]>();
  const add = (directory: string, name: string, type: DirEntry["type"], full: string) => {
    const seen = kinds.get(full);
    if (seen !== undefined && seen !== type) {
      throw new PromoteError("ERR_UNSAFE_PATH", `${full}: Nexus 3 lists it both as a file and as a directory`, { path: full });
    }
    kinds.set(full, type);
    let entries = tree.get(directory);
    if (entries === undefined) tree.set(directory, (entries = new Map()));
    entries.set(name, { name, type } as DirEntry);
  };
  for (const raw of paths) {
    const path = raw.replace(/^\//, "");
    if (!path.startsWith(prefix)) continue;
    const segments = path.slice(prefix.length).split("/");
    if (segments.some((segment) => segment === "")) {
      throw new PromoteError("ERR_UNSAFE_PATH", `${raw}: a Nexus 3 asset path with an empty segment`, { path: raw });
    }
    segments.forEach((name, index) => {
      const directory = segments.slice(0, index).join("/");
      add(directory, name, index === segments.length - 1 ? "file" : "directory", segments.slice(0, index + 1).join("/"));
    });
  }
  return new Map([...tree].map(([directory, entries]) => [directory, [...entries.values()]]));
}
