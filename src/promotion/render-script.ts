// Renders the rename list as the shell script run on SSH targets (templates/rename.sh).
// Every value goes through shellQuote; nothing else builds shell text.
import { readFileSync } from "node:fs";
import { isPromotionId } from "../plan/promotion-id.js";
import { shellQuote } from "../util/shell-quote.js";
import type { RenameStep } from "./rename-list.js";

const TEMPLATE_URL = new URL("../../../templates/rename.sh", import.meta.url);

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
