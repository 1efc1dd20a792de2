// Several targets promoted as one (issue 19, part 1): all of them show the new release, or none.
// Built from each target's own promotion, one id for all:
//   1. prepare every target in one fixed order (sorted by URL, so that two groups never wait on
//      each other's locks): plan, lock, upload, and stop before the commit, keeping the lock;
//   2. a failure anywhere before the first commit withdraws every prepared target's .rip items;
//   3. then commit the targets one after the other, each keeping its lock to the end;
//   4. a commit that fails after others succeeded: --on-partial rollback (the default) rolls
//      every target back, so all show the old state; --on-partial keep keeps the committed ones
//      and withdraws those not reached, and says which target shows what.
// Each target's journal names the group and its members: `resume`/`rollback` with the same --to
// list finish or undo the whole group.
import { isPromoteError, PromoteError } from "../errors.js";
import type { PromoteResult } from "./phase-runners.js";
import type { PublicCheckReport } from "./public-check.js";
import type { RollbackResult } from "./recovery.js";

export type OnPartial = "rollback" | "keep";
export const ON_PARTIAL: readonly OnPartial[] = ["rollback", "keep"];

/** What a group promotion does to one target; api.ts opens the connections. */
export interface GroupMember {
  /** The target, as given to --to. */
  to: string;
  /** Plan, lock, upload, and stop before the commit (state "stopped", lock kept); a refused plan comes back with plan.ok false. */
  prepare(): Promise<PromoteResult>;
  /** Commit, verify and finish the prepared promotion, keeping the lock. */
  commit(): Promise<PromoteResult>;
  /** Withdraw or undo the promotion on this target (and let go of its lock). */
  rollback(): Promise<RollbackResult>;
  /** Let go of the lock the group kept. */
  release(): Promise<void>;
}

/** What one target shows when the group is over. */
export type MemberOutcome =
  | "committed" // the new release
  | "rolled-back" // as before: committed, then undone
  | "withdrawn" // as before: prepared, then withdrawn
  | "untouched" // as before: never prepared (refused, or not reached)
  | "failed"; // mid-promotion: `resume` or `rollback` it (its lock stays)

export interface GroupMemberReport {
  to: string;
  outcome: MemberOutcome;
  result?: PromoteResult;
  error?: string;
  /** What its users download through its public URL, once the group committed (--public-url). */
  public?: PublicCheckReport;
}

export interface GroupResult {
  id: string;
  /** True when every target shows the new release. */
  ok: boolean;
  /** Where the group stopped: all committed, refused by a plan, failed before any commit, or a commit failed. */
  state: "committed" | "refused" | "withdrawn" | "rolled-back" | "partial";
  members: GroupMemberReport[];
  /** The error that stopped it, if one did. */
  error?: unknown;
}

/** Targets in the group's one fixed order. */
export function groupOrder<T extends { to: string }>(members: readonly T[]): T[] {
  return [...members].sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
}

export async function promoteGroup(id: string, unordered: readonly GroupMember[], onPartial: OnPartial = "rollback"): Promise<GroupResult> {
  const members = groupOrder(unordered);
  const reports = new Map<GroupMember, GroupMemberReport>(members.map((member) => [member, { to: member.to, outcome: "untouched" }]));
  const prepared: GroupMember[] = [];
  const done = (state: GroupResult["state"], error?: unknown): GroupResult => ({
    id,
    ok: state === "committed",
    state,
    members: members.map((member) => reports.get(member)!),
    ...(error === undefined ? {} : { error }),
  });

  // 1-2: every target prepared, or none.
  for (const member of members) {
    let result: PromoteResult;
    try {
      result = await member.prepare();
    } catch (error) {
      reports.get(member)!.error = messageOf(error);
      await withdraw(prepared, reports);
      return done("withdrawn", error);
    }
    reports.get(member)!.result = result;
    if (!result.plan.ok) {
      await withdraw(prepared, reports);
      return done("refused");
    }
    if (result.stoppedBy !== undefined) {
      // A hook (the library's beforePhase) stopped this member: its own upload is withdrawn already.
      await withdraw(prepared, reports);
      return done("withdrawn", new PromoteError("ERR_HOOK_STOPPED", `group ${id}: ${member.to} was stopped by the ${result.stoppedBy.hook} hook (${result.stoppedBy.reason})`));
    }
    if (result.state !== "stopped" || result.completed !== "upload") {
      // A prepare runs to the commit's door and no further; anything else is a bug to stop on.
      await withdraw([...prepared, member], reports);
      return done("withdrawn", new PromoteError("ERR_INTERNAL", `group ${id}: ${member.to} came back ${result.state} after ${result.completed} instead of prepared`));
    }
    prepared.push(member);
  }

  // 3-4: committed one after the other.
  const committed: GroupMember[] = [];
  for (const [index, member] of members.entries()) {
    try {
      reports.get(member)!.result = await member.commit();
      reports.get(member)!.outcome = "committed";
      committed.push(member);
    } catch (error) {
      const report = reports.get(member)!;
      report.outcome = "failed";
      report.error = messageOf(error);
      const notReached = members.slice(index + 1);
      await withdraw(notReached, reports);
      if (onPartial === "rollback") {
        // The failed target first (it may be half committed), then the committed ones, newest first.
        for (const undo of [member, ...committed.reverse()]) {
          try {
            await undo.rollback();
            reports.get(undo)!.outcome = "rolled-back";
          } catch (rollbackError) {
            reports.get(undo)!.outcome = "failed";
            reports.get(undo)!.error = messageOf(rollbackError);
          }
        }
        const allBack = members.every((candidate) => reports.get(candidate)!.outcome !== "failed" && reports.get(candidate)!.outcome !== "committed");
        return done(allBack ? "rolled-back" : "partial", error);
      }
      await releaseAll(committed);
      return done("partial", error);
    }
  }
  await releaseAll(committed);
  return done("committed");
}

/** Withdraws prepared targets (best effort: one that fails stays "failed", for `rollback` to finish). */
async function withdraw(members: readonly GroupMember[], reports: Map<GroupMember, GroupMemberReport>): Promise<void> {
  for (const member of members) {
    const report = reports.get(member)!;
    try {
      await member.rollback();
      report.outcome = "withdrawn";
    } catch (error) {
      report.outcome = "failed";
      report.error = messageOf(error);
    }
  }
}

async function releaseAll(members: readonly GroupMember[]): Promise<void> {
  for (const member of members) await member.release().catch(() => undefined);
}

function messageOf(error: unknown): string {
  return isPromoteError(error) || error instanceof Error ? error.message : String(error);
}
