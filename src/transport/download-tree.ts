// Pulls a whole repository (an SFTP staging repository) down to a local directory, so that the
// stage is scanned and validated on this machine like a local one.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { mapLimit } from "../util/map-limit.js";
import { PromoteError } from "../errors.js";
import { joinPath, printablePath, unsafePathReason } from "../maven/repository-path.js";
import type { Transport } from "./transport.js";

/** Files downloaded at once (each on its own SFTP request chain or HTTP connection). */
const DOWNLOADS_IN_FLIGHT = 8;
/** Directories listed at once: a listing is a round trip, and a release has hundreds of directories. */
const LISTINGS_IN_FLIGHT = 8;
/** Deeper than any Maven path: a server inventing directories for ever is refused, not followed. */
const MAX_DEPTH = 64;

export async function downloadTree(
  source: Pick<Transport, "list" | "download">,
  localDirectory: string,
  /** How many directories are listed at once (the HTTP stage benchmark compares 1 with the default). */
  options: { listingsInFlight?: number } = {},
): Promise<number> {
  const files: string[] = [];
  await mkdir(localDirectory, { recursive: true });
  // The whole tree is listed (and every name checked) before the first byte is written, a level
  // at a time, several directories of a level at once.
  let level = [""];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > MAX_DEPTH) {
      const path = printablePath(level[0]!);
      throw new PromoteError("ERR_UNSAFE_PATH", `${path}: the stage is deeper than ${MAX_DEPTH} directories`, { path });
    }
    const listings = await mapLimit(level, options.listingsInFlight ?? LISTINGS_IN_FLIGHT, (directory) => source.list(directory));
    const next: string[] = [];
    level.forEach((directory, index) => {
      for (const entry of listings[index] ?? []) {
        const path = joinPath(directory, entry.name);
        // A hostile name never becomes a local path: refuse it before anything is written.
        const reason = unsafePathReason(path);
        if (reason !== undefined) {
          throw new PromoteError("ERR_UNSAFE_PATH", `${printablePath(path)}: ${reason}`, { path: printablePath(path) });
        }
        if (entry.type === "directory") next.push(path);
        else if (entry.type === "file") files.push(path);
        else {
          // A link (SFTP cannot tell where it leads without following it) or a special file:
          // never silently left out, never followed.
          throw new PromoteError("ERR_UNSAFE_PATH", `${path}: is a link or a special file; a stage may hold only files and directories`, { path });
        }
      }
    });
    level = next;
  }
  await mapLimit(files, DOWNLOADS_IN_FLIGHT, (path) => source.download(path, join(localDirectory, ...path.split("/"))));
  return files.length;
}
