// The promotion's result as people read it and as machines read it (--json).
import { renderPublicLine } from "./render-public.js";
import type { PromoteResult } from "../promotion/promote.js";
import { beforeAfter, formatBytes, plural } from "./format.js";
import { planToJson, renderPlanReport } from "./render-plan.js";

export function promoteResultToJson(result: PromoteResult): object {
  return {
    ...planToJson(result.plan),
    state: result.state,
    completed: result.completed,
    executor: result.executor,
    commitRunner: result.runner ?? null,
    unpack: result.unpack ?? null,
    verify: { ok: result.verifyProblems.length === 0, problems: result.verifyProblems },
    metadataWindowMs: result.metadataWindowMs ?? null,
    metadataWindow: result.metadataWindow ?? null,
    durable: result.durable ?? null,
    timingsMs: result.timings ?? {},
    network: result.network ?? null,
    reconnects: result.reconnects ?? 0,
    stoppedBy: result.stoppedBy ?? null,
    hookFailures: result.hookFailures ?? [],
    public: result.public ?? null,
  };
}

export function renderPromoteReport(result: PromoteResult, dryRun: boolean): string {
  const { plan } = result;
  if (!plan.ok || dryRun) {
    const report = renderPlanReport(plan);
    return dryRun && plan.ok ? report.replace(/Result: .*\n$/, "Result: dry run; the promotion can proceed. Nothing was written.\n") : report;
  }
  if (result.state === "stopped") {
    const by = result.stoppedBy === undefined ? "a hook" : `the ${result.stoppedBy.hook} hook (${result.stoppedBy.reason})`;
    return `Promotion ${plan.id} stopped by ${by} after ${result.completed}; what it uploaded was withdrawn, the target is unchanged.\n`;
  }
  const lines = [`Promotion ${plan.id}: ${plan.source} → ${plan.target}`, "", "Now live:"];
  for (const entry of plan.metadata.filter((candidate) => candidate.changed)) {
    if (entry.kind === "artifact") {
      const added = entry.versionsAdded.length === 0 ? "no new versions" : entry.versionsAdded.join(", ");
      lines.push(`  ${entry.groupId}:${entry.artifactId}  ${added}  (release ${beforeAfter(entry.release)}, latest ${beforeAfter(entry.latest)})`);
    } else if (entry.kind === "snapshot") {
      lines.push(`  ${entry.groupId}:${entry.artifactId}:${entry.version}  new snapshot files`);
    } else {
      lines.push(`  ${entry.groupId} plugins: ${entry.pluginsAdded.map((plugin) => plugin.prefix).join(", ") || "unchanged"}`);
    }
  }
  const bytes = plan.uploads.reduce((sum, upload) => sum + upload.size, 0);
  lines.push("", `Uploaded ${plural(plan.uploads.length, "file")} (${formatBytes(bytes)}) with the ${result.executor} executor${result.runner === undefined ? "" : ` (commit run by ${result.runner === "perl" ? "one perl process" : "sh"})`}.`);
  if (plan.removals.length > 0) lines.push(`Removed stale signatures: ${plan.removals.join(", ")}`);
  const window = result.metadataWindow;
  if (window !== undefined) {
    lines.push(
      `Metadata window: at most ${window.maxMs.toFixed(2)} ms per metadata file between its checksums and itself (${plural(window.groups, "file")}, ${window.totalMs.toFixed(2)} ms in all).`,
    );
  }
  if (result.durable === false) {
    lines.push("Not durable: the server offers no fsync@openssh.com, so after a power loss of the server the renames may reach its disk out of order.");
  }
  lines.push(
    result.verifyProblems.length === 0
      ? "Verified: every changed file reads back as planned."
      : `Verify found ${plural(result.verifyProblems.length, "problem")}:\n${result.verifyProblems.map((problem) => `  - ${problem}`).join("\n")}`,
  );
  if (result.public !== undefined) lines.push(renderPublicLine(result.public));
  lines.push(`Journal: .maven-promote/${plan.id}/journal.json`);
  return lines.join("\n") + "\n";
}
