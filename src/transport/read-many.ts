// Reads many small files and stats many paths of a repository at once, so that the number of
// round trips a promotion waits on does not grow with the number of artifacts (issue 9).
// Where the server has a shell, one remote command answers a whole batch (see SftpTransport's
// probeOnServer); over SFTP without one, every request is in flight in one window
// (probeInFlight, src/transport/sftp-read-many.ts); elsewhere, many requests are in flight at
// once. What it returns is what stat() and readFile() would have returned, one path at a time.
import { mapLimit } from "../util/map-limit.js";
import type { FileStat, ProbeRequest, ProbeResult, Transport } from "./transport.js";

export type { ProbeRequest, ProbeResult };

/** Stats every path in flight at once; reads at most this many files at a time (server handles). */
const STATS_IN_FLIGHT = 1024;
const READS_IN_FLIGHT = 64;

export async function probeMany(transport: Transport, request: ProbeRequest): Promise<Map<string, ProbeResult>> {
  const onServer = await transport.probeOnServer?.(request);
  if (onServer !== undefined) return onServer;
  if (transport.probeInFlight !== undefined) return transport.probeInFlight(request);
  const toRead = new Set(request.read);
  const all = [...new Set([...request.stat, ...request.read])];
  const results = new Map<string, ProbeResult>();
  const stats = await statMany(transport, all);
  all.forEach((path, index) => results.set(path, { stat: stats[index] }));
  const files = all.filter((path) => toRead.has(path) && results.get(path)!.stat?.type === "file" && results.get(path)!.stat!.size <= request.maxBytes);
  await mapLimit(files, READS_IN_FLIGHT, async (path) => {
    const content = await transport.readFile(path, request.maxBytes).catch(() => undefined);
    if (content !== undefined) results.get(path)!.content = content;
  });
  return results;
}

/** stat() of each path: with the transport's statMany where it has one, else many at once. */
export async function statMany(transport: Transport, paths: readonly string[]): Promise<Array<FileStat | undefined>> {
  if (transport.statMany !== undefined) return transport.statMany(paths);
  return mapLimit(paths, STATS_IN_FLIGHT, (path) => transport.stat(path));
}

/**
 * A transport that answers stat() and readFile() from what probeMany fetched ahead, and asks
 * the real one for anything else. For planning only: the plan reads, never writes, and is
 * checked again under the lock with fresh reads.
 */
export function withReadAhead(transport: Transport): { transport: Transport; prefetch(request: ProbeRequest): Promise<void> } {
  const known = new Map<string, ProbeResult>();
  const readAhead: Transport = Object.create(transport) as Transport;
  readAhead.stat = async (path) => (known.has(path) ? known.get(path)!.stat : transport.stat(path));
  readAhead.readFile = async (path, maxBytes = Number.MAX_SAFE_INTEGER) => {
    const entry = known.get(path);
    if (entry !== undefined && entry.stat?.type !== "file") return undefined;
    if (entry?.content !== undefined && entry.content.length <= maxBytes) return entry.content;
    return transport.readFile(path, maxBytes);
  };
  return {
    transport: readAhead,
    async prefetch(request) {
      for (const [path, result] of await probeMany(transport, request)) known.set(path, result);
    },
  };
}
