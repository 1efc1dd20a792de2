// The benchmark's table as a picture (issue 20, part 4): one panel per link (loopback, the
// delaying proxy), a horizontal bar per method scaled to that panel's slowest, the floor's time
// marked by a dashed line across the panel, so "how far from the floor" is seen at a glance.
// Plain SVG, no library: it renders on GitHub and in any browser.

export interface ChartBar {
  label: string;
  seconds: number;
  /** The floor (`tar c | ssh tar x`, or `cp -r` for local methods): drawn apart, and marked across the panel. */
  floor?: boolean;
}

export interface ChartPanel {
  title: string;
  bars: ChartBar[];
}

const WIDTH = 760;
const LABEL_WIDTH = 270;
const VALUE_WIDTH = 70;
const BAR_HEIGHT = 18;
const GAP = 6;
const TITLE_HEIGHT = 28;
const PANEL_GAP = 18;

export function benchChart(panels: readonly ChartPanel[], caption: string): string {
  const plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const parts: string[] = [];
  let y = 10;
  parts.push(`<text x="10" y="${y + 14}" font-size="14" font-weight="bold">${escapeXml(caption)}</text>`);
  y += 24;
  for (const panel of panels) {
    const longest = Math.max(...panel.bars.map((bar) => bar.seconds), Number.MIN_VALUE);
    const scale = (seconds: number): number => (seconds / longest) * plot;
    parts.push(`<text x="10" y="${y + 18}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`);
    y += TITLE_HEIGHT;
    const top = y;
    for (const bar of panel.bars) {
      const width = Math.max(1, scale(bar.seconds));
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 13}" font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect class="${bar.floor ? "floor" : "bar"}" x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${bar.floor ? "#8c8c8c" : "#3b73b9"}"><title>${escapeXml(`${bar.label}: ${bar.seconds.toFixed(2)} s`)}</title></rect>`,
        `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + 13}" font-size="12">${bar.seconds.toFixed(2)} s</text>`,
      );
      y += BAR_HEIGHT + GAP;
    }
    for (const floor of panel.bars.filter((bar) => bar.floor)) {
      const x = (LABEL_WIDTH + scale(floor.seconds)).toFixed(1);
      parts.push(`<line class="floor-mark" x1="${x}" y1="${top - 4}" x2="${x}" y2="${y - GAP + 4}" stroke="#555" stroke-dasharray="4 3"/>`);
    }
    y += PANEL_GAP;
  }
  const height = Math.ceil(y);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
