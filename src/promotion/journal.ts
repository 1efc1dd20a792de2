// The journal: a promotion's record on the target (DESIGN.md, "On the target"). journal.json is
// written by maven-promote at each phase; steps.log is appended to, one line per finished
// step, by whichever executor runs the rename list (the shell script or the transport). The
// promotion's state is the journal's, overridden by the last `state` line of the log, so a
// promotion killed in the middle of its commit still tells where it stopped.
import { hostname, userInfo } from "node:os";
import { Readable } from "node:stream";
import { PromoteError } from "../errors.js";
import type { Transport } from "../transport/transport.js";
import type { Plan } from "../plan/plan-types.js";
import type { RenameStep } from "./rename-list.js";
import { inPieces, prettyJson } from "../util/pretty-json.js";

export const JOURNAL_FORMAT = 1;

export type JournalState = "uploading" | "uploaded" | "committing" | "committed" | "rolled-back" | "failed";

export interface Journal {
  format: typeof JOURNAL_FORMAT;
  id: string;
  state: JournalState;
  createdAt: string;
  updatedAt: string;
  user: string;
  host: string;
  pid: number;
  source: string;
  target: string;
  executor: "shell" | "transport";
  /** The plan as it was made: resume and rollback need nothing else. */
  plan: Plan;
  steps: RenameStep[];
  verify?: { ok: boolean; problems: string[] };
  metadataWindow?: MetadataWindow;
  /** Whether the commit's barriers reached the disk (false: the server could not fsync). */
  durable?: boolean;
  /** Why the promotion failed, when it did. */
  error?: string;
  /** The hook that stopped it before a phase, and how it ended. */
  stoppedBy?: HookStop;
  /** A group promotion's members (every target, as given to --to, in the group's order): this is one of them. */
  group?: GroupRecord;
}

/** The targets promoted as one, under one id (promote --to A --to B). */
export interface GroupRecord {
  members: string[];
}

/** A hook (or the library's beforePhase callback) that stopped a promotion. */
export interface HookStop {
  /** "before-commit", or "beforePhase" for the library callback. */
  hook: string;
  /** Its exit code; null when it was killed (a timeout) or is not a process. */
  exitCode: number | null;
  reason: string;
}

export interface StepLogEntry {
  op: string;
  subject: string;
  /** For `state` and `mark` lines: when. */
  at?: string;
  /** For group marks: the metadata file. */
  path?: string;
}

/** How long clients could see metadata out of step with its checksums. */
export interface MetadataWindow {
  /** The longest window of any one metadata group, in milliseconds. */
  maxMs: number;
  /** From the first metadata rename to the last, over all groups. */
  totalMs: number;
  groups: number;
}

export function newJournal(plan: Plan, executor: Journal["executor"], steps: RenameStep[], group?: GroupRecord): Journal {
  const now = new Date().toISOString();
  return {
    format: JOURNAL_FORMAT,
    id: plan.id,
    state: "uploading",
    createdAt: now,
    updatedAt: now,
    user: safeUser(),
    host: hostname(),
    pid: process.pid,
    source: plan.source,
    target: plan.target,
    executor,
    plan,
    steps,
    ...(group === undefined ? {} : { group }),
  };
}

/**
 * Whether the promotion is over: journal.json says so only once the server's work has returned
 * (steps.log alone may say "committed" while the rename script still runs its last lines).
 */
export function journalFinished(journal: Journal): boolean {
  return journal.state === "rolled-back" || (journal.state === "committed" && journal.verify !== undefined);
}

export function journalPath(stateDirectory: string): string {
  return `${stateDirectory}/journal.json`;
}

export async function writeJournal(transport: Transport, stateDirectory: string, journal: Journal): Promise<void> {
  journal.updatedAt = new Date().toISOString();
  // Write aside, then rename over: a reader never sees half a journal.
  const path = journalPath(stateDirectory);
  try {
    // Streamed, a piece at a time: the journal holds the whole plan (25 MB of JSON for 3,000
    // artifacts), and one string of it, with its bytes, cost more memory than the plan (issue 18).
    await transport.uploadStream(Readable.from(asBuffers(inPieces(prettyJson(journal)))), `${path}.tmp`);
  } catch (error) {
    // Half a journal (the disk filled as it was written) is no record: it is not left behind.
    await transport.remove(`${path}.tmp`).catch(() => undefined);
    throw error;
  }
  await transport.rename(`${path}.tmp`, path, { replace: true });
}

function* asBuffers(pieces: Iterable<string>): Generator<Buffer> {
  for (const piece of pieces) yield Buffer.from(piece);
}

/** The journal of 10,000 artifacts is about 85 MB; a larger file is not one we wrote. */
const MAX_JOURNAL_BYTES = 1024 * 1024 * 1024;

export async function readJournal(transport: Transport, stateDirectory: string): Promise<{ journal: Journal; log: StepLogEntry[]; state: JournalState } | undefined> {
  const bytes = await transport.readFile(journalPath(stateDirectory), MAX_JOURNAL_BYTES);
  if (bytes === undefined) return undefined;
  let journal: Journal;
  try {
    journal = JSON.parse(bytes.toString("utf8")) as Journal;
  } catch (error) {
    throw new PromoteError("ERR_IO", `${journalPath(stateDirectory)}: the journal is not valid JSON`, { path: journalPath(stateDirectory), cause: error });
  }
  return { journal, ...(await readCommitRecord(transport, stateDirectory, journal)) };
}

/**
 * What a commit left on record, for the journal already in memory: its steps.log and the state
 * they give it. The journal file (the whole plan again) is not read back.
 */
export async function readCommitRecord(transport: Transport, stateDirectory: string, journal: Journal): Promise<{ log: StepLogEntry[]; state: JournalState }> {
  const log = parseStepsLog((await transport.readFile(`${stateDirectory}/steps.log`))?.toString("utf8") ?? "");
  const lastState = [...log].reverse().find((entry) => entry.op === "state")?.subject as JournalState | undefined;
  return { log, state: laterState(journal.state, lastState) };
}

export function parseStepsLog(text: string): StepLogEntry[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const [op = "", ...rest] = line.split(" ");
      if (op === "state" || op === "mark") {
        const entry: StepLogEntry = { op, subject: rest[0] ?? "", at: rest[1] ?? "" };
        if (rest.length > 2) entry.path = rest.slice(2).join(" ");
        return entry;
      }
      return { op, subject: rest.join(" ") };
    });
}

/** The metadata windows from the marks in the log, if the commit logged them. */
export function metadataWindow(log: readonly StepLogEntry[]): MetadataWindow | undefined {
  // The first mark of each label and path, looked up once: a search of the log per group grew
  // with the square of the groups (issue 18).
  const marks = new Map<string, string | undefined>();
  for (const entry of log) {
    const key = `${entry.subject} ${entry.path ?? ""}`;
    if (entry.op === "mark" && !marks.has(key)) marks.set(key, entry.at);
  }
  const timeOf = (label: string, path?: string): bigint | undefined => {
    const at = marks.get(`${label} ${path ?? ""}`);
    return at === undefined ? undefined : isoToNanos(at);
  };
  const start = timeOf("metadata-start");
  const end = timeOf("metadata-end");
  if (start === undefined || end === undefined) return undefined;
  const groupPaths = log.filter((entry) => entry.op === "mark" && entry.subject === "group-start").map((entry) => entry.path);
  let maxNs = 0n;
  for (const path of groupPaths) {
    const groupStart = timeOf("group-start", path);
    const groupEnd = timeOf("group-end", path);
    if (groupStart !== undefined && groupEnd !== undefined && groupEnd - groupStart > maxNs) maxNs = groupEnd - groupStart;
  }
  return { maxMs: Number(maxNs) / 1e6, totalMs: Number(end - start) / 1e6, groups: groupPaths.length };
}

/** Whether every durability barrier the commit logged reached the disk; undefined before any. */
export function commitDurable(log: readonly StepLogEntry[]): boolean | undefined {
  const barriers = log.filter((entry) => entry.op === "sync");
  if (barriers.length === 0) return undefined;
  return barriers.every((entry) => !entry.subject.endsWith(" unsupported"));
}

function isoToNanos(text: string): bigint | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{1,9})Z$/.exec(text);
  if (match === null) return undefined;
  return BigInt(Date.parse(`${match[1]}Z`)) * 1_000_000n + BigInt(match[2]!.padEnd(9, "0"));
}

const STATE_ORDER: JournalState[] = ["uploading", "uploaded", "committing", "committed", "rolled-back", "failed"];

/** The journal file and the log can each be ahead of the other after a crash; the later one wins. */
function laterState(fromJournal: JournalState, fromLog: JournalState | undefined): JournalState {
  if (fromLog === undefined) return fromJournal;
  if (fromJournal === "rolled-back" || fromJournal === "failed") return fromJournal;
  return STATE_ORDER.indexOf(fromLog) > STATE_ORDER.indexOf(fromJournal) ? fromLog : fromJournal;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}
