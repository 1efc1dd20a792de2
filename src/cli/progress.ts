// Progress of the long phases (digesting the stage, uploading) on stderr: a bar with bytes,
// rate and time left on a terminal (cli-progress), a plain line every 10 s when stderr is not
// a terminal (CI logs), nothing with --quiet. Short runs print nothing in CI: the first line
// comes only once a phase has run for a whole interval.
import { SingleBar } from "cli-progress";
import { formatBytes } from "./format.js";
import type { CliIo } from "./io.js";

export type ProgressMode = "bar" | "lines" | "off";

export interface PhaseProgress {
  /** The phase named `label` has done `loaded` of `total` bytes. */
  update(label: string, loaded: number, total: number): void;
  /** Ends the display (the bar's line stays, finished). */
  done(): void;
}

export function progressModeFor(io: CliIo, quiet: boolean | undefined): ProgressMode {
  if (quiet) return "off";
  return io.stderrIsTty ? "bar" : "lines";
}

export function phaseProgress(io: CliIo, mode: ProgressMode, { intervalMs = 10_000, now = () => Date.now() } = {}): PhaseProgress {
  let label: string | undefined;
  let started = 0;
  let lastLine = 0;
  let bar: SingleBar | undefined;
  const rateOf = (loaded: number): number => loaded / Math.max(0.001, (now() - started) / 1000);
  const finishBar = (): void => {
    bar?.stop();
    bar = undefined;
  };
  return {
    update(next, loaded, total) {
      if (mode === "off") return;
      if (next !== label) {
        finishBar();
        label = next;
        started = now();
        lastLine = started;
      }
      const payload = { done: formatBytes(loaded), all: formatBytes(total), rate: `${formatBytes(rateOf(loaded))}/s` };
      if (mode === "bar") {
        if (bar === undefined) {
          bar = new SingleBar({
            format: `${next.padEnd(10)} [{bar}] {percentage}% | {done} of {all} | {rate} | {eta_formatted} left`,
            stream: io.stderrStream ?? process.stderr,
            hideCursor: false,
            clearOnComplete: false,
            etaBuffer: 50,
          });
          bar.start(total, loaded, payload);
        } else {
          bar.setTotal(total);
          bar.update(loaded, payload);
        }
        return;
      }
      if (now() - lastLine < intervalMs) return;
      lastLine = now();
      const percent = total === 0 ? 100 : Math.floor((loaded / total) * 100);
      const rate = rateOf(loaded);
      const left = rate > 0 ? Math.ceil((total - loaded) / rate) : undefined;
      io.stderr(`${next}: ${percent}% (${payload.done} of ${payload.all}, ${payload.rate}${left === undefined ? "" : `, about ${left} s left`})\n`);
    },
    done() {
      finishBar();
      label = undefined;
    },
  };
}
