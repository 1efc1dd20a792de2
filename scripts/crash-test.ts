// `npm run crash-test [-- --kills N --seed S --executors shell,shell-tar,shell-sh,sftp-only,local --mv-delay SECONDS --minutes M]`:
// the crash test for as long as you like (default 300 kills; with --minutes, no kill starts after M minutes). A bounded, fixed-seed slice of it
// is part of `npm test` (test/integration/crash.test.ts). Without --seed a random one is drawn
// and printed: rerun with it to replay the same kills.
import { EXECUTORS, formatCrashStats, runCrashTest, type Executor } from "./crash-harness.js";
import { failUsage, parseScriptArgs, wholeNumberOption } from "./script-args.js";

const USAGE = `usage: npm run crash-test -- [--kills 300] [--seed S] [--executors ${EXECUTORS.join(",")}] [--mv-delay SECONDS] [--minutes M]
`;
const { values: options } = parseScriptArgs("crash-test", USAGE, {
  kills: { type: "string", default: "300" },
  seed: { type: "string" },
  executors: { type: "string" },
  "mv-delay": { type: "string" },
  minutes: { type: "string" },
});
const kills = wholeNumberOption("crash-test", USAGE, "kills", options.kills!, 1);
const seed = options.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : wholeNumberOption("crash-test", USAGE, "seed", options.seed);
const executors = (options.executors?.split(",") ?? [...EXECUTORS]) as Executor[];
for (const executor of executors) {
  if (!EXECUTORS.includes(executor)) failUsage("crash-test", `--executors: unknown executor ${executor} (${EXECUTORS.join(", ")})`, USAGE);
}
const mvDelay = options["mv-delay"] === undefined ? undefined : Number(options["mv-delay"]);
if (mvDelay !== undefined && !(mvDelay >= 0)) failUsage("crash-test", `--mv-delay wants seconds, not '${options["mv-delay"]}'`, USAGE);
const minutes = options.minutes === undefined ? undefined : wholeNumberOption("crash-test", USAGE, "minutes", options.minutes, 1);
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
