// `--hook KIND=COMMAND`: commands a release team hangs on a promotion (purge a CDN, post to chat,
// wait for an approval). Each runs here, through `sh -c`, with the promotion in its environment;
// its output goes to stderr (stdout is the report's, or --json's). A before-* hook that fails
// stops the promotion cleanly; an after-* or on-failure hook that fails is reported and undoes
// nothing. They are built on the library's beforePhase/afterPhase/onFailure callbacks.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PromoteError } from "../errors.js";
import type { Plan } from "../plan/plan-types.js";
import type { HookStop } from "../promotion/journal.js";
import type { PhaseName } from "../promotion/phases.js";
import type { BeforePhaseDecision } from "../promotion/promote.js";
import type { CliIo } from "./io.js";
import { planToJson } from "./render-plan.js";

export const HOOK_KINDS = ["before-upload", "before-commit", "after-commit", "after-finish", "on-failure"] as const;
export type HookKind = (typeof HOOK_KINDS)[number];

export interface HookSpec {
  kind: HookKind;
  command: string;
}

/** `KIND=COMMAND`, as given to --hook (or in the config file's "hook" list). */
export function parseHookSpecs(values: readonly string[]): HookSpec[] {
  return values.map((value) => {
    const at = value.indexOf("=");
    const kind = value.slice(0, Math.max(0, at));
    const command = value.slice(at + 1).trim();
    if (at < 0 || !(HOOK_KINDS as readonly string[]).includes(kind) || command === "") {
      throw new PromoteError("ERR_USAGE", `--hook ${JSON.stringify(value)}: expected KIND=COMMAND with KIND one of ${HOOK_KINDS.join(", ")}`, { path: "--hook" });
    }
    return { kind: kind as HookKind, command };
  });
}

export interface HookCallbacks {
  beforePhase: (phase: PhaseName, plan: Plan) => Promise<BeforePhaseDecision>;
  afterPhase: (phase: PhaseName, plan: Plan) => Promise<HookStop | void>;
  onFailure: (phase: PhaseName, plan: Plan, error: unknown) => Promise<HookStop | void>;
  /** Removes the plan file the hooks read. */
  close: () => Promise<void>;
}

const BEFORE: Partial<Record<PhaseName, HookKind>> = { upload: "before-upload", commit: "before-commit" };
const AFTER: Partial<Record<PhaseName, HookKind>> = { commit: "after-commit", finish: "after-finish" };

/** The library callbacks that run the hooks: every hook of a kind, in the order given; the first failure is the one reported. */
export function hookCallbacks(specs: readonly HookSpec[], options: { target: string; timeoutMs: number; io: CliIo }): HookCallbacks {
  let planFile: string | undefined;
  let planDirectory: string | undefined;
  const run = async (kind: HookKind | undefined, phase: PhaseName, plan: Plan, extra: Record<string, string> = {}): Promise<HookStop | undefined> => {
    const commands = specs.filter((spec) => spec.kind === kind);
    if (kind === undefined || commands.length === 0) return undefined;
    if (planFile === undefined) {
      planDirectory = await mkdtemp(join(tmpdir(), "maven-promote-hook-"));
      planFile = join(planDirectory, "plan.json");
    }
    // Written before each hook, so a hook sees the plan as it stands (it may be remade under the lock).
    await writeFile(planFile, JSON.stringify(planToJson(plan), null, 2) + "\n");
    const env = {
      ...options.io.env,
      MAVEN_PROMOTE_ID: plan.id,
      MAVEN_PROMOTE_HOOK: kind,
      MAVEN_PROMOTE_PHASE: phase,
      MAVEN_PROMOTE_TARGET: options.target,
      MAVEN_PROMOTE_PLAN: planFile,
      ...extra,
    };
    // A before-* hook that fails stops the rest; after-* and on-failure hooks all run regardless.
    let failed: HookStop | undefined;
    for (const { command } of commands) {
      const outcome = await runHookCommand(command, env, options.timeoutMs, options.io);
      if (outcome === undefined) continue;
      failed ??= { hook: kind, ...outcome };
      if (kind.startsWith("before-")) break;
    }
    return failed;
  };
  return {
    beforePhase: async (phase, plan) => (await run(BEFORE[phase], phase, plan)) ?? true,
    afterPhase: (phase, plan) => run(AFTER[phase], phase, plan),
    onFailure: (phase, plan, error) => run("on-failure", phase, plan, { MAVEN_PROMOTE_ERROR: error instanceof Error ? error.message : String(error) }),
    close: async () => {
      if (planDirectory !== undefined) await rm(planDirectory, { recursive: true, force: true });
    },
  };
}

/**
 * Runs one hook command in its own process group; undefined when it exits 0, else how it ended.
 * A hook that outlives the timeout gets SIGTERM, and SIGKILL 5 s later, with all it started.
 */
export function runHookCommand(command: string, env: NodeJS.ProcessEnv, timeoutMs: number, io: CliIo): Promise<Omit<HookStop, "hook"> | undefined> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", command], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    child.stdout.on("data", (chunk: Buffer) => io.stderr(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => io.stderr(chunk.toString()));
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child.pid, "SIGTERM");
      killer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), 5000);
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ exitCode: null, reason: `could not start sh: ${error.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (killer !== undefined) clearTimeout(killer);
      if (timedOut) resolve({ exitCode: null, reason: `did not end within ${Math.round(timeoutMs / 1000)} s (--hook-timeout); stopped` });
      else if (code === 0) resolve(undefined);
      else resolve({ exitCode: code, reason: code === null ? `killed by ${signal}` : `exited ${code}` });
    });
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
