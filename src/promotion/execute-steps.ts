// The rename list executed through the Transport interface: fs.rename on a local target, SFTP
// renames (posix-rename@openssh.com where a file is replaced) on a server without a shell.
// It does exactly what templates/rename.sh does, step for step, and logs the same lines.
import { PromoteError } from "../errors.js";
import type { OrderedOperation, Transport } from "../transport/transport.js";
import { isoNow } from "../util/iso-now.js";
import type { RenameStep } from "./rename-list.js";
import { executeStepsPipelined, type ExecuteStepsInput } from "./execute-steps-pipelined.js";

export type { ExecuteStepsInput };

export async function executeSteps(input: ExecuteStepsInput): Promise<void> {
  // Over a network, steps wait on each other's round trips: send them together where it is safe.
  if (input.transport.applyInOrder !== undefined) return executeStepsPipelined({ ...input, now: input.now ?? isoNow });
  return executeStepsOneByOne(input);
}

async function executeStepsOneByOne({ transport, stateDirectory, steps, now = isoNow, onStep }: ExecuteStepsInput): Promise<void> {
  const logPath = `${stateDirectory}/steps.log`;
  // Inside a metadata group the renames run back to back: their log lines wait until the group
  // is done (a crash in between is safe: a step whose source is gone and whose destination is
  // present counts as done on the next run).
  let groupLog: string[] | undefined;
  const log = async (line: string): Promise<void> => {
    if (groupLog !== undefined) groupLog.push(line);
    else await transport.appendFile(logPath, line + "\n");
  };
  const fail = async (message: string): Promise<never> => {
    if (groupLog !== undefined) await transport.appendFile(logPath, groupLog.join("\n") + "\n");
    groupLog = undefined;
    await log(`fail ${message}`);
    throw new PromoteError("ERR_COMMIT_FAILED", `commit stopped: ${message}`);
  };
  const typeOf = async (path: string) => (await transport.stat(path))?.type;

  for (let index = 0; index < steps.length; index++) {
    const step = steps[index]!;
    if (step.op === "mark" && step.label === "group-start" && transport.applyNow !== undefined) {
      let end = index + 1;
      while (end < steps.length && !(steps[end]!.op === "mark" && (steps[end] as { label: string }).label === "group-end")) end++;
      const group = steps.slice(index, end + 1);
      if (end < steps.length && group.slice(1, -1).every((flip) => flip.op === "remove" || (flip.op === "move-file" && flip.replace))) {
        await flipGroupNow(transport, logPath, group, now, fail, (offset) => onStep?.(index + offset, steps[index + offset]!));
        index = end;
        continue;
      }
    }
    switch (step.op) {
      case "state":
        await log(`state ${step.state} ${now()}`);
        break;
      case "mark":
        if (step.label === "group-start") {
          await log(`mark ${step.label} ${now()} ${step.path}`);
          groupLog = [];
        } else if (step.label === "group-end") {
          const line = `mark ${step.label} ${now()} ${step.path}`;
          const pending = [...(groupLog ?? []), line];
          groupLog = undefined;
          await transport.appendFile(logPath, pending.join("\n") + "\n");
        } else {
          await log(`mark ${step.label} ${now()}`);
        }
        break;
      case "backup": {
        if ((await typeOf(step.path)) !== "file") break;
        const backup = `${stateDirectory}/backup/${step.path}`;
        if ((await typeOf(backup)) === undefined) await transport.linkOrCopy(step.path, backup);
        await log(`backup ${step.path}`);
        break;
      }
      case "move-dir": {
        if ((await typeOf(step.from)) === "directory") {
          if ((await typeOf(step.to)) !== undefined) await fail(`${step.to} already exists; refusing to move ${step.from} onto it`);
          await transport.rename(step.from, step.to, { replace: false });
        } else if ((await typeOf(step.to)) !== "directory") {
          await fail(`neither ${step.from} nor ${step.to} exists`);
        }
        await log(`move-dir ${step.to}`);
        break;
      }
      case "move-file": {
        if (step.replace && groupLog !== undefined) {
          // The fast path: one rename, no stat first; only a failure needs a look.
          const moved = await transport.rename(step.from, step.to, { replace: true }).then(() => true, () => false);
          if (!moved && !((await typeOf(step.from)) === undefined && (await typeOf(step.to)) === "file")) {
            await fail(`cannot move ${step.from} to ${step.to}`);
          }
        } else if ((await typeOf(step.from)) === "file") {
          if (!step.replace && (await typeOf(step.to)) !== undefined) await fail(`${step.to} already exists; refusing to overwrite it`);
          await transport.rename(step.from, step.to, { replace: step.replace });
        } else if ((await typeOf(step.to)) !== "file") {
          await fail(`neither ${step.from} nor ${step.to} exists`);
        }
        await log(`move-file ${step.to}`);
        break;
      }
      case "remove":
        await transport.remove(step.path);
        await log(`remove ${step.path}`);
        break;
      case "sync":
        // Where the server cannot fsync, the step still runs (the order of the renames is kept),
        // and the log says the barrier promised nothing.
        await log((await transport.sync(step.paths)) ? `sync ${step.label}` : `sync ${step.label} unsupported`);
        break;
    }
    onStep?.(index, step);
  }
}

/**
 * A metadata group's flips on a local file system: every removal and rename at once, without an
 * await between them (nothing else of this process runs in the window), the times taken just
 * before the first and just after the last; the group's log lines follow in one append. A
 * failed rename is looked at afterwards, as the one-step fast path does.
 */
async function flipGroupNow(
  transport: Transport,
  logPath: string,
  group: readonly RenameStep[],
  now: () => string,
  fail: (message: string) => Promise<never>,
  onStep: (offset: number) => void,
): Promise<void> {
  const flips = group.slice(1, -1) as Array<Extract<RenameStep, { op: "remove" | "move-file" }>>;
  const start = now();
  const answers = transport.applyNow!(flips.map((flip): OrderedOperation => (flip.op === "remove" ? { op: "remove", path: flip.path } : { op: "rename", from: flip.from, to: flip.to })));
  const end = answers.length > 0 ? now() : start;
  const first = group[0] as Extract<RenameStep, { op: "mark" }> & { path: string };
  const lines = [`mark group-start ${start} ${first.path}`];
  for (const [position, flip] of flips.entries()) {
    const error = answers[position]!.error;
    if (error !== undefined) {
      const done = flip.op === "move-file" && (await transport.stat(flip.from)) === undefined && (await transport.stat(flip.to))?.type === "file";
      if (!done) {
        await transport.appendFile(logPath, lines.join("\n") + "\n");
        await fail(flip.op === "remove" ? `cannot remove ${flip.path}: ${error.message}` : `cannot move ${flip.from} to ${flip.to}`);
      }
    }
    lines.push(flip.op === "remove" ? `remove ${flip.path}` : `move-file ${flip.to}`);
  }
  lines.push(`mark group-end ${end} ${first.path}`);
  await transport.appendFile(logPath, lines.join("\n") + "\n");
  for (let offset = 0; offset < group.length; offset++) onStep(offset);
}

export { isoNow };
