// How SftpTransport tells a lost connection: which operations race the connection's end, the
// verbs their messages use, and a few words for how a link ended.
import type { Transport } from "./transport.js";

export const DEFAULT_KEEPALIVE_MS = 15_000;
export const DEFAULT_KEEPALIVE_COUNT_MAX = 3;

/** Every operation of the Transport interface: SftpTransport settles each once the connection ends. */
export const GUARDED_OPERATIONS = [
  "stat", "readFile", "list", "digest", "writeFile", "createExclusive", "appendFile", "download", "upload", "uploadStream", "uploadMany", "mkdirp",
  "rename", "applyInOrder", "linkOrCopy", "remove", "removeEmptyDirectory", "removeTree", "sync", "sha256OnServer", "exec", "execWithInput", "probeOnServer",
  "freeSpace", "statMany", "probeInFlight", "digestMany", "applyAll",
] as const satisfies ReadonlyArray<keyof Transport>;
export type GuardedOperation = (typeof GUARDED_OPERATIONS)[number];
/** Fails to compile when the Transport interface gains an operation that is not guarded. */
type TransportOperation = { [K in keyof Transport]-?: NonNullable<Transport[K]> extends (...args: never[]) => Promise<unknown> ? K : never }[keyof Transport];
const EVERY_OPERATION_GUARDED: Exclude<TransportOperation, GuardedOperation | "close"> extends never ? true : never = true;
void EVERY_OPERATION_GUARDED;

export const OPERATION_VERBS: Record<GuardedOperation, string> = {
  stat: "reading", readFile: "reading", list: "listing", digest: "reading", writeFile: "writing", createExclusive: "writing",
  appendFile: "writing", download: "downloading", upload: "uploading", uploadStream: "uploading", uploadMany: "uploading", mkdirp: "creating", rename: "renaming",
  applyInOrder: "renaming files", linkOrCopy: "copying", remove: "removing", removeEmptyDirectory: "removing", removeTree: "removing",
  sync: "syncing files", sha256OnServer: "hashing files on the server", exec: "running a command on the server", execWithInput: "streaming to a command on the server", probeOnServer: "reading files", freeSpace: "asking for free space",
  statMany: "reading", probeInFlight: "reading files", digestMany: "reading files back", applyAll: "renaming files",
};

/** How a connection ended, in a few words: a stall found by keepalives, a reset, an EOF. */
export function lossReason(error: unknown, options: { keepaliveIntervalMs?: number; keepaliveCountMax?: number }): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code ?? "";
  if (/Keepalive timeout/i.test(message)) {
    const seconds = (((options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS) * ((options.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT_MAX) + 1)) / 1000).toFixed(0);
    return `no answer to keepalives for ${seconds} s: the link stalled`;
  }
  if (code === "ECONNRESET" || /ECONNRESET/.test(message)) return "reset by the peer";
  if (code === "EPIPE" || /EPIPE/.test(message)) return "broken pipe";
  if (code === "ETIMEDOUT" || /ETIMEDOUT/.test(message)) return "timed out";
  return message.replace(/^[a-zA-Z]+: /, "").split("\n")[0]!.slice(0, 120);
}
