// `npm run fault-test [-- --cuts N --stalls M --seed S --executors shell,shell-sh,sftp-only --concurrency K]`:
// the fault test for as long as you like (default 500 cuts and 100 stalls). A bounded,
// fixed-seed slice is part of `npm test` (test/integration/fault-slice.test.ts). Without --seed
// a random one is drawn and printed: rerun with it to replay the same faults.
import { FAULT_EXECUTORS, formatFaultStats, runFaultTest, type FaultExecutor } from "./fault-harness.js";

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const cuts = Number(option("--cuts") ?? 500);
const stalls = Number(option("--stalls") ?? 100);
const seed = option("--seed") === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(option("--seed"));
const executors = (option("--executors")?.split(",") ?? [...FAULT_EXECUTORS]) as FaultExecutor[];
for (const executor of executors) {
  if (!FAULT_EXECUTORS.includes(executor)) throw new Error(`--executors: unknown executor ${executor} (${FAULT_EXECUTORS.join(", ")})`);
}
const concurrency = Number(option("--concurrency") ?? 1);
const stats = await runFaultTest({ cuts, stalls, seed, executors, concurrency, log: (line) => process.stdout.write(`${line}\n`) });
process.stdout.write(formatFaultStats(stats) + "\n");
process.exitCode = stats.failures.length === 0 ? 0 : 1;
