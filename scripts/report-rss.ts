// Loaded with `node --import` by the benchmark: when the process exits, writes its peak resident
// set size (bytes) to the file named by BENCH_RSS_FILE, so that a child's memory is measured
// without a line of code in the tool itself. With BENCH_MEMORY_TRACE_FILE it also samples
// process.memoryUsage() every 200 ms and writes them there as TSV (ms, then MiB of rss,
// heapUsed, heapTotal, external, arrayBuffers): where a peak comes from, phase by phase.
import { writeFileSync } from "node:fs";

const file = process.env.BENCH_RSS_FILE;
if (file !== undefined) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));

const traceFile = process.env.BENCH_MEMORY_TRACE_FILE;
if (traceFile !== undefined) {
  const started = Date.now();
  const mib = (bytes: number): number => Math.round(bytes / 1048576);
  const samples: string[] = ["ms\trss\theapUsed\theapTotal\texternal\tarrayBuffers"];
  const sample = (): void => {
    const usage = process.memoryUsage();
    samples.push([Date.now() - started, mib(usage.rss), mib(usage.heapUsed), mib(usage.heapTotal), mib(usage.external), mib(usage.arrayBuffers)].join("\t"));
  };
  setInterval(sample, 200).unref();
  process.on("exit", () => {
    sample();
    writeFileSync(traceFile, `${samples.join("\n")}\n# peak rss ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB\n`);
  });
}
