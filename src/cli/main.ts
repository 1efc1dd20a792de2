#!/usr/bin/env node
// The `maven-promote` executable.
import { setFlagsFromString } from "node:v8";
import { outliveStdioReaders, processIo } from "./io.js";
import { runCli } from "./program.js";

// Memory that does not grow with the release (issue 18, part 4). V8 lets a small heap grow to
// several times what is live before it collects, and a promotion's garbage comes in waves (the
// digests of every staged file, the paths of every upload): a local promotion of 3,000 artifacts
// peaked at 309 MiB for a live heap of about 60 MiB. Steps of 20 % keep the heap near what is
// live: 208 MiB, for the same CPU time within the noise. The executable sets it, not the library:
// the process is its own.
setFlagsFromString("--heap-growing-percent=20");

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
const exitCodeAfterOutput = outliveStdioReaders();
process.exitCode = exitCodeAfterOutput(await runCli(process.argv.slice(2), processIo));
finished = true;
