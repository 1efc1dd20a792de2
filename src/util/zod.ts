// zod, loaded when a config or policy file is checked rather than at every start of the CLI
// (about 0.1 s of a local promotion's start-up; issue 18, part 5).
import { createRequire } from "node:module";
import type { z as Zod } from "zod";

export type { Zod };

export function loadZod(): typeof Zod {
  return (createRequire(import.meta.url)("zod") as { z: typeof Zod }).z;
}
