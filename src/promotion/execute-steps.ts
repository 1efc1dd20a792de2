// The rename list executed through the Transport interface: fs.rename on a local target, SFTP
// renames (posix-rename@openssh.com where a file is replaced) on a server without a shell.
// It does exactly what templates/rename.sh does, step for step, and logs the same lines.
import { PromoteError } from "../errors.js";
import type { Transport } from "../transport/transport.js";
import type { RenameStep } from "./rename-list.js";

export interface ExecuteStepsInput {
  transport: Transport;
  stateDirectory: string;
  steps: readonly RenameStep[];
  now?: () => string;
}

export async function executeSteps({ transport, stateDirectory, steps, now = isoNow }: ExecuteStepsInput): Promise<void> {
  const logPath = `${stateDirectory}/steps.log`;
  const log = (line: string): Promise<void> => transport.appendFile(logPath, line + "\n");
  const fail = async (message: string): Promise<never> => {
    await log(`fail ${message}`);
    throw new PromoteError("ERR_COMMIT_FAILED", `commit stopped: ${message}`);
  };
  const typeOf = async (path: string) => (await transport.stat(path))?.type;

  for (const step of steps) {
    switch (step.op) {
      case "state":
        await log(`state ${step.state} ${now()}`);
        break;
      case "mark":
        await log(`mark ${step.label} ${now()}`);
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
        if ((await typeOf(step.from)) === "file") {
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
    }
  }
}

/** UTC with nanosecond digits, the shape `date -u +%Y-%m-%dT%H:%M:%S.%NZ` prints (µs precision). */
export function isoNow(): string {
  const milliseconds = performance.timeOrigin + performance.now();
  const whole = Math.floor(milliseconds / 1000);
  const nanos = Math.round((milliseconds - whole * 1000) * 1e6);
  return `${new Date(whole * 1000).toISOString().slice(0, 19)}.${String(Math.min(nanos, 999_999_999)).padStart(9, "0")}Z`;
}
