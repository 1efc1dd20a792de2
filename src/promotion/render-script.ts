// Renders the rename list as the scripts run on SSH targets: templates/rename.pl (one perl
// process, where the server has perl) and templates/rename.sh (the fallback, a process per step).
// Every value goes through shellQuote or perlQuote; nothing else builds script text.
import { readFileSync } from "node:fs";
import { isPromotionId } from "../plan/promotion-id.js";
import { shellQuote } from "../util/shell-quote.js";
import type { RenameStep } from "./rename-list.js";

const TEMPLATE_URL = new URL("../../../templates/rename.sh", import.meta.url);
const PERL_TEMPLATE_URL = new URL("../../../templates/rename.pl", import.meta.url);

export interface RenderScriptInput {
  id: string;
  /** Absolute path of the repository root on the server. */
  root: string;
  /** The promotion's state directory, relative to the root. */
  stateDirectory: string;
  steps: readonly RenameStep[];
}

export function renderRenameScript(input: RenderScriptInput): string {
  return fillTemplate(TEMPLATE_URL, input, shellQuote, (name, args) => [name, ...args.map(shellQuote)].join(" "));
}

/** The same steps as renderRenameScript, for perl (templates/rename.pl). */
export function renderPerlScript(input: RenderScriptInput): string {
  return fillTemplate(PERL_TEMPLATE_URL, input, perlQuote, (name, args) => `${name}(${args.map(perlQuote).join(", ")});`);
}

/** A perl single-quoted string: only the backslash and the quote itself are special there. */
export function perlQuote(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Fills a template's placeholders; each step becomes a call of the template's step_* function. */
function fillTemplate(
  template: URL,
  input: RenderScriptInput,
  quote: (value: string) => string,
  call: (name: string, args: string[]) => string,
): string {
  const values: Record<string, string> = {
    // The id is checked where it is made; quoting it here would put quotes in a comment.
    ID: isPromotionId(input.id) ? input.id : "(unnamed)",
    ROOT: quote(input.root),
    STATE: quote(input.stateDirectory),
    STEPS: input.steps.map((step) => call(...stepCall(step))).join("\n"),
  };
  return readFileSync(template, "utf8").replace(/\{\{(ID|ROOT|STATE|STEPS)\}\}/g, (_, name: string) => values[name]!);
}

/** The script function that does a step, and its arguments (both scripts define the same ones). */
function stepCall(step: RenameStep): [string, string[]] {
  switch (step.op) {
    case "state":
      return ["step_state", [step.state]];
    case "backup":
      return ["step_backup", [step.path]];
    case "move-dir":
      return ["step_move_dir", [step.from, step.to]];
    case "move-file":
      return ["step_move_file", [step.from, step.to, step.replace ? "replace" : "keep"]];
    case "remove":
      return ["step_remove", [step.path]];
    case "sync":
      return ["step_sync", [step.label]];
    case "mark":
      return ["step_mark", "path" in step ? [step.label, step.path] : [step.label]];
  }
}
