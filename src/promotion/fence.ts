// The fence (DESIGN.md, "On the target": <id>/fence): every process a promotion runs on the
// server (unzip, the rename script) runs under templates/fence.sh, which holds flock(1) on
// `.maven-promote/<id>/fence` for as long as any of them lives, records who it is in `fence.pid`,
// and stops the work by itself when the SSH channel's stdin reaches EOF (the client is gone).
// Recovery reads the fence before it changes anything, and can stop what holds it.
import { readFileSync } from "node:fs";
import { PromoteError } from "../errors.js";
import type { ExecResult, Transport } from "../transport/transport.js";
import { shellQuote } from "../util/shell-quote.js";

const FENCE_TEMPLATE_URL = new URL("../../../templates/fence.sh", import.meta.url);
let fenceScript: string | undefined;

/** The fence's exit code when an earlier process of the same promotion still holds it. */
export const FENCE_HELD_EXIT = 75;

/** What the fence calls the server's `tar -x` reading the upload's stream (`status` shows it). */
export const STREAM_UNPACK = "unpacking the stream";

/** A process of the promotion that still runs on the server. */
export interface RemoteWork {
  pid: number;
  /** The server's own name for itself (`hostname`). */
  host: string;
  /** When it started (UTC, the server's clock). */
  since: string;
  /** What it is doing, e.g. "unpacking the bundle". */
  what: string;
}

function fenceInvocation(mode: "run" | "stream" | "check" | "stop", stateDirectory: string, args: readonly string[]): string {
  fenceScript ??= readFileSync(FENCE_TEMPLATE_URL, "utf8");
  // The script travels inline, so that checking an older promotion needs no file of its own.
  return `sh -c ${shellQuote(fenceScript)} maven-promote-fence ${[mode, stateDirectory, ...args].map(shellQuote).join(" ")}`;
}

/** The shell command that runs `command` (an argument vector) under the promotion's fence. */
export function fencedCommand(stateDirectory: string, what: string, command: readonly string[]): string {
  return fenceInvocation("run", stateDirectory, [what, ...command]);
}

/**
 * The shell command that runs `command` under the fence with the channel's stdin as its input
 * (the bundle streamed into `tar -x`): the stream's end, or its EOF when the client is gone,
 * ends the work.
 */
export function fencedStreamCommand(stateDirectory: string, what: string, command: readonly string[]): string {
  return fenceInvocation("stream", stateDirectory, [what, ...command]);
}

/** What of the promotion still runs on the server, if anything. */
export async function readRemoteWork(target: Transport, stateDirectory: string): Promise<RemoteWork | undefined> {
  return parseReport(await execOn(target, fenceInvocation("check", stateDirectory, [])), target, stateDirectory);
}

/** Signals the promotion's work on the server (its process group), then says what still runs. */
export async function signalRemoteWork(target: Transport, stateDirectory: string, signal: "TERM" | "KILL"): Promise<RemoteWork | undefined> {
  return parseReport(await execOn(target, fenceInvocation("stop", stateDirectory, [signal])), target, stateDirectory);
}

async function execOn(target: Transport, command: string): Promise<ExecResult> {
  if (!target.capabilities.exec || target.exec === undefined) {
    throw new PromoteError("ERR_CONFIG", `${target.location}: checking the promotion's processes on the server needs a shell (drop --sftp-only)`);
  }
  return target.exec(command);
}

function parseReport(result: ExecResult, target: Transport, stateDirectory: string): RemoteWork | undefined {
  const line = result.stdout.trim().split("\n").pop() ?? "";
  if (result.code === 0 && line === "free") return undefined;
  const match = /^busy (\d+) (\S+) (\S+) (\S+) ?(.*)$/.exec(line);
  if (result.code !== 0 || match === null) {
    const detail = (result.stderr.trim().split("\n").pop() ?? "").slice(0, 200);
    throw new PromoteError("ERR_REMOTE_COMMAND", `cannot check ${stateDirectory}/fence on ${target.location}: exit ${result.code}${detail ? ` (${detail})` : ""}`);
  }
  return { pid: Number(match[1]), since: match[3]!, host: match[4]!, what: match[5] || "working" };
}
