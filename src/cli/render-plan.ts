// The plan as people read it (the report) and as machines read it (--json).
import { problemTag, type Problem } from "../errors.js";
import type { MetadataPlan, Plan } from "../plan/plan-types.js";
import { ProjectedList } from "../util/pretty-json.js";
import { beforeAfter, formatBytes, plural } from "./format.js";

/** The --json form: the plan without file contents and local paths. */
export function planToJson(plan: Plan): object {
  return {
    ok: plan.ok,
    id: plan.id,
    source: plan.source,
    target: plan.target,
    mode: plan.mode,
    lastUpdated: plan.lastUpdated,
    errors: plan.errors,
    warnings: plan.warnings,
    metadata: plan.metadata.map(({ content: _content, signatureContent: _signature, ...rest }) => rest),
    versions: plan.versions,
    uploads: new ProjectedList(plan.uploads, ({ content: _content, localPath: _localPath, ...rest }) => rest),
    removals: plan.removals,
    skipped: plan.skipped,
    signatures: plan.signatures,
  };
}

export function renderPlanReport(plan: Plan): string {
  const lines: string[] = [];
  lines.push(`Promotion ${plan.id}: ${plan.source} → ${plan.target} (metadata mode: ${plan.mode})`);
  for (const entry of plan.metadata) lines.push("", ...renderMetadataEntry(entry));
  const newVersions = plan.versions.filter((version) => version.state !== "identical");
  if (newVersions.length > 0) {
    lines.push("", "Versions:");
    for (const version of newVersions) {
      const what = version.state === "new" ? "new" : "files added to an existing SNAPSHOT";
      lines.push(`  ${version.groupId}:${version.artifactId}:${version.version}  ${what}, ${plural(version.files, "file")}, ${formatBytes(version.size)}`);
    }
  }
  const totalSize = plan.uploads.reduce((sum, upload) => sum + upload.size, 0);
  lines.push("", `Files to upload: ${plural(plan.uploads.length, "file")}, ${formatBytes(totalSize)}`);
  const width = Math.min(90, Math.max(0, ...plan.uploads.map((upload) => upload.path.length)));
  for (const upload of plan.uploads) {
    const note = upload.origin === "staged" ? "" : `  (${upload.origin})`;
    lines.push(`  ${upload.path.padEnd(width)}  ${formatBytes(upload.size).padStart(10)}${note}${upload.replaces ? "  replaces the target's" : ""}`);
  }
  if (plan.removals.length > 0) {
    lines.push("", "Files to remove:");
    for (const path of plan.removals) lines.push(`  ${path}`);
  }
  if (plan.skipped.length > 0) lines.push("", `Already on the target, byte for byte (skipped): ${plural(plan.skipped.length, "file")}`);
  if (plan.warnings.length > 0) {
    lines.push("", `Warnings (${plan.warnings.length}):`);
    for (const warning of plan.warnings) lines.push(`  - ${warning.message}${warning.rule === undefined ? "" : ` [${warning.rule}]`}`);
  }
  if (plan.errors.length > 0) {
    lines.push("", `Errors (${plan.errors.length}):`);
    for (const error of plan.errors) lines.push(`  - ${error.message} [${problemTag(error)}]`);
  }
  lines.push(
    "",
    plan.ok
      ? "Result: the promotion can proceed. Nothing was written."
      : `Result: refused, ${plural(plan.errors.length, "problem")}. Nothing was written.`,
  );
  return lines.join("\n") + "\n";
}

function renderMetadataEntry(entry: MetadataPlan): string[] {
  const name =
    entry.kind === "group"
      ? `${entry.groupId ?? entry.path} (plugin group)`
      : `${entry.groupId}:${entry.artifactId}${entry.kind === "snapshot" ? `:${entry.version}` : ""}`;
  const lines = [name];
  if (entry.kind === "artifact") {
    lines.push(`  versions added  ${entry.versionsAdded.length === 0 ? "none" : entry.versionsAdded.join(", ")}`);
    lines.push(`  release         ${beforeAfter(entry.release)}${entry.backport ? "  (backport: release not raised)" : ""}`);
    lines.push(`  latest          ${beforeAfter(entry.latest)}`);
  }
  if (entry.pluginsAdded.length > 0) {
    lines.push(`  plugins added   ${entry.pluginsAdded.map((plugin) => `${plugin.prefix} (${plugin.artifactId})`).join(", ")}`);
  }
  const action = !entry.changed ? "unchanged, not written" : entry.targetExists ? "replaced" : "new";
  const extras = entry.changed ? `; checksums ${entry.checksums.join(" ")}; ${signatureNote(entry)}` : "";
  lines.push(`  metadata        ${entry.path} (${action}${extras})`);
  return lines;
}

function signatureNote(entry: MetadataPlan): string {
  if (entry.signature === "sign") return ".asc signed anew";
  if (entry.signature === "remove") return "stale .asc removed";
  return "no .asc";
}

/** At most this many problems of a refused plan are repeated on stderr; the rest are counted. */
const PROBLEMS_ON_STDERR = 10;

/**
 * A refused plan's problems as one line each for stderr (where CI logs and scripts look for
 * errors), beside the report on stdout: at most PROBLEMS_ON_STDERR, then how many more.
 */
export function renderProblemsForStderr(problems: readonly Problem[]): string {
  const lines = problems.slice(0, PROBLEMS_ON_STDERR).map((problem) => `maven-promote: ${problem.message} [${problemTag(problem)}]`);
  if (problems.length > PROBLEMS_ON_STDERR) lines.push(`maven-promote: and ${plural(problems.length - PROBLEMS_ON_STDERR, "more problem")} (all of them are in the report on stdout)`);
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}
