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

export async function downloadTree(source: Pick<Transport, "list" | "download">, localDirectory: string): Promise<number> {
  const files: string[] = [];
  await mkdir(localDirectory, { recursive: true });
  const walk = async (directory: string): Promise<void> => {
    for (const entry of (await source.list(directory)) ?? []) {
      const path = joinPath(directory, entry.name);
      // A hostile name never becomes a local path: refuse it before anything is written.
      const reason = unsafePathReason(path);
      if (reason !== undefined) {
        throw new PromoteError("ERR_UNSAFE_PATH", `${printablePath(path)}: ${reason}`, { path: printablePath(path) });
      }
      if (entry.type === "directory") await walk(path);
      else if (entry.type === "file") files.push(path);
      else {
        // A link (SFTP cannot tell where it leads without following it) or a special file:
        // never silently left out, never followed.
        throw new PromoteError("ERR_UNSAFE_PATH", `${path}: is a link or a special file; a stage may hold only files and directories`, { path });
      }
    }
  };
  // The whole tree is listed (and every name checked) before the first byte is written.
  await walk("");
  await mapLimit(files, DOWNLOADS_IN_FLIGHT, (path) => source.download(path, join(localDirectory, ...path.split("/"))));
  return files.length;
}
