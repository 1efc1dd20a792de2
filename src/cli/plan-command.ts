// `maven-promote plan`: show what a promotion would do. Reads both repositories, writes nothing.
import type { Command } from "commander";
import { plan } from "../api.js";
import { EXIT } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { settingSources } from "./project-config.js";
import { planToJson, renderPlanReport, renderProblemsForStderr } from "./render-plan.js";
import { addPlanOptions, connectionSources, planOptionsFrom, type SharedOptionValues } from "./shared-options.js";

export function registerPlanCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addPlanOptions(program.command("plan").description("show what promoting --from into --to would do; changes nothing")).action(
    async (values: SharedOptionValues, self: Command) => {
      const options = await planOptionsFrom(values, io);
      const result = await plan(options);
      const json = () => ({ ...planToJson(result), settings: settingSources(self), connections: connectionSources(options, io.env) });
      io.stdout(values.json ? JSON.stringify(json(), null, 2) + "\n" : renderPlanReport(result));
      if (!result.ok) io.stderr(renderProblemsForStderr(result.errors));
      setExit(result.ok ? EXIT.ok : EXIT.refused);
    },
  );
}
