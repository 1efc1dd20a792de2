// `npm run demo`: writes the bundled example (a target with org.example:hello 1.0.0 and 1.1.0, a
// stage with 1.2.0) into a fresh directory and runs maven-promote on it. No server is needed:
// the target is a local directory.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processIo } from "../src/cli/io.js";
import { runCli } from "../src/cli/program.js";
import { writeExampleRepositories } from "./example-repository.js";

const root = process.argv[2] ?? mkdtempSync(join(tmpdir(), "maven-promote-demo-"));
const { staging, target } = writeExampleRepositories(root);
process.stdout.write(`Example repositories written to ${root}\n\n$ maven-promote plan --from ${staging} --to ${target}\n\n`);
process.exitCode = await runCli(["plan", "--from", staging, "--to", target], processIo);
