// Loaded with `node --import` by the benchmark: when the process exits, writes its peak resident
// set size (bytes) to the file named by BENCH_RSS_FILE, so that a child's memory is measured
// without a line of code in the tool itself.
import { writeFileSync } from "node:fs";

const file = process.env.BENCH_RSS_FILE;
if (file !== undefined) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
