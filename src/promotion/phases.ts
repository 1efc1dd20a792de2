// The promotion's lifecycle written once as a table (DESIGN.md, "plan first, then act"): each
// row names a phase, says what it may write, and whether a dry run stops before it. One small
// executor (runPhases in promote.ts) walks it; adding a phase is one row and one function.
export type PhaseName = "plan" | "stage" | "upload" | "commit" | "verify" | "finish";

export interface PhaseRow {
  name: PhaseName;
  /** What the phase may write on the target: the invariant tests hold it to this. */
  writes: "nothing" | ".rip names and .maven-promote/" | "the target" | ".maven-promote/";
  /** A dry run stops before this phase. */
  dryRunStops: boolean;
  /** A hook may stop the run before this phase. */
  hookMayStop: boolean;
}

export const PHASES: readonly PhaseRow[] = [
  // plan includes DESIGN.md's fetch and validate: validating needs the target's state too
  // (release immutability, the target's metadata), and none of the three writes anything.
  { name: "plan", writes: "nothing", dryRunStops: false, hookMayStop: false },
  { name: "stage", writes: "nothing", dryRunStops: true, hookMayStop: false },
  { name: "upload", writes: ".rip names and .maven-promote/", dryRunStops: true, hookMayStop: true },
  { name: "commit", writes: "the target", dryRunStops: true, hookMayStop: true },
  { name: "verify", writes: "nothing", dryRunStops: true, hookMayStop: false },
  { name: "finish", writes: ".maven-promote/", dryRunStops: true, hookMayStop: false },
];
