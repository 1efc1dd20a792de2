// The promotion pipeline: plan → lock → re-check the plan → stage → upload → commit → verify →
// finish, walked from the PHASES table. The plan is made first, with reads only and without the
// lock, so that a stage that fails validation never touches the target; under the lock it is
// checked again (and made again if another promotion committed meanwhile: merging with stale
// metadata would drop that promotion's versions). Nothing on the target changes before the
// upload phase, and then only `.rip` names and `.maven-promote/` until the commit.
import { PromoteError } from "../errors.js";
import { acquireLock, lockFor, lockLost, reclaimLock, releaseLock, stopHeartbeat } from "./lock.js";
import { readsALostStream, waitUntilIdle } from "./activity.js";
import { reconnectingLink, type Reopen } from "./reconnect.js";
import { CONTINUE_AFTER_RECONNECT, PHASE_RUNNERS, withdrawUpload, type CommitRunner, type PhaseContext, type PromoteResult, type PromotionEvent } from "./phase-runners.js";
import { PHASES, type PhaseName } from "./phases.js";
import type { GroupRecord, HookStop } from "./journal.js";
import { createPlan, type PlanInput } from "../plan/plan.js";
import type { Plan } from "../plan/plan-types.js";
import { newPromotionId } from "../plan/promotion-id.js";
import { buildRenameList, stagedItemsOf, stateDirectory } from "./rename-list.js";
import { probeMany } from "../transport/read-many.js";
import { sha256sOnTarget } from "./target-digest.js";
import type { UnpackChoice } from "./server-tar.js";

export type { PromoteResult, PromotionEvent } from "./phase-runners.js";

export interface PromoteInput extends PlanInput {
  /**
   * How the rename list runs: `shell` renders templates/rename.sh and runs it over SSH (needs
   * sh, unzip, mv, ln); `transport` runs it through the transport (fs.rename locally, SFTP
   * renames on a server without a shell). `auto` picks shell where the transport can exec.
   */
  executor?: "auto" | "shell" | "transport";
  /** With the shell executor: run the rename list with perl (one process) or sh; auto picks perl where present. */
  commitRunner?: CommitRunner;
  /** With the shell executor: stream a tar into the server's `tar -x` (auto: where it has one) or upload a zip and unzip it. */
  unpack?: UnpackChoice;
  /** The repository root as the server's shell sees it (SSH targets). */
  remoteRoot?: string;
  dryRun?: boolean;
  /** How long to wait for another promotion's lock (ms; default 0: fail at once, exit 3). */
  waitMs?: number;
  /**
   * Called before each phase (honoured before upload and commit). `false` or a HookStop stops the
   * promotion cleanly: its .rip items are withdrawn, the lock released, the journal says why.
   * "pause" stops it as it stands after its upload instead, keeping the lock: `resume` commits it.
   */
  beforePhase?: (phase: PhaseName, plan: Plan) => Promise<BeforePhaseDecision> | BeforePhaseDecision;
  /** Called after each phase ends; a HookStop returned is reported (result.hookFailures) and undoes nothing. */
  afterPhase?: (phase: PhaseName, plan: Plan) => Promise<HookStop | void> | HookStop | void;
  /** Called when a phase fails, before the error is thrown; what it returns is reported likewise. */
  onFailure?: (phase: PhaseName, plan: Plan, error: unknown) => Promise<HookStop | void> | HookStop | void;
  onEvent?: (event: PromotionEvent) => void;
  /**
   * Opens the target again after its connection was lost: the promotion then carries on from
   * the step that was cut (issue 17), at most `reconnects` times. Without it, a lost connection
   * ends the promotion (exit 75), and `resume` finishes it.
   */
  reopen?: Reopen;
  reconnects?: number;
  /** A member of a group promotion (group.ts): the group is named in the journal. */
  group?: GroupRecord;
}

/** How long a promotion that reconnected waits for its own work still running on the server (an unzip, the rename script). */
const QUIET_AFTER_RECONNECT_MS = 120_000;

export type BeforePhaseDecision = boolean | void | "pause" | HookStop;

export async function promote(input: PromoteInput): Promise<PromoteResult> {
  const timings: Partial<Record<PhaseName, number>> = {};
  const started = new Map<PhaseName, number>();
  // Each phase's share of the round trips: how much deeper the chain of waits got during it.
  const phaseTrips: Partial<Record<PhaseName, number>> = {};
  const tripsAtStart = new Map<PhaseName, number>();
  const tripsNow = (): number | undefined => input.target.networkStats?.().roundTrips;
  const emit = (event: PromotionEvent): void => {
    if (event.type === "phase:start") {
      started.set(event.phase, performance.now());
      tripsAtStart.set(event.phase, tripsNow() ?? 0);
    }
    if (event.type === "phase:end") {
      timings[event.phase] = Math.round(performance.now() - (started.get(event.phase) ?? 0));
      const trips = tripsNow();
      if (trips !== undefined) phaseTrips[event.phase] = trips - (tripsAtStart.get(event.phase) ?? 0);
    }
    input.onEvent?.(event);
  };
  const result = await promoteTimed(input, emit);
  result.timings = timings;
  const network = input.target.networkStats?.();
  if (network !== undefined) result.network = { ...network, byPhase: phaseTrips };
  return result;
}

async function promoteTimed(input: PromoteInput, emit: (event: PromotionEvent) => void): Promise<PromoteResult> {
  const executor = chooseExecutor(input);
  const now = input.now ?? new Date();
  const id = input.id ?? newPromotionId(now);
  const link = reconnectingLink(input.target, {
    ...(input.reopen === undefined ? {} : { reopen: input.reopen }),
    retries: input.reconnects ?? 0,
    events: { onLost: (phase, attempt, of, reason) => emit({ type: "connection:lost", phase, attempt, of, reason }) },
  });
  // Plan first, without the lock: a stage that fails validation never touches the target.
  emit({ type: "phase:start", phase: "plan" });
  const onDigestProgress = (loaded: number, total: number): void => emit({ type: "digest:progress", loaded, total });
  let plan = await link.run("plan", (target) => createPlan({ ...input, target, now, id, onDigestProgress }));
  const result: PromoteResult = { plan, completed: "plan", state: "planned", verifyProblems: [], executor };
  if (!plan.ok || input.dryRun) {
    emit({ type: "phase:end", phase: "plan" });
    if (link.reconnects > 0) result.reconnects = link.reconnects;
    return result;
  }
  const lock = lockFor(id);
  const waitMs = input.waitMs ?? 0;
  // Cut while taking it, the lock may be ours already (or a torn empty file of ours).
  await link.run("plan", (target) => acquireLock(target, lock, { waitMs }), (target) => reclaimLock(target, lock, { waitMs }));
  emit({ type: "lock:acquired", id });
  // On every new connection from here on: the lock is ours again, and nothing this promotion
  // started on the server (an unzip, the rename script) still runs beside what comes next.
  // Those end by themselves and are waited for; a `tar -x` reading the stream of the lost
  // connection cannot: its input went with that connection, and a server that never saw the
  // connection close (a link that hung) keeps it waiting for hours. It is this promotion's own,
  // so it is stopped, and the upload completes what it left (continueUpload).
  link.prepare = async (target) => {
    await reclaimLock(target, lock);
    if (executor === "shell") await waitUntilIdle(target, id, { remote: true, purpose: "carry on", waitMs: QUIET_AFTER_RECONNECT_MS, stopWhen: readsALostStream });
  };
  let keepLock = false;
  try {
    // The plan must hold under the lock: another promotion may have committed while we planned
    // (or waited), and merging with its predecessor's metadata would drop its versions.
    if (!(await link.run("plan", (target) => planStillHolds(plan, target)))) {
      plan = await link.run("plan", (target) => createPlan({ ...input, target, now, id }));
      result.plan = plan;
      if (!plan.ok) return result;
    }
    emit({ type: "phase:end", phase: "plan" });

    const context: PhaseContext = {
      target: link.target,
      plan,
      executor,
      ...(input.commitRunner === undefined ? {} : { commitRunner: input.commitRunner }),
      ...(input.unpack === undefined ? {} : { unpack: input.unpack }),
      remoteRoot: input.remoteRoot ?? "/",
      stateDirectory: stateDirectory(plan.id),
      items: stagedItemsOf(plan),
      steps: buildRenameList(plan),
      result,
      onEvent: emit,
      ...(input.group === undefined ? {} : { group: input.group }),
    };
    for (const phase of PHASES.filter((row) => row.name !== "plan")) {
      const name = phase.name as Exclude<PhaseName, "plan">;
      const decision = phase.hookMayStop ? await input.beforePhase?.(phase.name, plan) : undefined;
      if (decision === "pause") {
        result.state = "stopped";
        // Paused after its upload, the promotion is on record and resumable: it keeps the lock.
        keepLock = context.journal !== undefined;
        return result;
      }
      if (decision === false || (typeof decision === "object" && decision !== null)) {
        const stop: HookStop = decision === false ? { hook: "beforePhase", exitCode: null, reason: `the beforePhase callback stopped it before ${phase.name}` } : decision;
        result.state = "stopped";
        result.stoppedBy = stop;
        emit({ type: "hook:stopped", id, phase: phase.name, hook: stop.hook });
        // Stopped cleanly: what the upload wrote is withdrawn (the journal keeps the why).
        await withdrawUpload(context, new Error(`stopped by ${stop.hook} before ${phase.name}: ${stop.reason}`), stop);
        return result;
      }
      if (lockLost(link.target, id)) {
        keepLock = true; // it is the other process's lock now
        throw new PromoteError("ERR_LOCK_LOST", `promotion ${id}: another process took over the target's lock before ${phase.name}; stopping here`, { path: id });
      }
      emit({ type: "phase:start", phase: phase.name });
      try {
        const on = (runner: (context: PhaseContext) => Promise<void>) => (target: PhaseContext["target"]) => {
          context.target = target;
          return runner(context);
        };
        await link.run(phase.name, on(PHASE_RUNNERS[name]), on(CONTINUE_AFTER_RECONNECT[name]));
      } catch (error) {
        context.target = link.target;
        if (phase.name === "upload") await withdrawUpload(context, error);
        // From the commit on, the target is mid-promotion: the lock stays until resume or rollback.
        else keepLock = phase.name === "commit";
        noteHookFailure(result, await input.onFailure?.(phase.name, plan, error));
        throw stoppedDuring(phase.name, plan.id, error, input.target.location);
      }
      result.completed = phase.name;
      emit({ type: "phase:end", phase: phase.name });
      noteHookFailure(result, await input.afterPhase?.(phase.name, plan));
    }
    return result;
  } finally {
    if (link.reconnects > 0) result.reconnects = link.reconnects;
    await stopHeartbeat(link.target, id);
    if (!keepLock) await releaseLock(link.target, id).catch(() => undefined);
  }
}

function noteHookFailure(result: PromoteResult, failure: HookStop | void): void {
  if (failure) (result.hookFailures ??= []).push(failure);
}

/** Whether the target is still as the plan saw it: the same metadata, no new version yet. */
async function planStillHolds(plan: Plan, target: PlanInput["target"]): Promise<boolean> {
  const now = await sha256sOnTarget(target, plan.metadata.map((entry) => entry.path));
  if (plan.metadata.some((entry) => now.get(entry.path) !== entry.targetSha256)) return false;
  const newVersions = plan.versions.filter((candidate) => candidate.state === "new").map((version) => version.path);
  const found = await probeMany(target, { stat: newVersions, read: [], maxBytes: 0 });
  return newVersions.every((path) => found.get(path)?.stat === undefined);
}

/** Names the promotion and the phase in the error, so the user knows what to resume. */
function stoppedDuring(phase: PhaseName, id: string, error: unknown, location: string): unknown {
  if (!(error instanceof PromoteError)) return error;
  const prefix = `promotion ${id} stopped during ${phase}: `;
  // Past the upload's start the promotion is on record: resume finishes it where it stopped.
  const onRecord = error.code === "ERR_CONNECTION_LOST" && phase !== "stage";
  return new PromoteError(error.code, prefix + error.message, {
    cause: error,
    hint: onRecord ? `Nothing half-made is visible to users. Finish it with \`maven-promote resume ${id} --to ${location}\` once the link is back (or undo it with \`rollback ${id}\`).` : error.hint,
    ...(error.path === undefined ? {} : { path: error.path }),
  });
}

export function chooseExecutor(input: { executor?: "auto" | "shell" | "transport"; target: PlanInput["target"] }): "shell" | "transport" {
  const wanted = input.executor ?? "auto";
  const canExec = input.target.capabilities.exec && input.target.exec !== undefined;
  if (wanted === "shell" && !canExec) {
    throw new PromoteError("ERR_CONFIG", `--executor shell: ${input.target.location} offers no shell; use --executor transport`, { path: "--executor" });
  }
  if (wanted === "auto") return canExec ? "shell" : "transport";
  return wanted;
}
