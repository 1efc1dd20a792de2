// `maven-promote plan`: show what a promotion would do. Reads both repositories, writes nothing.
import type { Command } from "commander";
import { plan } from "../api.js";
import { EXIT } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { settingSources } from "./project-config.js";
import { planToJson, renderPlanReport, renderProblemsForStderr } from "./render-plan.js";
import { addPlanOptions, connectionSources, planOptionsFrom, secretsRead, type SharedOptionValues } from "./shared-options.js";
import { annotateProblems, maskSecrets } from "./github-actions.js";

export function registerPlanCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addPlanOptions(program.command("plan").description("show what promoting --from into --to would do; changes nothing")).action(
    async (values: SharedOptionValues, self: Command) => {
      const options = await planOptionsFrom(values, io);
      maskSecrets(io, secretsRead(values, options, io.env));
      const result = await plan(options);
      const json = () => ({ ...planToJson(result), settings: settingSources(self), connections: connectionSources(options, io.env) });
      io.stdout(values.json ? JSON.stringify(json(), null, 2) + "\n" : renderPlanReport(result));
      if (!result.ok) io.stderr(renderProblemsForStderr(result.errors));
      annotateProblems(io, result.errors, result.warnings);
      setExit(result.ok ? EXIT.ok : EXIT.refused);
    },
  );
}
