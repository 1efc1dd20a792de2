// Options from a project config file and the environment, under the command line: flags beat
// MAVEN_PROMOTE_* variables, which beat maven-promote.json (found from the current directory
// upwards, or --config FILE), which beats the defaults. The file is checked with a schema built
// from the commands' own options (zod): an unknown key or a value of the wrong type is one line
// naming the file, the key and what was expected. Each value remembers where it came from.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command, Option } from "commander";
import { loadZod, type Zod } from "../util/zod.js";
import { PromoteError } from "../errors.js";

export const CONFIG_FILE_NAME = "maven-promote.json";
/** The config file's list of a group's targets (promote --to A --to B). */
const TARGETS_KEY = "targets";
const GROUP_COMMANDS = new Set(["promote", "resume", "rollback"]);
/** Options that are not settings: where the settings come from, and commander's own. */
const NOT_SETTINGS = new Set(["config", "help", "version"]);

export type SettingSource = "cli" | "env" | "config" | "default";

export interface ProjectConfig {
  path: string;
  /** By option name as written on the command line without its dashes ("trusted-keys"). */
  values: Record<string, unknown>;
}

/** `--config FILE` / `--config=FILE` from the raw arguments (before commander parses them), else the nearest maven-promote.json. */
export function findConfigFile(argv: readonly string[], cwd: string): string | undefined {
  for (const [index, argument] of argv.entries()) {
    if (argument === "--config") {
      const value = argv[index + 1];
      if (value === undefined) throw new PromoteError("ERR_USAGE", "--config needs a file name", { path: "--config" });
      return resolve(cwd, value);
    }
    if (argument.startsWith("--config=")) return resolve(cwd, argument.slice("--config=".length));
  }
  for (let directory = resolve(cwd); ; directory = dirname(directory)) {
    const candidate = join(directory, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    if (dirname(directory) === directory) return undefined;
  }
}

/** Reads and checks the file against every option any command has. */
export function loadProjectConfig(path: string, commands: readonly Command[]): ProjectConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new PromoteError("ERR_CONFIG", `${path}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PromoteError("ERR_CONFIG", `${path}: not valid JSON (${(error as Error).message})`, { path });
  }
  const z = loadZod();
  const shape: Record<string, Zod.ZodType> = {};
  for (const option of settingOptions(commands)) shape[optionKey(option)] = schemaFor(option).optional();
  // A group's targets (promote, resume and rollback): the file's form of --to given several times.
  shape[TARGETS_KEY] = z.array(z.string(), { error: "expected a list of targets" }).min(2, { error: "expected at least two targets (one is \"to\")" }).optional();
  const parsed = z.strictObject(shape).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.code === "unrecognized_keys" ? issue.keys.join(", ") : issue.path.join(".");
    const expected =
      issue.code === "unrecognized_keys"
        ? `not an option of maven-promote (known: ${Object.keys(shape).sort().join(", ")})`
        : issue.path.length === 0
          ? "an object of options, e.g. { \"to\": \"sftp://…\" }"
          : issue.message.replace(/^Invalid input: /, "");
    throw new PromoteError("ERR_CONFIG", `${path}: ${key === "" ? "the file" : `"${key}"`}: ${expected}`, { path });
  }
  const values = parsed.data as Record<string, unknown>;
  if (values.to !== undefined && values[TARGETS_KEY] !== undefined) throw new PromoteError("ERR_CONFIG", `${path}: "to" and "targets" are both given: one target, or a group`, { path });
  return { path, values };
}

/**
 * Before `command` parses its own arguments: each of its options not given on the command line
 * takes the environment's value, else the file's. Returns a function to call after parsing
 * (commander's preAction), which drops file or environment values a repeatable flag added to.
 */
export function applyToCommand(command: Command, config: ProjectConfig | undefined, env: NodeJS.ProcessEnv): () => void {
  const preset = new Map<string, number>();
  /** Options preset with one string (--to), which one flag leaves a string. */
  const presetStrings = new Set<string>();
  for (const option of command.options as Option[]) {
    if (NOT_SETTINGS.has(optionKey(option))) continue;
    const name = envName(option);
    const fromEnv = env[name];
    // The file's targets list is --to for the commands that take a group.
    const fromFile = config?.values[optionKey(option)] ?? (optionKey(option) === "to" && GROUP_COMMANDS.has(command.name()) ? config?.values[TARGETS_KEY] : undefined);
    const value = fromEnv !== undefined ? fromEnvironment(option, name, fromEnv) : fromFile;
    if (value === undefined) continue;
    set(command, option, value, fromEnv !== undefined ? "env" : "config", preset);
    if (typeof value === "string" && option.parseArg !== undefined) presetStrings.add(option.attributeName());
  }
  return () => {
    // A repeatable option (--path) adds each flag to the value it had: the flags replace it.
    // So does --to (collectTargets), whose preset is one string: the flags make a list after it.
    for (const [key, length] of preset) {
      const value = command.getOptionValue(key) as unknown;
      if (command.getOptionValueSource(key) !== "cli" || !Array.isArray(value)) continue;
      const flags = value.slice(length);
      command.setOptionValueWithSource(key, presetStrings.has(key) && flags.length === 1 ? flags[0] : flags, "cli");
    }
  };
}

function set(command: Command, option: Option, value: unknown, source: SettingSource, preset: Map<string, number>): void {
  command.setOptionValueWithSource(option.attributeName(), value, source);
  if (Array.isArray(value)) preset.set(option.attributeName(), value.length);
  else if (typeof value === "string" && option.parseArg !== undefined) preset.set(option.attributeName(), 1); // --to: collectTargets
}

/** Where each of a command's settings came from, and its value (secrets never: options hold variable names, not secrets). */
export function settingSources(command: Command): Record<string, { source: SettingSource; value: unknown }> {
  const result: Record<string, { source: SettingSource; value: unknown }> = {};
  for (const option of command.options as Option[]) {
    const key = optionKey(option);
    if (NOT_SETTINGS.has(key)) continue;
    const value = command.getOptionValue(option.attributeName());
    if (value === undefined) continue;
    const source = (command.getOptionValueSource(option.attributeName()) ?? "default") as SettingSource;
    result[key] = { source, value: isSecretName(key) ? "***" : value };
  }
  return result;
}

/** The environment variable for an option: --trusted-keys is MAVEN_PROMOTE_TRUSTED_KEYS. */
export function envName(option: Option): string {
  return `MAVEN_PROMOTE_${optionKey(option).toUpperCase().replace(/-/g, "_")}`;
}

export function optionKey(option: Option): string {
  return option.long!.replace(/^--/, "");
}

function settingOptions(commands: readonly Command[]): Option[] {
  const byKey = new Map<string, Option>();
  for (const command of commands) for (const option of command.options as Option[]) if (!NOT_SETTINGS.has(optionKey(option))) byKey.set(optionKey(option), option);
  return [...byKey.values()];
}

function isRepeatable(option: Option): boolean {
  // The one kind of custom parser here that accumulates: (value, previous = []) => [...previous, value].
  return option.parseArg !== undefined && option.argChoices === undefined && /previous/.test(option.parseArg.toString());
}

function schemaFor(option: Option): Zod.ZodType {
  const z = loadZod();
  if (option.isBoolean()) return z.boolean({ error: "expected true or false" });
  if (option.argChoices !== undefined) return z.enum(option.argChoices as [string, ...string[]], { error: `expected one of ${option.argChoices.join(", ")}` });
  if (isRepeatable(option)) return z.array(z.string(), { error: "expected a list of strings" });
  return z.string({ error: "expected a string" });
}

function fromEnvironment(option: Option, name: string, text: string): unknown {
  const bad = (expected: string): never => {
    throw new PromoteError("ERR_CONFIG", `${name}=${JSON.stringify(text)}: expected ${expected}`, { path: name });
  };
  if (option.isBoolean()) {
    if (/^(1|true|yes)$/i.test(text)) return true;
    if (/^(0|false|no)$/i.test(text)) return false;
    return bad("true or false (1/0, yes/no)");
  }
  if (option.argChoices !== undefined && !option.argChoices.includes(text)) return bad(`one of ${option.argChoices.join(", ")}`);
  if (isRepeatable(option)) return text.split(",").filter((part) => part !== "");
  return text;
}

function isSecretName(key: string): boolean {
  return /(password|passphrase|secret|token)$/i.test(key);
}
