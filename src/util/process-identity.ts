// Who a process on this machine is, beyond its pid: a pid is reused, but a pid together with the
// kernel's record of when that process started (and of which boot) names one process for good.
// Locks and journals record it, so that "is the promotion that holds this lock still alive?" has
// an exact answer on the machine that ran it.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

/** The name this machine records in locks and journals (MAVEN_PROMOTE_HOSTNAME overrides it). */
export function thisHost(): string {
  return process.env.MAVEN_PROMOTE_HOSTNAME || hostname();
}

/**
 * `<boot id>:<start time in clock ticks>` of a process (Linux /proc), or undefined where the
 * kernel does not tell (another OS, or no such process).
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime); the command name (field 2) may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    return `${boot}:${fields[19]}`;
  } catch {
    return undefined;
  }
}

/** Whether a process of this machine is still the one recorded; without a start time, by pid alone. */
export function localProcessAlive(pid: number, start: string | undefined): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (start !== undefined) {
    const now = processStart(pid);
    if (now !== undefined || processStart(process.pid) !== undefined) return now === start;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // alive, but someone else's
  }
}
