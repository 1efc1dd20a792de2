// The promotion pipeline: plan → stage → upload → commit → verify → finish, walked from the
// PHASES table. The plan is made with reads only; nothing on the target changes before the
// upload phase, and then only `.rip` names and `.maven-promote/` until the commit.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PromoteError } from "../errors.js";
import type { Transport } from "../transport/transport.js";
import { shellQuote } from "../util/shell-quote.js";
import { bundleEntries, writeBundle } from "./bundle.js";
import { executeSteps } from "./execute-steps.js";
import { metadataWindow, newJournal, readJournal, writeJournal, type Journal, type JournalState, type MetadataWindow } from "./journal.js";
import { PHASES, type PhaseName } from "./phases.js";
import { createPlan, type PlanInput } from "./plan.js";
import type { Plan } from "./plan-types.js";
import { buildRenameList, stagedItemsOf, stateDirectory, type RenameStep, type StagedItem } from "./rename-list.js";
import { renderRenameScript } from "./render-script.js";
import { verifyPromotion } from "./verify-promotion.js";

export type PromotionEvent =
  | { type: "phase:start"; phase: PhaseName }
  | { type: "phase:end"; phase: PhaseName }
  | { type: "upload:progress"; loaded: number; total: number };

export interface PromoteInput extends PlanInput {
  /**
   * How the rename list runs: `shell` renders templates/rename.sh and runs it over SSH (needs
   * sh, unzip, mv, ln); `transport` runs it through the transport (fs.rename locally, SFTP
   * renames on a server without a shell). `auto` picks shell where the transport can exec.
   */
  executor?: "auto" | "shell" | "transport";
  /** The repository root as the server's shell sees it (SSH targets). */
  remoteRoot?: string;
  dryRun?: boolean;
  /** Called before each phase; returning false stops the run (honoured before upload and commit). */
  beforePhase?: (phase: PhaseName, plan: Plan) => Promise<boolean | void> | boolean | void;
  onEvent?: (event: PromotionEvent) => void;
}

export interface PromoteResult {
  plan: Plan;
  /** The last phase that ran to its end. */
  completed: PhaseName | null;
  state: JournalState | "planned" | "stopped";
  verifyProblems: string[];
  /** The longest time any metadata file and its checksums were out of step (ms). */
  metadataWindowMs?: number;
  metadataWindow?: MetadataWindow;
  executor: "shell" | "transport";
}

interface Context {
  input: PromoteInput;
  target: Transport;
  plan: Plan;
  executor: "shell" | "transport";
  stateDirectory: string;
  workDirectory: string;
  items: StagedItem[];
  steps: RenameStep[];
  script?: string;
  bundlePath?: string;
  journal?: Journal;
  result: PromoteResult;
}

const RUNNERS: Record<PhaseName, (context: Context) => Promise<void>> = {
  plan: async () => {},
  stage: stagePhase,
  upload: uploadPhase,
  commit: commitPhase,
  verify: verifyPhase,
  finish: finishPhase,
};

export async function promote(input: PromoteInput): Promise<PromoteResult> {
  const emit = input.onEvent ?? (() => {});
  emit({ type: "phase:start", phase: "plan" });
  const plan = await createPlan(input);
  emit({ type: "phase:end", phase: "plan" });
  const executor = chooseExecutor(input);
  const result: PromoteResult = { plan, completed: "plan", state: "planned", verifyProblems: [], executor };
  if (!plan.ok || input.dryRun) return result;

  const workDirectory = await mkdtemp(join(tmpdir(), "maven-promote-"));
  const context: Context = {
    input,
    target: input.target,
    plan,
    executor,
    stateDirectory: stateDirectory(plan.id),
    workDirectory,
    items: stagedItemsOf(plan),
    steps: buildRenameList(plan),
    result,
  };
  try {
    for (const phase of PHASES.filter((row) => row.name !== "plan")) {
      if (phase.hookMayStop && (await input.beforePhase?.(phase.name, plan)) === false) {
        result.state = "stopped";
        return result;
      }
      emit({ type: "phase:start", phase: phase.name });
      try {
        await RUNNERS[phase.name](context);
      } catch (error) {
        if (phase.name === "upload") await withdrawUpload(context, error);
        throw stoppedDuring(phase.name, plan.id, error);
      }
      result.completed = phase.name;
      emit({ type: "phase:end", phase: phase.name });
    }
    return result;
  } finally {
    await rm(workDirectory, { recursive: true, force: true });
  }
}

/** Names the promotion and the phase in the error, so the user knows what to resume. */
function stoppedDuring(phase: PhaseName, id: string, error: unknown): unknown {
  if (!(error instanceof PromoteError)) return error;
  const prefix = `promotion ${id} stopped during ${phase}: `;
  return new PromoteError(error.code, prefix + error.message, {
    cause: error,
    hint: error.hint,
    ...(error.path === undefined ? {} : { path: error.path }),
  });
}

function chooseExecutor(input: PromoteInput): "shell" | "transport" {
  const wanted = input.executor ?? "auto";
  const canExec = input.target.capabilities.exec && input.target.exec !== undefined;
  if (wanted === "shell" && !canExec) {
    throw new PromoteError("ERR_CONFIG", `--executor shell: ${input.target.location} offers no shell; use --executor transport`, { path: "--executor" });
  }
  if (wanted === "auto") return canExec ? "shell" : "transport";
  return wanted;
}

// --- phases -----------------------------------------------------------------------------------

/**
 * Renders the rename script and, for the shell executor, writes the bundle in a local work
 * directory. Nothing leaves the machine. The script goes to the target with every executor: it
 * is the readable record of the commit, and what finishes it by hand on a server with a shell.
 */
async function stagePhase(context: Context): Promise<void> {
  context.script = renderRenameScript({
    id: context.plan.id,
    root: context.input.remoteRoot ?? "/",
    stateDirectory: context.stateDirectory,
    steps: context.steps,
  });
  if (context.executor !== "shell") return;
  context.bundlePath = join(context.workDirectory, "bundle.zip");
  await writeBundle(
    bundleEntries(context.plan, context.items, [{ name: `${context.stateDirectory}/rename.sh`, content: context.script }]),
    context.bundlePath,
  );
}

async function uploadPhase(context: Context): Promise<void> {
  const { target, plan, stateDirectory: state } = context;
  await refuseStaleRipItems(context);
  // The journal goes first: a promotion killed at any later instant can be found and resumed.
  context.journal = newJournal(plan, context.executor, context.steps);
  await target.mkdirp(state);
  await writeJournal(target, state, context.journal);

  const totalBytes =
    context.bundlePath !== undefined ? (await stat(context.bundlePath)).size : plan.uploads.reduce((sum, upload) => sum + upload.size, 0);
  let loaded = 0;
  const progress = (sent: number): void => {
    loaded += sent;
    context.input.onEvent?.({ type: "upload:progress", loaded, total: totalBytes });
  };

  if (context.executor === "shell") {
    const bundle = `${state}/bundle.zip`;
    await target.upload(context.bundlePath!, bundle, progress);
    // -o: the entries are this promotion's own .rip names (checked absent above); -q: quiet.
    await runRemote(target, `unzip -q -o ${shellQuote(bundle)}`, "unpacking the bundle", UNZIP_FAILURES);
  } else {
    await target.writeFile(`${state}/rename.sh`, context.script ?? "");
    const uploads = new Map(plan.uploads.map((upload) => [upload.path, upload]));
    for (const item of context.items) {
      const upload = uploads.get(item.path)!;
      if (upload.localPath !== undefined) await target.upload(upload.localPath, item.ripPath, progress);
      else {
        await target.writeFile(item.ripPath, upload.content ?? "");
        progress(upload.size);
      }
    }
  }
  context.journal.state = "uploaded";
  await writeJournal(target, state, context.journal);
}

async function commitPhase(context: Context): Promise<void> {
  const { target, stateDirectory: state } = context;
  if (context.executor === "shell") {
    await runRemote(target, `sh ${shellQuote(`${state}/rename.sh`)}`, "running the rename script");
  } else {
    await executeSteps({ transport: target, stateDirectory: state, steps: context.steps });
  }
  const recorded = await readJournal(target, state);
  context.result.state = recorded?.state ?? "committed";
  const window = recorded === undefined ? undefined : metadataWindow(recorded.log);
  if (window !== undefined) {
    context.result.metadataWindow = window;
    context.result.metadataWindowMs = window.maxMs;
  }
}

async function verifyPhase(context: Context): Promise<void> {
  context.result.verifyProblems = await verifyPromotion(context.plan, context.target);
}

async function finishPhase(context: Context): Promise<void> {
  const { target, stateDirectory: state, journal } = context;
  if (journal === undefined) return;
  journal.state = "committed";
  journal.verify = { ok: context.result.verifyProblems.length === 0, problems: context.result.verifyProblems };
  if (context.result.metadataWindow !== undefined) journal.metadataWindow = context.result.metadataWindow;
  await writeJournal(target, state, journal);
  await target.remove(`${state}/bundle.zip`);
  context.result.state = "committed";
  if (context.result.verifyProblems.length > 0) {
    throw new PromoteError(
      "ERR_VERIFY_FAILED",
      `the target does not read back as planned: ${context.result.verifyProblems[0]}${context.result.verifyProblems.length > 1 ? ` (and ${context.result.verifyProblems.length - 1} more)` : ""}`,
    );
  }
}

/**
 * An upload that failed (a full disk, a permission, a server error) takes back what it wrote,
 * so that the target holds no half-uploaded .rip items, and marks its journal failed. Best
 * effort: if the connection is gone this fails too, and the first error is the one reported.
 */
async function withdrawUpload(context: Context, error: unknown): Promise<void> {
  if (context.journal === undefined) return; // nothing was written yet (e.g. stale .rip refused)
  try {
    const topLevel = new Set(context.items.map((item) => topLevelRipName(item.ripPath)));
    for (const path of topLevel) {
      if ((await context.target.stat(path))?.type === "directory") await context.target.removeTree(path);
      else await context.target.remove(path);
    }
    await context.target.remove(`${context.stateDirectory}/bundle.zip`);
    context.journal.state = "failed";
    context.journal.error = error instanceof Error ? error.message : String(error);
    await writeJournal(context.target, context.stateDirectory, context.journal);
  } catch {
    // Keep the first error: it is the one the user must see.
  }
}

/** `a/b/1.0.rip/x.jar` → `a/b/1.0.rip`; `a/b/m.xml.rip` → itself. */
function topLevelRipName(ripPath: string): string {
  const inDirectory = ripPath.indexOf(".rip/");
  return inDirectory >= 0 ? ripPath.slice(0, inDirectory + 4) : ripPath;
}

/** A `.rip` name already on the target belongs to an unfinished promotion: never write over it. */
async function refuseStaleRipItems(context: Context): Promise<void> {
  const topLevel = new Set(context.items.map((item) => topLevelRipName(item.ripPath)));
  for (const path of topLevel) {
    if ((await context.target.stat(path)) !== undefined) {
      throw new PromoteError("ERR_STALE_RIP", `${path}: already on the target, left by an unfinished promotion`, { path });
    }
  }
}

/** unzip's exit codes that mean "could not write" (unzip(1), DIAGNOSTICS), and a command not found. */
const UNZIP_FAILURES: Record<number, { reason: string; hint: string }> = {
  50: { reason: "could not write (no permission, or the disk is full)", hint: "Check that the SSH user can write to the repository and that its disk has space." },
  127: { reason: "unzip is not installed on the server", hint: "Install unzip on the server, or use --sftp-only." },
};

async function runRemote(target: Transport, command: string, what: string, known: Record<number, { reason: string; hint: string }> = {}): Promise<void> {
  const result = await target.exec!(command);
  if (result.code !== 0) {
    const detail = result.stderr.trim().split("\n").pop()?.replace(/\s+/g, " ").slice(0, 300) ?? "";
    const explained = known[result.code];
    const reason = explained?.reason ?? `exit ${result.code}`;
    throw new PromoteError("ERR_REMOTE_COMMAND", `${what} failed on ${target.location}: ${reason}${detail ? ` (${detail})` : ""}`, {
      ...(explained === undefined ? {} : { hint: explained.hint }),
    });
  }
}

