// Policies: which extra rules a stage must meet, and how hard each is enforced. `default` adds
// none to the checks every stage passes (structure, coordinates, checksums and signatures that
// are present); `central` adds Maven Central's publishing requirements (central-rules.ts); a
// JSON file starts from either and sets each rule to "error", "warning" or "off":
//   { "extends": "central", "rules": { "central/javadoc": "warning", "central/name": "off" } }
import { readFileSync } from "node:fs";
import { loadZod } from "../util/zod.js";
import { PromoteError } from "../errors.js";
import { ALL_RULES, CENTRAL_RULES } from "./central-rules.js";

export type Severity = "error" | "warning" | "off";

export interface Policy {
  /** "default", "central", or the file it was read from. */
  name: string;
  /** Every rule the policy enforces, with its severity ("off" rules are left out). */
  rules: Map<string, Exclude<Severity, "off">>;
}

export const POLICY_NAMES = ["default", "central"] as const;
export const RULE_IDS = ALL_RULES.map((rule) => rule.id);

export function builtInPolicy(name: (typeof POLICY_NAMES)[number]): Policy {
  return { name, rules: new Map(name === "central" ? CENTRAL_RULES.map((rule) => [rule.id, "error" as const]) : []) };
}

/** `--policy NAME|FILE`: a built-in name, else a JSON policy file. */
export function loadPolicy(value: string | undefined): Policy {
  if (value === undefined || value === "default") return builtInPolicy("default");
  if (value === "central") return builtInPolicy("central");
  let text: string;
  try {
    text = readFileSync(value, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? `neither a policy (${POLICY_NAMES.join(", ")}) nor a file` : `cannot read it (${code ?? String(error)})`;
    throw new PromoteError("ERR_CONFIG", `--policy ${value}: ${why}`, { path: "--policy" });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PromoteError("ERR_CONFIG", `${value}: not valid JSON (${(error as Error).message})`, { path: value });
  }
  const z = loadZod();
  const severity = z.enum(["error", "warning", "off"], { error: "expected error, warning or off" });
  const schema = z.strictObject({
    extends: z.enum(POLICY_NAMES, { error: `expected one of ${POLICY_NAMES.join(", ")}` }).optional(),
    rules: z.partialRecord(z.enum(RULE_IDS as [string, ...string[]], { error: `not a rule (known: ${RULE_IDS.join(", ")})` }), severity).optional(),
  });
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const inRules = issue.path[0] === "rules";
    const key = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys.join(", ")].join(".") : issue.path.join(".");
    const expected =
      issue.code === "unrecognized_keys"
        ? inRules
          ? `not a rule (known: ${RULE_IDS.join(", ")})`
          : 'not a policy key (known: "extends", "rules")'
        : issue.message.replace(/^Invalid input: /, "");
    throw new PromoteError("ERR_CONFIG", `${value}: ${key === "" ? "the file" : `"${key}"`}: ${expected}`, { path: value });
  }
  const policy = builtInPolicy(parsed.data.extends ?? "default");
  for (const [rule, level] of Object.entries(parsed.data.rules ?? {})) {
    if (level === undefined) continue;
    if (level === "off") policy.rules.delete(rule);
    else policy.rules.set(rule, level);
  }
  return { name: value, rules: policy.rules };
}
