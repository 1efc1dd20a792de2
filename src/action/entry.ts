#!/usr/bin/env node
// What action.yml runs: the action's inputs (INPUT_*) as a maven-promote command.
import { processIo } from "../cli/io.js";
import { runAction } from "./main.js";

process.exitCode = await runAction(processIo);
