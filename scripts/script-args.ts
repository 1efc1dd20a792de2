// Options of the project's own scripts (bench, crash-test, fault-test): node's parseArgs, with
// --help printing the usage and a bad option or number one line and exit 2, never a stack trace
// (and never a run started with the defaults because an option was misspelt).
import { parseArgs, type ParseArgsConfig } from "node:util";

export function parseScriptArgs<T extends NonNullable<ParseArgsConfig["options"]>>(script: string, usage: string, options: T): ReturnType<typeof parseArgs<{ options: T }>> {
  let parsed: ReturnType<typeof parseArgs<{ options: T }>>;
  try {
    parsed = parseArgs({ options: { ...options, help: { type: "boolean" } } }) as ReturnType<typeof parseArgs<{ options: T }>>;
  } catch (error) {
    failUsage(script, (error as Error).message, usage);
  }
  if ((parsed.values as Record<string, unknown>).help === true) {
    process.stdout.write(usage);
    process.exit(0);
  }
  return parsed;
}

/** A whole number of at least `min` from an option's text, or one line and exit 2. */
export function wholeNumberOption(script: string, usage: string, name: string, text: string, min = 0): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) failUsage(script, `--${name} wants a whole number of at least ${min}, not '${text}'`, usage);
  return value;
}

export function failUsage(script: string, message: string, usage: string): never {
  process.stderr.write(`${script}: ${message}\n${usage}`);
  process.exit(2);
}
