// Where the project's files are, from a compiled test (dist/test/helpers/paths.js).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const fixturesDir = join(projectRoot, "test", "fixtures");
export const cliPath = join(projectRoot, "dist", "src", "cli", "main.js");
