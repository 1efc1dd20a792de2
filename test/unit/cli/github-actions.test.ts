// The job summary stays under GitHub's 1 MiB limit however large the release, and workflow
// command data is escaped as actions/toolkit escapes it.
import assert from "node:assert/strict";
import { annotateProblems, phaseTimeline, promotionSummary } from "../../../src/cli/github-actions.js";
import type { MetadataPlan, Plan } from "../../../src/plan/plan-types.js";
import type { PromoteResult } from "../../../src/promotion/phase-runners.js";

function artifact(index: number): MetadataPlan {
  return {
    path: `org/example/module-${index}/maven-metadata.xml`,
    kind: "artifact",
    groupId: "org.example",
    artifactId: `module-with-a-rather-long-name-${index}`,
    version: null,
    versionsAdded: ["1.0.0"],
    latest: { before: null, after: "1.0.0" },
    release: { before: null, after: "1.0.0" },
    backport: false,
    pluginsAdded: [],
    targetExists: false,
    targetSha256: null,
    changed: true,
    checksums: ["md5", "sha1"],
    signature: "none",
    size: 300,
    content: "",
    digests: {},
  } as MetadataPlan;
}

describe("unit: GitHub Actions output", () => {
  it("draws the phases as a Mermaid gantt, end to end in the order they ran", () => {
    assert.deepEqual(phaseTimeline([["plan", 812], ["stage", 0.4], ["upload", 1490]]), [
      "```mermaid",
      "gantt",
      "  dateFormat x",
      "  axisFormat %S.%L s",
      "  section phases",
      "  plan (0.81 s) :0, 812",
      "  stage (0.00 s) :812, 813",
      "  upload (1.49 s) :813, 2303",
      "```",
    ]);
  });

  it("a summary of 20,000 artifacts stays under 1 MiB and says how much it left out", () => {
    const plan = { id: "20261201T000000Z-abcd", ok: true, source: "s", target: "t", metadata: Array.from({ length: 20_000 }, (_, index) => artifact(index)), uploads: [], errors: [], warnings: [] } as unknown as Plan;
    const result = { plan, completed: "finish", state: "committed", verifyProblems: [], executor: "shell" } as unknown as PromoteResult;
    const summary = promotionSummary(result, false);
    assert.ok(Buffer.byteLength(summary) < 1024 * 1024, `${Buffer.byteLength(summary)} bytes`);
    assert.match(summary, /… \d+ more lines left out \(GitHub's summary limit is 1 MiB\); the full report is in the log\.\n$/);
  });

  it("annotations escape %, newlines, and in properties : and ,", () => {
    const lines: string[] = [];
    annotateProblems({ stdout: () => undefined, stderr: (text) => lines.push(text), env: { GITHUB_ACTIONS: "true" }, isTty: false }, [{ code: "ERR_POLICY", rule: "central/url", path: "a,b:c.pom", message: "50% done\nnext" }], []);
    assert.deepEqual(lines, ["::error file=a%2Cb%3Ac.pom,title=central/url::50%25 done%0Anext\n"]);
  });

  it("outside GitHub Actions: no workflow commands at all", () => {
    const lines: string[] = [];
    annotateProblems({ stdout: () => undefined, stderr: (text) => lines.push(text), env: {}, isTty: false }, [{ code: "ERR_POLICY", path: "x", message: "y" }], []);
    assert.deepEqual(lines, []);
  });
});
