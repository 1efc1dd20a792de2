// `maven-promote plan`: show what a promotion would do. Reads both repositories, writes nothing.
import type { Command } from "commander";
import { plan } from "../api.js";
import { EXIT } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { settingSources } from "./project-config.js";
import { planToJson, renderPlanReport } from "./render-plan.js";
import { addPlanOptions, planOptionsFrom, type SharedOptionValues } from "./shared-options.js";

export function registerPlanCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addPlanOptions(program.command("plan").description("show what promoting --from into --to would do; changes nothing")).action(
    async (values: SharedOptionValues, self: Command) => {
      const result = await plan(await planOptionsFrom(values, io));
      io.stdout(values.json ? JSON.stringify({ ...planToJson(result), settings: settingSources(self) }, null, 2) + "\n" : renderPlanReport(result));
      setExit(result.ok ? EXIT.ok : EXIT.failed);
    },
  );
}
