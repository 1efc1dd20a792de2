// The rename list over SFTP without a shell, with requests in flight together instead of one
// round trip per step (issue 9). The same steps, the same checks and the same log lines as
// executeSteps (execute-steps.ts), in the same order; only the waiting differs:
//   - runs of independent steps (backups, version-directory moves, SNAPSHOT files) take two
//     rounds whatever their number: every path they look at stat'ed at once, then every link or
//     move sent at once (Transport.applyAll, issue 18); their log lines are written in step
//     order once the run is done;
//   - a durability barrier is the transport's sync(), which over SFTP keeps a window of fsyncs
//     in flight;
//   - the metadata flips go out back to back in rename-list order in one burst (applyInOrder),
//     which the server applies in the order sent (see SftpTransport.applyInOrder for what the
//     protocol and OpenSSH promise), so each metadata file still follows its checksums;
//   - the log is written at the points recovery depends on: before `state` lines take effect,
//     before the first metadata flip (`mark metadata-start` means every backup is made), and
//     after each durability barrier.
import { PromoteError } from "../errors.js";
import type { BatchOperation, OrderedOperation, Transport } from "../transport/transport.js";
import { statMany } from "../transport/read-many.js";
import { mapLimit } from "../util/map-limit.js";
import type { RenameStep } from "./rename-list.js";

export interface ExecuteStepsInput {
  transport: Transport;
  stateDirectory: string;
  steps: readonly RenameStep[];
  now?: () => string;
  /** Told after each step is done. */
  onStep?: (index: number, step: RenameStep) => void;
}

const STEPS_IN_FLIGHT = 32;

export async function executeStepsPipelined(input: Required<Pick<ExecuteStepsInput, "now">> & ExecuteStepsInput): Promise<void> {
  const { transport, stateDirectory, steps, now } = input;
  const onStep = input.onStep ?? (() => {});
  const logPath = `${stateDirectory}/steps.log`;
  let pending: string[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    await transport.appendFile(logPath, lines.join("\n") + "\n");
  };
  const fail = async (message: string): Promise<never> => {
    pending.push(`fail ${message}`);
    await flush();
    throw new PromoteError("ERR_COMMIT_FAILED", `commit stopped: ${message}`);
  };
  const typeOf = async (path: string) => (await transport.stat(path))?.type;

  let index = 0;
  while (index < steps.length) {
    const step = steps[index]!;
    if (step.op === "backup" || step.op === "move-dir" || step.op === "move-file") {
      const run: Array<{ index: number; step: RenameStep }> = [];
      while (index < steps.length && steps[index]!.op === step.op) run.push({ index, step: steps[index++]! });
      await runTogether(run, { transport, stateDirectory, onStep }, pending, fail);
      continue;
    }
    if (step.op === "mark" && step.label === "metadata-start") {
      pending.push(`mark metadata-start ${now()}`);
      await flush(); // every backup is on record before the first flip
      onStep(index, step);
      const end = steps.findIndex((candidate, at) => at > index && candidate.op === "mark" && candidate.label === "metadata-end");
      await flipMetadata(steps.slice(index + 1, end).map((flip, offset) => ({ index: index + 1 + offset, step: flip })), transport, typeOf, pending, fail, onStep);
      index = end;
      continue;
    }
    switch (step.op) {
      case "state":
        pending.push(`state ${step.state} ${now()}`);
        await flush();
        break;
      case "sync":
        pending.push((await transport.sync(step.paths)) ? `sync ${step.label}` : `sync ${step.label} unsupported`);
        await flush();
        break;
      case "mark":
        pending.push("path" in step ? `mark ${step.label} ${now()} ${step.path}` : `mark ${step.label} ${now()}`);
        break;
      case "remove":
        await transport.remove(step.path);
        pending.push(`remove ${step.path}`);
        break;
    }
    onStep(index, step);
    index++;
  }
  await flush();
}

interface RunContext {
  transport: Transport;
  stateDirectory: string;
  onStep: (index: number, step: RenameStep) => void;
}

/**
 * Independent steps of one kind, in two rounds whatever their number: every path they look at
 * stat'ed at once, then every move or link they need sent at once (Transport.applyAll); their
 * log lines then follow in step order. Each step is checked as executeSteps checks it.
 */
async function runTogether(run: Array<{ index: number; step: RenameStep }>, context: RunContext, pending: string[], fail: (message: string) => Promise<never>): Promise<void> {
  const { transport, stateDirectory } = context;
  const looked = [...new Set(run.flatMap(({ step }) => pathsLookedAt(step, stateDirectory)))];
  const found = await statMany(transport, looked);
  const types = new Map(looked.map((path, index) => [path, found[index]?.type]));
  const typeOf = (path: string): string | undefined => types.get(path);
  const operations: BatchOperation[] = [];
  const outcomes = run.map(({ step }) => {
    const outcome = decide(step, stateDirectory, typeOf);
    if (typeof outcome === "object") operations.push(outcome);
    return outcome;
  });
  // A transport error stops the run (and the commit), as it does one step at a time.
  await applyAll(transport, operations);
  for (const [position, { index, step }] of run.entries()) if (typeof outcomes[position] !== "string") context.onStep(index, step);
  for (const [position, { step }] of run.entries()) {
    const outcome = outcomes[position];
    if (outcome === SKIPPED) continue; // nothing to do, nothing logged (a backup of a file the target lacks)
    if (typeof outcome === "string") await fail(outcome);
    pending.push(logLine(step));
  }
}

/** A step that had nothing to do and logs no line, as in executeSteps. */
const SKIPPED = Symbol("skipped");

/** What a step looks at before it acts. */
function pathsLookedAt(step: RenameStep, stateDirectory: string): string[] {
  switch (step.op) {
    case "backup":
      return [step.path, `${stateDirectory}/backup/${step.path}`];
    case "move-dir":
    case "move-file":
      return [step.from, step.to];
    default:
      throw new Error(`not a step that runs together: ${step.op}`);
  }
}

/**
 * What one step must do, given the types of what it looks at, as executeSteps decides it: the
 * operation to send, nothing (done already: undefined; nothing to back up: SKIPPED), or why
 * the commit must stop.
 */
function decide(step: RenameStep, stateDirectory: string, typeOf: (path: string) => string | undefined): BatchOperation | string | undefined | typeof SKIPPED {
  switch (step.op) {
    case "backup": {
      if (typeOf(step.path) !== "file") return SKIPPED;
      const backup = `${stateDirectory}/backup/${step.path}`;
      return typeOf(backup) === undefined ? { op: "link", from: step.path, to: backup } : undefined;
    }
    case "move-dir":
      if (typeOf(step.from) === "directory") {
        if (typeOf(step.to) !== undefined) return `${step.to} already exists; refusing to move ${step.from} onto it`;
        return { op: "move", from: step.from, to: step.to, replace: false };
      }
      return typeOf(step.to) === "directory" ? undefined : `neither ${step.from} nor ${step.to} exists`;
    case "move-file":
      if (typeOf(step.from) === "file") {
        if (!step.replace && typeOf(step.to) !== undefined) return `${step.to} already exists; refusing to overwrite it`;
        return { op: "move", from: step.from, to: step.to, replace: step.replace };
      }
      return typeOf(step.to) === "file" ? undefined : `neither ${step.from} nor ${step.to} exists`;
    default:
      throw new Error(`not a step that runs together: ${step.op}`);
  }
}

/** Every operation at once where the transport can (Transport.applyAll), else a few at a time. */
async function applyAll(transport: Transport, operations: readonly BatchOperation[]): Promise<void> {
  if (operations.length === 0) return;
  if (transport.applyAll !== undefined) return transport.applyAll(operations);
  await mapLimit(operations, STEPS_IN_FLIGHT, (operation) =>
    operation.op === "link" ? transport.linkOrCopy(operation.from, operation.to) : transport.rename(operation.from, operation.to, { replace: operation.replace }),
  );
}

function logLine(step: RenameStep): string {
  switch (step.op) {
    case "backup":
      return `backup ${step.path}`;
    case "move-dir":
      return `move-dir ${step.to}`;
    case "move-file":
      return `move-file ${step.to}`;
    default:
      throw new Error(`no log line for ${step.op}`);
  }
}

/**
 * Every metadata group's removals and renames in one burst, in rename-list order. A group's
 * marks carry the times its first and its last answer arrived: the server answers each request
 * right after applying it, so their distance is the window in which a client could see that
 * metadata file and its checksums out of step (plus the jitter of the answers' way back).
 */
async function flipMetadata(
  section: Array<{ index: number; step: RenameStep }>,
  transport: Transport,
  typeOf: (path: string) => Promise<string | undefined>,
  pending: string[],
  fail: (message: string) => Promise<never>,
  onStep: (index: number, step: RenameStep) => void,
): Promise<void> {
  const operations: OrderedOperation[] = [];
  const operationOf = new Map<number, number>();
  for (const { index, step } of section) {
    if (step.op === "remove") operationOf.set(index, operations.push({ op: "remove", path: step.path }) - 1);
    if (step.op === "move-file") operationOf.set(index, operations.push({ op: "rename", from: step.from, to: step.to }) - 1);
  }
  const answers = await transport.applyInOrder!(operations);
  let groupLines: string[] = [];
  let groupStart: { path: string } | undefined;
  let firstAnswer: string | undefined;
  let lastAnswer: string | undefined;
  for (const { index, step } of section) {
    const at = operationOf.get(index);
    if (at !== undefined) {
      const answer = answers[at]!;
      firstAnswer ??= answer.at;
      lastAnswer = answer.at;
      if (answer.error !== undefined && step.op === "move-file" && !((await typeOf(step.from)) === undefined && (await typeOf(step.to)) === "file")) {
        pending.push(...groupLines);
        await fail(`cannot move ${step.from} to ${step.to}`);
      }
      // A removal of a file that is not there succeeds (rm -f); any other failure stops the commit.
      if (answer.error !== undefined && step.op === "remove") {
        pending.push(...groupLines);
        await fail(`cannot remove ${step.path}: ${answer.error.message}`);
      }
      groupLines.push(step.op === "remove" ? `remove ${step.path}` : `move-file ${(step as Extract<RenameStep, { op: "move-file" }>).to}`);
    } else if (step.op === "mark" && step.label === "group-start") {
      groupStart = { path: step.path };
      groupLines = [];
      firstAnswer = undefined;
    } else if (step.op === "mark" && step.label === "group-end" && groupStart !== undefined) {
      pending.push(`mark group-start ${firstAnswer ?? lastAnswer} ${groupStart.path}`, ...groupLines, `mark group-end ${lastAnswer} ${step.path}`);
      groupLines = [];
    }
    onStep(index, step);
  }
}
