// Runs the real `maven-promote` executable in a child process, as users and scripts do.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { cliPath } from "./paths.js";

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment is minimal on purpose: no SSH_AUTH_SOCK, no HOME keys, a pinned clock. */
export async function runCliProcess(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliPath, ...args], {
      ...(cwd === undefined ? {} : { cwd }),
      env: { PATH: process.env.PATH, MAVEN_PROMOTE_NOW: "2026-11-22T10:15:00Z", ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
