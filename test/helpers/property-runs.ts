// fast-check's parameters for the suite's property tests: a fixed seed, so that `npm test` runs
// the same cases every time (a property that fails once in twenty runs is a bug to fix, never a
// retry). PROPERTY_SEED=N replays or explores another seed (fast-check prints the seed and the
// shrunk counterexample of a failure); PROPERTY_SEED=random draws one.
export const PROPERTY_SEED = seedFromEnvironment(process.env.PROPERTY_SEED);

export function propertyRuns(numRuns: number): { numRuns: number; seed: number } {
  return { numRuns, seed: PROPERTY_SEED };
}

function seedFromEnvironment(text: string | undefined): number {
  if (text === undefined || text === "") return 20261205;
  if (text === "random") return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(text);
  if (!Number.isInteger(seed)) throw new Error(`PROPERTY_SEED: not a whole number: ${text}`);
  return seed;
}
