// A group promotion (promote --to A --to B …) as people read it and as machines read it: one
// row per target, saying what its users see now.
import { ERROR_TABLE, isPromoteError, type ErrorCode } from "../errors.js";
import type { GroupMemberReport, GroupResult, MemberOutcome } from "../promotion/group.js";
import { EXIT } from "./exit-codes.js";
import { plural } from "./format.js";
import { renderPublicLine } from "./render-public.js";

const SHOWS: Record<MemberOutcome, string> = {
  committed: "the new release",
  "rolled-back": "the release before (rolled back)",
  withdrawn: "the release before (its upload withdrawn)",
  untouched: "the release before (nothing written)",
  failed: "a promotion cut mid-way: resume or roll back",
};

function versionsOf(member: GroupMemberReport): string[] {
  return member.result?.plan.versions.filter((version) => version.state !== "identical").map((version) => `${version.groupId}:${version.artifactId}:${version.version}`) ?? [];
}

export function groupToJson(result: GroupResult, onPartial: string): object {
  return {
    id: result.id,
    ok: result.ok,
    state: result.state,
    onPartial,
    targets: result.members.map((member) => ({
      to: member.to,
      state: member.outcome,
      versions: versionsOf(member),
      metadataWindowMs: member.outcome === "committed" ? member.result?.metadataWindowMs ?? null : null,
      errors: member.result?.plan.ok === false ? member.result.plan.errors : [],
      error: member.error ?? null,
      public: member.public ?? null,
    })),
    error: result.error === undefined ? null : { code: isPromoteError(result.error) ? result.error.code : "ERR_INTERNAL", message: messageOf(result.error) },
  };
}

export function renderGroupReport(result: GroupResult): string {
  const headline: Record<GroupResult["state"], string> = {
    committed: "every target shows the new release",
    refused: "a target's plan refused the stage; nothing was written anywhere",
    withdrawn: "stopped before any commit; every target's upload was withdrawn, nothing changed",
    "rolled-back": "a commit failed; every target was rolled back and shows the release before",
    partial: "a commit failed; the targets do not all show the same release",
  };
  const width = Math.max(...result.members.map((member) => member.to.length));
  const lines = [`Group promotion ${result.id} (${plural(result.members.length, "target")}): ${headline[result.state]}.`, ""];
  for (const member of result.members) {
    const versions = versionsOf(member);
    const window = member.outcome === "committed" && member.result?.metadataWindowMs !== undefined ? `, metadata window ${member.result.metadataWindowMs.toFixed(2)} ms` : "";
    lines.push(`  ${member.to.padEnd(width)}  ${member.outcome.padEnd(11)}  shows ${SHOWS[member.outcome]}${versions.length > 0 && member.outcome === "committed" ? ` (${versions.join(", ")}${window})` : ""}`);
    if (member.error !== undefined) lines.push(`  ${" ".repeat(width)}  ${" ".repeat(11)}  ${member.error}`);
    if (member.public !== undefined) lines.push(`  ${" ".repeat(width)}  ${" ".repeat(11)}  ${renderPublicLine(member.public)}`);
  }
  return lines.join("\n") + "\n";
}

/** The code a group that did not commit everywhere ends with. */
export function groupErrorCode(result: GroupResult): ErrorCode | undefined {
  switch (result.state) {
    case "committed":
      return undefined;
    case "refused":
      return "ERR_POLICY";
    case "rolled-back":
      return "ERR_GROUP_ROLLED_BACK";
    case "partial":
      return "ERR_GROUP_PARTIAL";
    case "withdrawn":
      return isPromoteError(result.error) ? result.error.code : "ERR_INTERNAL";
  }
}

export function groupExit(result: GroupResult): number {
  if (result.state === "committed") return EXIT.ok;
  if (result.state === "refused") return EXIT.refused;
  return ERROR_TABLE[groupErrorCode(result)!].exit;
}

/** stderr, for a group that did not commit everywhere: one line with the code, the hint after. */
export function renderGroupError(result: GroupResult): string {
  const code = groupErrorCode(result);
  if (code === undefined || result.state === "refused" || result.state === "committed") return "";
  const cause = result.error === undefined ? "" : `: ${messageOf(result.error)}`;
  const what: Record<Exclude<GroupResult["state"], "committed" | "refused">, string> = {
    withdrawn: "stopped before any commit; nothing changed on any target",
    "rolled-back": "rolled back on every target after a commit failed",
    partial: "left targets showing different releases",
  };
  return `maven-promote: group promotion ${result.id} ${what[result.state]}${cause} [${code}]\n  hint: ${ERROR_TABLE[code].hint}\n`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
