// The benchmark's chart: a bar per method scaled to its panel's slowest, the floor marked where
// its bar ends, labels escaped; checked on the SVG itself.
import assert from "node:assert/strict";
import { XMLParser } from "fast-xml-parser";
import { benchChart } from "../../../scripts/bench-chart.js";

interface Rect { "@_class": string; "@_width": string; "@_x": string }
interface Line { "@_x1": string }

describe("benchmark chart", () => {
  const svg = benchChart(
    [
      { title: "loopback", bars: [{ label: "tar c | ssh tar x", seconds: 2, floor: true }, { label: "maven-promote <shell>", seconds: 4 }, { label: "sftp put -r", seconds: 8 }] },
      { title: "local", bars: [{ label: "cp -r", seconds: 1, floor: true }, { label: "maven-promote", seconds: 3 }] },
    ],
    "a & b",
  );
  const parsed = new XMLParser({ ignoreAttributes: false, isArray: (name) => ["rect", "line", "text"].includes(name) }).parse(svg) as { svg: { rect: Rect[]; line: Line[] } };
  const bars = parsed.svg.rect.filter((rect) => rect["@_class"] !== undefined);

  it("draws a bar per method, each panel scaled to its slowest", () => {
    assert.equal(bars.length, 5);
    const widths = bars.map((bar) => Number(bar["@_width"]));
    assert.equal(widths[2], widths[4], "the slowest of each panel spans the plot");
    assert.equal(widths[0]! * 4, widths[2]);
    assert.equal(widths[1]! * 2, widths[2]);
    assert.deepEqual(bars.map((bar) => bar["@_class"]), ["floor", "bar", "bar", "floor", "bar"]);
  });

  it("marks each panel's floor where its bar ends, and escapes the text", () => {
    const ends = bars.filter((bar) => bar["@_class"] === "floor").map((bar) => (Number(bar["@_x"]) + Number(bar["@_width"])).toFixed(1));
    assert.deepEqual(parsed.svg.line.map((line) => line["@_x1"]), ends);
    assert.ok(svg.includes("maven-promote &lt;shell&gt;") && svg.includes("a &amp; b"));
  });
});
