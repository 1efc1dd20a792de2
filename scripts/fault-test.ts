// `npm run fault-test [-- --cuts N --stalls M --seed S --executors shell,shell-sh,sftp-only --concurrency K]`:
// the fault test for as long as you like (default 500 cuts and 100 stalls). A bounded,
// fixed-seed slice is part of `npm test` (test/integration/fault-slice.test.ts). Without --seed
// a random one is drawn and printed: rerun with it to replay the same faults.
import { FAULT_EXECUTORS, formatFaultStats, runFaultTest, type FaultExecutor } from "./fault-harness.js";
import { failUsage, parseScriptArgs, wholeNumberOption } from "./script-args.js";

const USAGE = `usage: npm run fault-test -- [--cuts 500] [--stalls 100] [--seed S] [--executors ${FAULT_EXECUTORS.join(",")}] [--concurrency 1]
`;
const { values: options } = parseScriptArgs("fault-test", USAGE, {
  cuts: { type: "string", default: "500" },
  stalls: { type: "string", default: "100" },
  seed: { type: "string" },
  executors: { type: "string" },
  concurrency: { type: "string", default: "1" },
});
const cuts = wholeNumberOption("fault-test", USAGE, "cuts", options.cuts!);
const stalls = wholeNumberOption("fault-test", USAGE, "stalls", options.stalls!);
const seed = options.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : wholeNumberOption("fault-test", USAGE, "seed", options.seed);
const executors = (options.executors?.split(",") ?? [...FAULT_EXECUTORS]) as FaultExecutor[];
for (const executor of executors) {
  if (!FAULT_EXECUTORS.includes(executor)) failUsage("fault-test", `--executors: unknown executor ${executor} (${FAULT_EXECUTORS.join(", ")})`, USAGE);
}
const concurrency = wholeNumberOption("fault-test", USAGE, "concurrency", options.concurrency!, 1);
const stats = await runFaultTest({ cuts, stalls, seed, executors, concurrency, log: (line) => process.stdout.write(`${line}\n`) });
process.stdout.write(formatFaultStats(stats) + "\n");
process.exitCode = stats.failures.length === 0 ? 0 : 1;
