// `maven-promote config`: the settings a command would run with, from the environment, the
// project config file and the defaults, and where each came from.
import type { Command } from "commander";
import { PromoteError } from "../errors.js";
import type { CliIo } from "./io.js";
import { applyToCommand, envName, optionKey, settingSources, type ProjectConfig } from "./project-config.js";

export function registerConfigCommand(program: Command, io: CliIo, config: () => ProjectConfig | undefined): void {
  program
    .command("config")
    .description("print the settings a command would run with (environment, config file, defaults) and where each came from")
    .option("--command <name>", "the command whose settings to show", "promote")
    .option("--json", "print one JSON object on stdout")
    .action((values: { command: string; json?: boolean }) => {
      const target = program.commands.find((command) => command.name() === values.command && command.name() !== "config");
      if (target === undefined) throw new PromoteError("ERR_USAGE", `--command ${values.command}: not a maven-promote command`, { path: "--command" });
      applyToCommand(target, config(), io.env);
      const sources = settingSources(target);
      const file = config()?.path ?? null;
      if (values.json) {
        io.stdout(JSON.stringify({ command: values.command, configFile: file, settings: sources }, null, 2) + "\n");
        return;
      }
      io.stdout(`settings for \`maven-promote ${values.command}\` (config file: ${file ?? "none"})\n`);
      for (const option of target.options) {
        const key = optionKey(option);
        const entry = sources[key];
        if (entry === undefined) continue;
        const where = entry.source === "env" ? `env ${envName(option)}` : entry.source === "config" ? `config ${file}` : entry.source;
        io.stdout(`  ${key.padEnd(28)} ${JSON.stringify(entry.value).padEnd(30)} ${where}\n`);
      }
    });
}
