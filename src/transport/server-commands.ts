// The shell commands SftpTransport sends to probe and hash many paths at once, and the parsing
// of what they print.
import { PromoteError } from "../errors.js";
import { shellQuote } from "../util/shell-quote.js";
import type { ShellResult } from "./remote-shell.js";
import { readTarFiles } from "./tar-reader.js";
import type { FileStat, ProbeRequest, ProbeResult } from "./transport.js";

type RunShort = (command: string) => Promise<ShellResult>;

/** A command that could not run means "use SFTP instead", unless the connection is gone. */
function unlessLost(error: unknown): undefined {
  if (error instanceof PromoteError && error.code === "ERR_CONNECTION_LOST") throw error;
  return undefined;
}

/** The sha256 of each path that exists, hashed on the server: a handful of commands for any number of paths. */
export async function sha256OnServer(run: RunShort, paths: readonly string[]): Promise<Map<string, string> | undefined> {
  const digests = new Map<string, string>();
  const batches = commandBatches(paths, 2);
  // A few batches at once: round trips stay few, and the server's cores all hash.
  const results = await Promise.all(batches.map((batch) => run(`sha256sum -- ${batch.map(shellQuote).join(" ")}`).catch(unlessLost)));
  for (const result of results) {
    // Exit 1: a file is missing or unreadable; the others are still listed (missing ones are
    // left out of the map, and callers look at them one by one).
    if (result === undefined || (result.code !== 0 && result.code !== 1)) return undefined;
    for (const line of result.stdout.toString("utf8").split("\n")) {
      const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
      if (match !== null) digests.set(match[2]!, match[1]!);
    }
  }
  return digests;
}

/**
 * Stats every path and reads the small files among `read` with one command per batch of paths
 * (find and tar), a few batches at once: a handful of round trips for any number of paths.
 * undefined where the server lacks GNU find or tar (then probeMany sends SFTP requests).
 */
export async function probeOnServer(run: RunShort, request: ProbeRequest): Promise<Map<string, ProbeResult> | undefined> {
  const toRead = new Set(request.read);
  const all = [...new Set([...request.stat, ...request.read])];
  // Each path appears twice in the command when it is read as well.
  const batches = commandBatches(all, 2);
  const answers = await Promise.all(batches.map((batch) => run(probeCommand(batch, batch.filter((path) => toRead.has(path)), request.maxBytes)).catch(unlessLost)));
  if (answers.some((answer) => answer === undefined || answer.code !== 0)) return undefined;
  const results = new Map<string, ProbeResult>(all.map((path) => [path, { stat: undefined }]));
  answers.forEach((answer, index) => {
    const { stats, tar } = parseProbeOutput(answer!.stdout);
    for (const [path, stat] of stats) if (results.has(path)) results.get(path)!.stat = stat;
    const wanted = new Set(batches[index]!.filter((path) => toRead.has(path)));
    for (const [path, content] of readTarFiles(tar, wanted, request.maxBytes)) results.get(path)!.content = content;
  });
  return results;
}

/**
 * Splits paths into as few remote commands as fit: sshd hands the command to the shell as one
 * argument, which Linux caps at 128 KiB (MAX_ARG_STRLEN); each path is quoted `times` times.
 * Every command costs a round trip and a shell start on the server, so fewer is faster.
 */
const COMMAND_BYTES = 96 * 1024;

export function commandBatches(paths: readonly string[], times: number): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const path of paths) {
    const cost = (Buffer.byteLength(path) + 8) * times;
    if (batch.length > 0 && bytes + cost > COMMAND_BYTES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(path);
    bytes += cost;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * One command that prints, for every path that exists, "TYPE SIZE MTIME PATH\0" (GNU find,
 * following symlinks as SFTP's stat does), an empty record, then a tar of the files of `read`
 * of at most maxBytes. Every path is given as ./path, so none can be taken for an option.
 */
export function probeCommand(paths: readonly string[], read: readonly string[], maxBytes: number): string {
  const quoted = (list: readonly string[]) => list.map((path) => shellQuote(`./${path}`)).join(" ");
  const check = "find . -maxdepth 0 -printf '' >/dev/null 2>&1 && command -v tar >/dev/null 2>&1 || exit 127";
  const stats = `find -L ${quoted(paths)} -maxdepth 0 -printf '%y %s %T@ %p\\0' 2>/dev/null`;
  const files = read.length === 0 ? "" : `find -L ${quoted(read)} -maxdepth 0 -type f -size -${maxBytes + 1}c -print0 2>/dev/null | tar -c -h --hard-dereference --no-recursion --null -T - -f - 2>/dev/null`;
  return [check, stats, "printf '\\0'", files, "exit 0"].filter((part) => part !== "").join("; ");
}

export function parseProbeOutput(output: Buffer): { stats: Map<string, FileStat>; tar: Buffer } {
  const stats = new Map<string, FileStat>();
  let offset = 0;
  for (;;) {
    const end = output.indexOf(0, offset);
    if (end < 0) return { stats, tar: Buffer.alloc(0) };
    const record = output.subarray(offset, end).toString("utf8");
    offset = end + 1;
    if (record === "") return { stats, tar: output.subarray(offset) };
    const match = /^(\S) (\d+) ([\d.]+) \.\/(.+)$/s.exec(record);
    if (match === null || match[1] === "l") continue; // a broken symlink: stat() finds nothing there either
    const type = match[1] === "f" ? "file" : match[1] === "d" ? "directory" : "other";
    stats.set(match[4]!, { type, size: Number(match[2]), mtimeMs: Math.round(Number(match[3]) * 1000) });
  }
}
