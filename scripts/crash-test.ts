// `npm run crash-test [-- --kills N --seed S]`: the crash test for as long as you like
// (default 300 kills). A bounded run (50 kills) is part of `npm test`.
import { formatCrashStats, runCrashTest } from "./crash-harness.js";

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const kills = Number(option("--kills") ?? 300);
const seed = option("--seed") === undefined ? undefined : Number(option("--seed"));
const stats = await runCrashTest({ kills, ...(seed === undefined ? {} : { seed }), log: (line) => process.stdout.write(`${line}\n`) });
process.stdout.write(formatCrashStats(stats) + "\n");
process.exitCode = stats.failures.length === 0 ? 0 : 1;
