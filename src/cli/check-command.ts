// `maven-promote check`: a release gate for CI. Validates a stage on its own, with no target,
// against a policy, and lists every problem (not just the first), each with its file and rule;
// exits 0 when the stage meets the policy, 4 when it does not.
import type { Command } from "commander";
import { check, type CheckResult } from "../api.js";
import { problemTag } from "../errors.js";
import { loadPolicy } from "../policy/policy.js";
import { EXIT } from "./exit-codes.js";
import { plural } from "./format.js";
import type { CliIo } from "./io.js";
import { renderProblemsForStderr } from "./render-plan.js";
import { loadTrustedKeysOption, secretsRead } from "./shared-options.js";
import { annotateProblems, checkSummary, maskSecrets, writeSummary } from "./github-actions.js";
import { addSshOptions, sshSettingsFrom, type SshOptionValues } from "./ssh-options.js";

interface CheckOptionValues extends SshOptionValues {
  from: string;
  policy?: string;
  trustedKeys?: string;
  requireSignatures?: boolean;
  json?: boolean;
  summary?: string;
}

export function registerCheckCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addSshOptions(
    program
      .command("check")
      .description("check a staging repository against a policy, with no target: every problem, each with its file and rule")
      .requiredOption("--from <repo>", "staging repository: a path, file:///path, sftp://… or http(s)://…")
      .option("--policy <name|file>", "default, central (Maven Central's requirements) or a JSON policy file", "default")
      .option("--trusted-keys <file>", "armored public keys: every staged .asc must verify against them")
      .option("--require-signatures", "refuse staged artifacts without an .asc")
      .option("--json", "print one JSON object on stdout instead of the report")
      .option("--summary <file>", "write a Markdown summary there (under GitHub Actions it also goes to the job summary)"),
  ).action(async (values: CheckOptionValues) => {
    const policy = loadPolicy(values.policy);
    const trustedKeys = await loadTrustedKeysOption(values);
    const ssh = sshSettingsFrom(values, io.env);
    maskSecrets(io, secretsRead(values, { ssh }, io.env));
    const result = await check({
      from: values.from,
      policy,
      ssh,
      requireSignatures: values.requireSignatures ?? false,
      ...(trustedKeys === undefined ? {} : { trustedKeys }),
    });
    io.stdout(values.json ? JSON.stringify(checkToJson(result), null, 2) + "\n" : renderCheckReport(result));
    if (!result.ok) io.stderr(renderProblemsForStderr(result.errors));
    annotateProblems(io, result.errors, result.warnings);
    await writeSummary(io, values.summary, checkSummary(result));
    setExit(result.ok ? EXIT.ok : EXIT.refused);
  });
}

export function checkToJson(result: CheckResult): object {
  return {
    ok: result.ok,
    source: result.source,
    policy: result.policy,
    files: result.files,
    errors: result.errors.map((problem) => ({ rule: problemTag(problem), code: problem.code, path: problem.path, message: problem.message })),
    warnings: result.warnings.map((warning) => ({ rule: warning.rule ?? null, path: warning.path, message: warning.message })),
  };
}

export function renderCheckReport(result: CheckResult): string {
  const lines = [`Check of ${result.source} (policy ${result.policy}): ${plural(result.files, "file")}`];
  if (result.errors.length > 0) {
    lines.push("", `Errors (${result.errors.length}):`);
    for (const problem of result.errors) lines.push(`  - ${problem.message} [${problemTag(problem)}]`);
  }
  if (result.warnings.length > 0) {
    lines.push("", `Warnings (${result.warnings.length}):`);
    for (const warning of result.warnings) lines.push(`  - ${warning.message}${warning.rule === undefined ? "" : ` [${warning.rule}]`}`);
  }
  lines.push("", result.ok ? `Result: the stage meets the policy ${result.policy}.` : `Result: ${plural(result.errors.length, "problem")}; the stage does not meet the policy ${result.policy}.`);
  return lines.join("\n") + "\n";
}
