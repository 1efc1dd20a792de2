// `npm run crash-test [-- --kills N --seed S --executors shell,shell-tar,shell-sh,sftp-only,local --mv-delay SECONDS --minutes M]`:
// the crash test for as long as you like (default 300 kills; with --minutes, no kill starts after M minutes). A bounded, fixed-seed slice of it
// is part of `npm test` (test/integration/crash.test.ts). Without --seed a random one is drawn
// and printed: rerun with it to replay the same kills.
import { EXECUTORS, formatCrashStats, runCrashTest, type Executor } from "./crash-harness.js";

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const kills = Number(option("--kills") ?? 300);
const seed = option("--seed") === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(option("--seed"));
const executors = (option("--executors")?.split(",") ?? [...EXECUTORS]) as Executor[];
for (const executor of executors) {
  if (!EXECUTORS.includes(executor)) throw new Error(`--executors: unknown executor ${executor} (${EXECUTORS.join(", ")})`);
}
const mvDelay = option("--mv-delay") === undefined ? undefined : Number(option("--mv-delay"));
const minutes = option("--minutes") === undefined ? undefined : Number(option("--minutes"));
const stats = await runCrashTest({
  kills,
  seed,
  executors,
  ...(mvDelay === undefined ? {} : { mvDelay }),
  ...(minutes === undefined ? {} : { minutes }),
  log: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(formatCrashStats(stats) + "\n");
process.exitCode = stats.failures.length === 0 ? 0 : 1;
