// Small text helpers for the human-readable reports.

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function plural(count: number, word: string, pluralWord = `${word}s`): string {
  return `${count} ${count === 1 ? word : pluralWord}`;
}

/** `a → b`, or `a (unchanged)`; `-` stands for "not set". */
export function beforeAfter(value: { before: string | null; after: string | null }): string {
  const before = value.before ?? "-";
  const after = value.after ?? "-";
  return before === after ? `${after} (unchanged)` : `${before} → ${after}`;
}
