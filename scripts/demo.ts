// `npm run demo`: writes the bundled example (a target with org.example:hello 1.0.0 and 1.1.0, a
// stage with 1.2.0) into a fresh directory, promotes the stage into the target, and verifies the
// result. No server is needed: the target is a local directory.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { outliveStdioReaders, processIo } from "../src/cli/io.js";
import { runCli } from "../src/cli/program.js";
import { writeExampleRepositories } from "./example-repository.js";

const exitCodeAfterOutput = outliveStdioReaders(); // `npm run demo | head` ends quietly
const root = process.argv[2] ?? mkdtempSync(join(tmpdir(), "maven-promote-demo-"));
const { staging, target } = writeExampleRepositories(root);
processIo.stdout(`Example repositories written to ${root}\n`);

for (const args of [
  ["promote", "--from", staging, "--to", target],
  ["verify", "--to", target],
]) {
  processIo.stdout(`\n$ maven-promote ${args.join(" ")}\n\n`);
  const code = exitCodeAfterOutput(await runCli(args, processIo));
  if (code !== 0) {
    process.exitCode = code;
    break;
  }
}
