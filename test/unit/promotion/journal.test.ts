// The journal is written a piece at a time (issue 18, part 4: one string of a 3,000-artifact
// journal was 25 MB): the pieces must make exactly what JSON.stringify(journal, null, 2) makes,
// which the crash tests read line by line (`  "state": ...`).
import assert from "node:assert/strict";
import { ProjectedList, prettyJson } from "../../../src/util/pretty-json.js";
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

  it("a ProjectedList is written as JSON.stringify writes its projected array, at any depth and length", () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ i, secret: `local/${i}`, keep: [i, "x\ny"] }));
    const project = ({ secret: _secret, ...rest }: (typeof items)[number]) => rest;
    const projected = items.map(project);
    const values: Array<[unknown, unknown]> = [
      [new ProjectedList(items, project), projected],
      [new ProjectedList([], project), []],
      [new ProjectedList(items.slice(0, 2), project), projected.slice(0, 2)],
      [{ a: 1, uploads: new ProjectedList(items, project), b: [] }, { a: 1, uploads: projected, b: [] }],
      [{ deep: { deeper: { deepest: new ProjectedList(items, project) } } }, { deep: { deeper: { deepest: projected } } }],
      [new ProjectedList([1, 2, 3], () => undefined), [null, null, null]],
    ];
    for (const [lazy, plain] of values) {
      const expected = JSON.stringify(plain, null, 2) + "\n";
      assert.equal([...prettyJson(lazy)].join(""), expected);
      assert.equal(JSON.stringify(lazy, null, 2) + "\n", expected, "JSON.stringify sees the projection too");
      assert.doesNotMatch(expected, /local\//);
    }
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
