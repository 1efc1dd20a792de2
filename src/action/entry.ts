#!/usr/bin/env node
// What action.yml runs: the action's inputs (INPUT_*) as a maven-promote command.
import { outliveStdioReaders, processIo } from "../cli/io.js";
import { runAction } from "./main.js";

const exitCodeAfterOutput = outliveStdioReaders();
process.exitCode = exitCodeAfterOutput(await runAction(processIo));
