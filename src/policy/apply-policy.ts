// Runs a policy's rules over a stage: findings of "error" rules refuse it (ERR_POLICY, exit 4),
// findings of "warning" rules, and findings the stage cannot settle, are warnings.
import type { Problem } from "../errors.js";
import type { StagedLayout } from "../plan/staging-layout.js";
import { ALL_RULES, stageFacts, type ParentPomSource } from "./central-rules.js";
import type { Policy } from "./policy.js";

export interface PolicyResult {
  errors: Problem[];
  warnings: Array<{ path: string; message: string; rule: string }>;
}

export async function applyPolicy(layout: StagedLayout, policy: Policy, findParent?: ParentPomSource): Promise<PolicyResult> {
  const result: PolicyResult = { errors: [], warnings: [] };
  const rules = ALL_RULES.filter((rule) => policy.rules.has(rule.id));
  if (rules.length === 0) return result;
  const facts = await stageFacts(layout, findParent);
  for (const rule of rules) {
    for (const finding of rule.check(facts)) {
      const message = `${finding.path}: ${finding.message}`;
      if (policy.rules.get(rule.id) === "error" && !finding.uncertain) result.errors.push({ code: "ERR_POLICY", path: finding.path, message, rule: rule.id });
      else result.warnings.push({ path: finding.path, message, rule: rule.id });
    }
  }
  return result;
}
