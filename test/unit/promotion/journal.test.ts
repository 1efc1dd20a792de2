// The journal is written a piece at a time (issue 18, part 4: one string of a 3,000-artifact
// journal was 25 MB): the pieces must make exactly what JSON.stringify(journal, null, 2) makes,
// which the crash tests read line by line (`  "state": ...`).
import assert from "node:assert/strict";
import { prettyJson } from "../../../src/util/pretty-json.js";
import { promote } from "../../../src/promotion/promote.js";
import { LocalTransport } from "../../../src/transport/local-transport.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { copyRepoFixture, removeTempDirs } from "../../helpers/temp-repos.js";

const NOW = new Date("2026-11-22T10:15:00Z");

describe("journal", () => {
  afterEach(removeTempDirs);

  it("prettyJson gives JSON.stringify(value, null, 2) and a newline, for every kind of value", () => {
    const values: unknown[] = [
      null,
      0,
      "text with \"quotes\", \\ and\nnewlines",
      [],
      {},
      [1, [2, []], { a: {} }],
      { a: undefined, b: () => 1, c: [undefined, () => 1], d: { e: null, f: [true, false] } },
      { date: new Date(0), nested: { list: [{ x: 1 }, { y: "2" }] } },
      // Long lists are walked a piece at a time, the rest written by JSON.stringify: both must agree.
      { list: Array.from({ length: 200 }, (_, i) => ({ i, text: "a\nb", inner: [i, { deep: [] }], gone: undefined })), far: { inner: { long: Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? undefined : i)) } } },
      Array.from({ length: 65 }, () => []),
    ];
    for (const value of values) assert.equal([...prettyJson(value)].join(""), JSON.stringify(value, null, 2) + "\n");
  });

  it("a promotion's journal.json is the journal as JSON.stringify writes it", async () => {
    const dirs = copyRepoFixture("basic");
    const result = await promote({ stagingDirectory: dirs.staging, target: new LocalTransport(dirs.target), executor: "transport", now: NOW });
    assert.equal(result.state, "committed");
    const text = readFileSync(join(dirs.target, `.maven-promote/${result.plan.id}/journal.json`), "utf8");
    assert.equal(text, JSON.stringify(JSON.parse(text), null, 2) + "\n");
    assert.match(text, /^ {2}"state": "committed",$/m);
  });
});
