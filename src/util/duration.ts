// Durations as users write them on the command line: 30s, 5m, 1h, 24h, 2d, or plain seconds.
import { PromoteError } from "../errors.js";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (match === null) {
    throw new PromoteError("ERR_USAGE", `${option} ${JSON.stringify(text)}: not a duration (write e.g. 30s, 5m, 1h, 2d)`, { path: option });
  }
  return Math.round(Number(match[1]) * UNITS[match[2] ?? "s"]!);
}

export function formatDuration(milliseconds: number): string {
  const seconds = Math.round(milliseconds / 1000);
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}
