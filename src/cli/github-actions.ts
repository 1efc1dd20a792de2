// Output that CI shows well. Under GitHub Actions (GITHUB_ACTIONS=true), the CLI masks every
// secret it reads from the environment (`::add-mask::`), turns the first 10 stage problems into
// annotations (the rest counted in one line), appends a Markdown job summary to
// $GITHUB_STEP_SUMMARY and sets step outputs in $GITHUB_OUTPUT. Workflow commands go to stderr
// (the runner reads both streams), so stdout stays the report or the one --json object.
// `--summary FILE` writes the same Markdown anywhere, for other CIs.
import type { GroupResult } from "../promotion/group.js";
import { appendFile, writeFile } from "node:fs/promises";
import { problemTag, type Problem } from "../errors.js";
import type { Plan } from "../plan/plan-types.js";
import type { PromoteResult } from "../promotion/phase-runners.js";
import { formatBytes, plural } from "./format.js";
import type { CliIo } from "./io.js";

const MAX_ANNOTATIONS = 10;
/** GitHub refuses a step summary over 1 MiB: stay well under it. */
const MAX_SUMMARY_BYTES = 900 * 1024;

export function inGitHubActions(env: NodeJS.ProcessEnv): boolean {
  return env.GITHUB_ACTIONS === "true";
}

/** `::add-mask::` for each secret (each line of a multi-line one), before anything could print it. */
export function maskSecrets(io: CliIo, secrets: ReadonlyArray<string | undefined>): void {
  if (!inGitHubActions(io.env)) return;
  for (const secret of secrets) {
    for (const line of (secret ?? "").split(/\r?\n/)) if (line.trim() !== "") io.stderr(`::add-mask::${escapeData(line)}\n`);
  }
}

/** Up to 10 annotations for a stage's problems (errors first, then warnings); the rest counted in one line. */
export function annotateProblems(io: CliIo, errors: readonly Problem[], warnings: ReadonlyArray<{ path: string; message: string; rule?: string }>): void {
  if (!inGitHubActions(io.env)) return;
  const all = [
    ...errors.map((problem) => ({ level: "error", path: problem.path, title: problemTag(problem), message: problem.message })),
    ...warnings.map((warning) => ({ level: "warning", path: warning.path, title: warning.rule ?? "warning", message: warning.message })),
  ];
  for (const annotation of all.slice(0, MAX_ANNOTATIONS)) {
    io.stderr(`::${annotation.level} file=${escapeProperty(annotation.path)},title=${escapeProperty(annotation.title)}::${escapeData(annotation.message)}\n`);
  }
  if (all.length > MAX_ANNOTATIONS) {
    io.stderr(`maven-promote: ${plural(all.length - MAX_ANNOTATIONS, "more problem")} not annotated (${errors.length} errors, ${warnings.length} warnings in all: see the report or the job summary)\n`);
  }
}

/** An error that stopped the command, as an annotation. */
export function annotateError(io: CliIo, code: string, message: string): void {
  if (inGitHubActions(io.env)) io.stderr(`::error title=${escapeProperty(code)}::${escapeData(message)}\n`);
}

/** Step outputs for later steps: promotion-id, versions, metadata-window-ms, state. */
export async function writeStepOutputs(io: CliIo, result: PromoteResult): Promise<void> {
  const file = io.env.GITHUB_OUTPUT;
  if (!inGitHubActions(io.env) || file === undefined || file === "") return;
  const outputs: Record<string, string> = {
    "promotion-id": result.plan.id,
    versions: versionsOf(result.plan).join(","),
    "metadata-window-ms": result.metadataWindowMs === undefined ? "" : String(result.metadataWindowMs),
    state: result.state,
  };
  await appendFile(file, Object.entries(outputs).map(([name, value]) => `${name}=${value.replace(/[\r\n]/g, " ")}\n`).join(""));
}

/** Where the job summary goes: --summary FILE, and $GITHUB_STEP_SUMMARY under Actions. */
export async function writeSummary(io: CliIo, summaryFile: string | undefined, markdown: string): Promise<void> {
  if (summaryFile !== undefined) await writeFile(summaryFile, markdown);
  const step = io.env.GITHUB_STEP_SUMMARY;
  if (inGitHubActions(io.env) && step !== undefined && step !== "") await appendFile(step, markdown);
}

/** `g:a:v` of every version the promotion adds. */
export function versionsOf(plan: Plan): string[] {
  return plan.metadata.filter((entry) => entry.kind === "artifact").flatMap((entry) => entry.versionsAdded.map((version) => `${entry.groupId}:${entry.artifactId}:${version}`));
}

/** The Markdown summary of a promotion: what went live, per artifact, the phases' times, verify's result. */
export function promotionSummary(result: PromoteResult, dryRun: boolean): string {
  const { plan } = result;
  const state = !plan.ok ? "refused" : dryRun ? "dry run" : result.state;
  const lines = [`## maven-promote: ${state}`, "", `Promotion \`${plan.id}\`: \`${plan.source}\` → \`${plan.target}\``, ""];
  if (!plan.ok) {
    lines.push(`The stage was refused: ${plural(plan.errors.length, "problem")}. Nothing was written.`, "", ...problemRows(plan.errors));
    return cap(lines);
  }
  if (result.stoppedBy !== undefined) lines.push(`Stopped by the \`${result.stoppedBy.hook}\` hook (${result.stoppedBy.reason}); what it uploaded was withdrawn.`, "");
  const artifacts = plan.metadata.filter((entry) => entry.kind === "artifact" && entry.changed);
  if (artifacts.length > 0) {
    lines.push("| artifact | versions added | release | latest |", "| --- | --- | --- | --- |");
    for (const entry of artifacts) {
      lines.push(`| \`${entry.groupId}:${entry.artifactId}\` | ${entry.versionsAdded.join(", ") || "–"} | ${entry.release.before ?? "–"} → ${entry.release.after ?? "–"} | ${entry.latest.before ?? "–"} → ${entry.latest.after ?? "–"} |`);
    }
    lines.push("");
  }
  const bytes = plan.uploads.reduce((sum, upload) => sum + upload.size, 0);
  lines.push(`${plural(plan.uploads.length, "file")} (${formatBytes(bytes)}) with the ${result.executor} executor.`, "");
  const timings = Object.entries(result.timings ?? {});
  if (timings.length > 0) {
    lines.push("| phase | time |", "| --- | --- |", ...timings.map(([phase, ms]) => `| ${phase} | ${(ms / 1000).toFixed(2)} s |`), "");
    lines.push(...phaseTimeline(timings), "");
  }
  if (result.metadataWindowMs !== undefined) lines.push(`Metadata window: at most ${result.metadataWindowMs.toFixed(2)} ms.`, "");
  if (result.completed === "verify" || result.completed === "finish") {
    lines.push(result.verifyProblems.length === 0 ? "Verified: every changed file reads back as planned." : `Verify found ${plural(result.verifyProblems.length, "problem")}:`);
    lines.push(...result.verifyProblems.map((problem) => `- ${problem}`), "");
  }
  for (const failure of result.hookFailures ?? []) lines.push(`The \`${failure.hook}\` hook failed (${failure.reason}); nothing was undone.`, "");
  return cap(lines);
}

/**
 * The phases as a Mermaid gantt, which GitHub renders in a job summary: one bar per phase, end
 * to end in the order they ran (times in ms from the start; dateFormat x reads them so).
 */
export function phaseTimeline(timings: ReadonlyArray<readonly [string, number]>): string[] {
  const lines = ["```mermaid", "gantt", "  dateFormat x", "  axisFormat %S.%L s", "  section phases"];
  let start = 0;
  for (const [phase, ms] of timings) {
    const end = start + Math.max(1, Math.round(ms));
    lines.push(`  ${phase} (${(ms / 1000).toFixed(2)} s) :${start}, ${end}`);
    start = end;
  }
  lines.push("```");
  return lines;
}

/** The Markdown summary of a group promotion: one table, a row per target. */
export function groupSummary(result: GroupResult): string {
  const lines = [`## maven-promote: group ${result.state}`, "", `Group promotion \`${result.id}\` into ${plural(result.members.length, "target")}.`, ""];
  lines.push("| target | state | versions | metadata window | users of its public URL |", "| --- | --- | --- | --- | --- |");
  for (const member of result.members) {
    const versions = member.result?.plan.versions.filter((version) => version.state !== "identical").map((version) => `${version.artifactId} ${version.version}`).join(", ") || "–";
    const window = member.outcome === "committed" && member.result?.metadataWindowMs !== undefined ? `${member.result.metadataWindowMs.toFixed(2)} ms` : "–";
    const seen = member.public === undefined ? "–" : member.public.ok ? "get the release" : `not yet (${plural(member.public.problems.length, "file")})`;
    lines.push(`| \`${escapeMarkdown(member.to)}\` | ${member.outcome} | ${escapeMarkdown(versions)} | ${window} | ${seen} |`);
  }
  lines.push("");
  for (const member of result.members.filter((candidate) => candidate.error !== undefined)) lines.push(`- \`${escapeMarkdown(member.to)}\`: ${escapeMarkdown(member.error!)}`);
  return cap(lines);
}

/** The Markdown summary of a `check`. */
export function checkSummary(result: { ok: boolean; source: string; policy: string; files: number; errors: Problem[]; warnings: ReadonlyArray<{ path: string; message: string; rule?: string }> }): string {
  const lines = [`## maven-promote check: ${result.ok ? "passed" : "failed"}`, "", `\`${result.source}\` against the policy \`${result.policy}\`: ${plural(result.files, "file")}.`, ""];
  if (result.errors.length > 0) lines.push(`${plural(result.errors.length, "problem")}:`, "", ...problemRows(result.errors), "");
  if (result.warnings.length > 0) lines.push(`${plural(result.warnings.length, "warning")}:`, "", ...result.warnings.map((warning) => `- ${escapeMarkdown(warning.message)}${warning.rule ? ` (\`${warning.rule}\`)` : ""}`), "");
  return cap(lines);
}

function problemRows(problems: readonly Problem[]): string[] {
  return problems.map((problem) => `- ${escapeMarkdown(problem.message)} (\`${problemTag(problem)}\`)`);
}

/** Keeps the summary under GitHub's limit: rows are dropped from the end, and counted. */
function cap(lines: string[]): string {
  let text = lines.join("\n") + "\n";
  if (Buffer.byteLength(text) <= MAX_SUMMARY_BYTES) return text;
  let kept = 0;
  for (let bytes = 0; kept < lines.length && bytes + Buffer.byteLength(lines[kept]!) + 1 <= MAX_SUMMARY_BYTES - 200; kept++) bytes += Buffer.byteLength(lines[kept]!) + 1;
  text = lines.slice(0, kept).join("\n") + `\n\n… ${plural(lines.length - kept, "more line")} left out (GitHub's summary limit is 1 MiB); the full report is in the log.\n`;
  return text;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (char) => `\\${char}`);
}

/** Workflow command escaping (actions/toolkit's command.ts). */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
