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
  const template = readFileSync(TEMPLATE_URL, "utf8");
  const values: Record<string, string> = {
    // The id is checked where it is made; quoting it here would put quotes in a comment.
    ID: isPromotionId(input.id) ? input.id : "(unnamed)",
    ROOT: shellQuote(input.root),
    STATE: shellQuote(input.stateDirectory),
    STEPS: input.steps.map(renderStep).join("\n"),
  };
  return template.replace(/\{\{(ID|ROOT|STATE|STEPS)\}\}/g, (_, name: string) => values[name]!);
}

/** The same steps as renderRenameScript, for perl (templates/rename.pl). */
export function renderPerlScript(input: RenderScriptInput): string {
  const template = readFileSync(PERL_TEMPLATE_URL, "utf8");
  const values: Record<string, string> = {
    ID: isPromotionId(input.id) ? input.id : "(unnamed)",
    ROOT: perlQuote(input.root),
    STATE: perlQuote(input.stateDirectory),
    STEPS: input.steps.map(renderPerlStep).join("\n"),
  };
  return template.replace(/\{\{(ID|ROOT|STATE|STEPS)\}\}/g, (_, name: string) => values[name]!);
}

/** A perl single-quoted string: only the backslash and the quote itself are special there. */
export function perlQuote(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function renderPerlStep(step: RenameStep): string {
  const call = (name: string, ...args: string[]): string => `${name}(${args.map(perlQuote).join(", ")});`;
  switch (step.op) {
    case "state":
      return call("step_state", step.state);
    case "backup":
      return call("step_backup", step.path);
    case "move-dir":
      return call("step_move_dir", step.from, step.to);
    case "move-file":
      return call("step_move_file", step.from, step.to, step.replace ? "replace" : "keep");
    case "remove":
      return call("step_remove", step.path);
    case "sync":
      return call("step_sync", step.label);
    case "mark":
      return "path" in step ? call("step_mark", step.label, step.path) : call("step_mark", step.label);
  }
}

function renderStep(step: RenameStep): string {
  switch (step.op) {
    case "state":
      return `step_state ${shellQuote(step.state)}`;
    case "backup":
      return `step_backup ${shellQuote(step.path)}`;
    case "move-dir":
      return `step_move_dir ${shellQuote(step.from)} ${shellQuote(step.to)}`;
    case "move-file":
      return `step_move_file ${shellQuote(step.from)} ${shellQuote(step.to)} ${step.replace ? "replace" : "keep"}`;
    case "remove":
      return `step_remove ${shellQuote(step.path)}`;
    case "sync":
      return `step_sync ${shellQuote(step.label)}`;
    case "mark":
      return "path" in step ? `step_mark ${shellQuote(step.label)} ${shellQuote(step.path)}` : `step_mark ${shellQuote(step.label)}`;
  }
}
