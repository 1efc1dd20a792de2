// The real `maven-promote` executable as a child process that a test can watch while it runs:
// its events (MAVEN_PROMOTE_EVENTS=1: one JSON line each on stderr) and its other stderr lines
// are waited on as events, never with a sleep.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { cliPath } from "./paths.js";

export interface CliEvent {
  type: string;
  [key: string]: unknown;
}

export interface WatchedCli {
  child: ChildProcess;
  /** Resolves with the first event (so far or to come) that matches. */
  waitForEvent(predicate: (event: CliEvent) => boolean): Promise<CliEvent>;
  /** Resolves with the first stderr line that matches (events excluded). */
  waitForLine(pattern: RegExp): Promise<string>;
  /** The exit code, and everything printed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): WatchedCli {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { PATH: process.env.PATH, MAVEN_PROMOTE_NOW: "2026-11-22T10:15:00Z", MAVEN_PROMOTE_EVENTS: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const events: CliEvent[] = [];
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let stdout = "";
  let stderr = "";
  let partial = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    stderr += text;
    partial += text;
    let newline: number;
    while ((newline = partial.indexOf("\n")) >= 0) {
      const line = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      try {
        events.push(JSON.parse(line) as CliEvent);
      } catch {
        lines.push(line);
      }
    }
    for (const listener of [...listeners]) listener();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code, signal) => {
      for (const listener of [...listeners]) listener();
      resolve({ code, signal, stdout, stderr });
    }),
  );
  const waitFor = <T>(find: () => T | undefined, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const found = find();
        if (found !== undefined) {
          listeners.delete(check);
          resolve(found);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          listeners.delete(check);
          reject(new Error(`maven-promote ${args[0]} ended (${child.exitCode ?? child.signalCode}) before ${what}; stderr:\n${stderr}`));
        }
      };
      listeners.add(check);
      check();
    });
  return {
    child,
    waitForEvent: (predicate) => {
      // Each event is shown to the predicate once, in order (stopAtMatcher counts them).
      let next = 0;
      const find = (): CliEvent | undefined => {
        while (next < events.length) {
          const event = events[next++]!;
          if (predicate(event)) return event;
        }
        return undefined;
      };
      return waitFor(find, "the awaited event");
    },
    waitForLine: (pattern) => waitFor(() => lines.find((line) => pattern.test(line)), `a line matching ${pattern}`),
    exited,
  };
}

/**
 * Lets a client that stopped itself at its event run again. The event line reaches us just before
 * the SIGSTOP lands: wait until the kernel shows it stopped, or the SIGCONT would come first.
 */
export async function continueStopped(pid: number): Promise<void> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const fields = procStat(pid);
    if (fields === undefined) return; // gone
    if (fields[0] === "T") break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  process.kill(pid, "SIGCONT");
}

/** The fields of /proc/PID/stat after the command name (state first, start time at 19). */
export function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/**
 * The predicate that finds the event MAVEN_PROMOTE_STOP_AT=spec stops the CLI after, keyed as
 * the CLI keys it (src/cli/promote-command.ts): the phase of phase events, the index of
 * commit:step, and the count so far of other events. Give it every event in order.
 */
export function stopAtMatcher(spec: string): (event: CliEvent) => boolean {
  const counts = new Map<string, number>();
  return (event) => {
    const count = (counts.get(event.type) ?? 0) + 1;
    counts.set(event.type, count);
    const key = "phase" in event ? String(event.phase) : event.type === "commit:step" ? String(event.index) : String(count);
    return spec === event.type || spec === `${event.type}:${key}`;
  };
}
