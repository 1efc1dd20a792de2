// The command line: builds the commander program, runs it, and alone decides the exit code
// (docs/release-manager.md, "Exit codes": 0 ok, 1 failed, 2 usage, 3 locked, 4 refused, 75 try again). Every expected error is printed
// as one line naming the file or option at fault; only unknown errors print a stack.
import { Command, CommanderError } from "commander";
import { ERROR_TABLE, isPromoteError } from "../errors.js";
import { EXIT } from "./exit-codes.js";
import { annotateError } from "./github-actions.js";
import type { CliIo } from "./io.js";
import { registerPlanCommand } from "./plan-command.js";
import { registerPromoteCommand } from "./promote-command.js";
import { registerVerifyCommand } from "./verify-command.js";
import { registerCheckCommand } from "./check-command.js";
import { registerRecoveryCommands } from "./recovery-commands.js";
import { registerAdminCommands } from "./admin-commands.js";
import { registerConfigCommand } from "./config-command.js";
import { applyToCommand, findConfigFile, loadProjectConfig, type ProjectConfig } from "./project-config.js";

export const VERSION = "0.1.0";

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  let config: ProjectConfig | undefined;
  const program = buildProgram(io, (code) => void (exitCode = code), () => config);
  // Settings from the environment and the config file go in before the command parses its
  // flags, which then win; a repeatable flag is fixed up once parsed.
  program.hook("preSubcommand", (_program, subcommand) => {
    subcommand.hook("preAction", applyToCommand(subcommand, config, io.env));
  });

  try {
    const configPath = findConfigFile(argv, process.cwd());
    if (configPath !== undefined) config = loadProjectConfig(configPath, program.commands.filter((command) => command.name() !== "config"));
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version "fail" with exit code 0; every real parse error is a usage error.
      if (error.exitCode === 0) return EXIT.ok;
      if (argv.includes("--json")) {
        io.stdout(JSON.stringify({ ok: false, errors: [{ code: "ERR_USAGE", path: "", message: error.message.replace(/^error: /, "") }] }, null, 2) + "\n");
      }
      return EXIT.usage;
    }
    return reportError(error, argv.includes("--json"), io);
  }
}

/**
 * The commander program with every command and option: what runCli parses, and what
 * scripts/reference.ts walks to write docs/reference.md (so the reference cannot drift).
 */
export function buildProgram(io: CliIo, setExit: (code: number) => void, config: () => ProjectConfig | undefined = () => undefined): Command {
  const program = new Command("maven-promote")
    .description("Promote a staged Maven release into a live Maven repository, nearly atomically.")
    .version(VERSION)
    .exitOverride()
    .configureOutput(outputFor(io));
  registerPlanCommand(program, io, setExit);
  registerPromoteCommand(program, io, setExit);
  registerVerifyCommand(program, io, setExit);
  registerCheckCommand(program, io, setExit);
  registerRecoveryCommands(program, io, setExit);
  registerAdminCommands(program, io, setExit);
  registerConfigCommand(program, io, config);
  for (const command of program.commands) {
    command.exitOverride().configureOutput(outputFor(io));
    command.option("--config <file>", `project config file (default: the nearest maven-promote.json from the current directory up)`);
  }
  return program;
}

/** Commander's own parse errors in the same one-line form as every other error. */
function outputFor(io: CliIo) {
  return {
    writeOut: io.stdout,
    writeErr: io.stderr,
    outputError: (text: string) => {
      const message = text.trim().replace(/^error: /, "");
      io.stderr(`maven-promote: ${message} [ERR_USAGE]\n  hint: ${ERROR_TABLE.ERR_USAGE.hint}\n`);
    },
  };
}

function reportError(error: unknown, json: boolean, io: CliIo): number {
  if (isPromoteError(error)) {
    io.stderr(`maven-promote: ${error.message} [${error.code}]\n  hint: ${error.hint}\n`);
    annotateError(io, error.code, error.message);
    if (json) io.stdout(JSON.stringify({ ok: false, errors: [{ code: error.code, path: error.path ?? "", message: error.message, hint: error.hint }] }, null, 2) + "\n");
    return ERROR_TABLE[error.code].exit;
  }
  const stack = error instanceof Error ? error.stack ?? error.message : String(error);
  io.stderr(`maven-promote: internal error [ERR_INTERNAL]: ${stack}\n  hint: ${ERROR_TABLE.ERR_INTERNAL.hint}\n`);
  if (json) io.stdout(JSON.stringify({ ok: false, errors: [{ code: "ERR_INTERNAL", path: "", message: String(error), hint: ERROR_TABLE.ERR_INTERNAL.hint }] }, null, 2) + "\n");
  return EXIT.failed;
}
