// A one-line upload progress display, only on a terminal (CI logs stay quiet). Hand-written on
// purpose: one line redrawn with \r needs no dependency.
import { formatBytes } from "./format.js";
import type { CliIo } from "./io.js";

export function uploadProgress(io: CliIo, enabled: boolean): { update(loaded: number, total: number): void; done(): void } {
  let lastDraw = 0;
  let drawn = false;
  return {
    update(loaded, total) {
      if (!enabled) return;
      const now = Date.now();
      if (now - lastDraw < 100 && loaded < total) return;
      lastDraw = now;
      drawn = true;
      const percent = total === 0 ? 100 : Math.floor((loaded / total) * 100);
      io.stdout(`\rUploading: ${String(percent).padStart(3)}%  ${formatBytes(loaded)} of ${formatBytes(total)}   `);
    },
    done() {
      if (drawn) io.stdout("\n");
    },
  };
}
