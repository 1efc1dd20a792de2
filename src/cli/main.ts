#!/usr/bin/env node
// The `maven-promote` executable.
import { processIo } from "./io.js";
import { runCli } from "./program.js";

// Never a silent exit (issue 17): if the command is still waiting on something that can no
// longer happen (a promise nothing will settle), Node would end with exit 13 and no word.
let finished = false;
process.on("beforeExit", () => {
  if (finished) return;
  processIo.stderr(
    "maven-promote: internal error [ERR_INTERNAL]: the command stopped waiting on an operation that can never finish; the target may be mid-promotion\n" +
      "  hint: Run `maven-promote status --to ...` to see its state, and report this bug.\n",
  );
  process.exit(1);
});
process.exitCode = await runCli(process.argv.slice(2), processIo);
finished = true;
