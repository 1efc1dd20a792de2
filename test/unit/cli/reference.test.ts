// docs/reference.md is written by `npm run reference` from the CLI's own definitions; this fails
// when the committed file differs from what the script writes now (an option added, renamed or
// described anew without regenerating it), so the reference cannot drift from --help.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { buildProgram } from "../../../src/cli/program.js";
import { REFERENCE_PATH, referenceMarkdown } from "../../../scripts/reference.js";

describe("docs/reference.md", () => {
  it("is what `npm run reference` writes from the CLI's definitions (run it after changing an option)", () => {
    assert.equal(readFileSync(REFERENCE_PATH, "utf8"), referenceMarkdown());
  });

  it("names every command and every option commander knows, with its description", () => {
    const text = referenceMarkdown();
    const program = buildProgram({ stdout: () => {}, stderr: () => {}, env: {}, isTty: false }, () => {});
    for (const command of program.commands) {
      assert.ok(text.includes(`## \`maven-promote ${command.name()}\``), command.name());
      for (const option of command.options) assert.ok(text.includes(option.description.replace(/\|/g, "\\|")), `${command.name()} ${option.flags}`);
    }
  });
});
