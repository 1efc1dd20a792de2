// The states a power cut can leave on disk, given the recorded operations of a run
// (test/helpers/fs-model.ts compileOps). The model, and why, is in the header of
// test/integration/power-cut.test.ts; in short:
//   - a crash happens after any prefix of the operations has been issued (crash point k);
//   - each operation is atomic (a rename, a link, a mkdir, one write(2));
//   - what a completed barrier covers is on disk, with what that depends on: syncfs(2)/sync(2)
//     everything issued before it; fsync(2) of a file its data, of a directory its entries
//     (ALICE's rule);
//   - any other issued operation may or may not be on disk, in any combination, as long as an
//     operation is there only with every earlier one it depends on (the same name, the same
//     inode's data, the directory it is made in, the file it moves or links).
import type { CompiledOp } from "./fs-model.js";
import { seededRandom } from "./seeded-random.js";

export interface CrashState {
  /** How many operations were issued when the power failed. */
  crashAt: number;
  /** The indexes of the operations that reached the disk, ascending. */
  persisted: number[];
  /** "prefix": everything issued reached the disk in order; "reordered": a subset did. */
  kind: "prefix" | "reordered";
}

/** For each operation, the earlier operations it directly depends on. */
export function dependenciesOf(ops: readonly CompiledOp[]): number[][] {
  const lastWriter = new Map<string, number>();
  return ops.map((op) => {
    const deps = new Set<number>();
    for (const key of [...op.reads, ...op.writes]) {
      const writer = lastWriter.get(key);
      if (writer !== undefined) deps.add(writer);
    }
    for (const key of op.writes) lastWriter.set(key, op.index);
    return [...deps].sort((a, b) => a - b);
  });
}

/** The operations on disk for certain when the power fails after `crashAt` were issued. */
export function durableAt(ops: readonly CompiledOp[], deps: readonly number[][], crashAt: number): Set<number> {
  const durable = new Set<number>();
  const add = (index: number): void => {
    if (durable.has(index)) return;
    durable.add(index);
    for (const dep of deps[index]!) add(dep);
  };
  for (let barrier = 0; barrier < crashAt; barrier++) {
    const scope = ops[barrier]!.barrier;
    if (scope === undefined) continue;
    for (let index = 0; index < barrier; index++) {
      if (scope.scope === "all" || covers(ops[index]!, scope.inode, scope.directory)) add(index);
    }
  }
  return durable;
}

/** fsync of a file covers its data; fsync of a directory covers the entries made or removed in it. */
function covers(op: CompiledOp, inode: number, directory: boolean): boolean {
  if (directory) return op.writes.some((key) => key.startsWith(`e:${inode}/`));
  return op.writes.includes(`d:${inode}`) || op.writes.includes(`i:${inode}`);
}


export interface EnumerateOptions {
  seed: number;
  /** Per crash point: every allowed subset while there are at most this many, else this many drawn by the seed. */
  perCrashPoint: number;
}

/**
 * Every crash point, and at each the states its undecided operations allow: all of them where
 * they are few, else the probes below and a seeded sample (always with the in-order prefix and
 * the barriers-only state).
 */
export function enumerateCrashStates(ops: readonly CompiledOp[], options: EnumerateOptions): { states: CrashState[]; exhaustive: boolean } {
  const deps = dependenciesOf(ops);
  const random = seededRandom(options.seed);
  const states: CrashState[] = [];
  let exhaustive = true;
  for (let crashAt = 0; crashAt <= ops.length; crashAt++) {
    const durable = durableAt(ops, deps, crashAt);
    const open = ops.slice(0, crashAt).filter((op) => op.changes.length > 0 && !durable.has(op.index)).map((op) => op.index);
    const subsets = allClosedSubsets(open, deps, durable, options.perCrashPoint);
    const chosen = subsets ?? [...probeSubsets(open, deps, durable), ...sampleClosedSubsets(open, deps, durable, options.perCrashPoint, random)];
    if (subsets === undefined) exhaustive = false;
    for (const subset of chosen) {
      const persisted = [...durable, ...subset].filter((index) => ops[index]!.changes.length > 0).sort((a, b) => a - b);
      states.push({ crashAt, persisted, kind: subset.length === open.length ? "prefix" : "reordered" });
    }
  }
  return { states, exhaustive };
}

/** Depth-first over the undecided operations in order: leave each out, or take it if its dependencies are in. */
function allClosedSubsets(open: readonly number[], deps: readonly number[][], durable: ReadonlySet<number>, limit: number): number[][] | undefined {
  const result: number[][] = [];
  const chosen = new Set<number>();
  const walk = (position: number): boolean => {
    if (position === open.length) {
      result.push([...chosen]);
      return result.length <= limit;
    }
    const index = open[position]!;
    if (deps[index]!.every((dep) => durable.has(dep) || chosen.has(dep))) {
      chosen.add(index);
      const going = walk(position + 1);
      chosen.delete(index);
      if (!going) return false;
    }
    return walk(position + 1);
  };
  return walk(0) ? result : undefined;
}

/**
 * ALICE's probes, where the subsets are too many to list: everything issued but one operation
 * (and what depends on it), and nothing but one operation (with what it needs). A lost rename
 * that a later one relied on shows up in the first; a rename that overtook the others in the
 * second.
 */
function probeSubsets(open: readonly number[], deps: readonly number[][], durable: ReadonlySet<number>): number[][] {
  const result: number[][] = [];
  for (const left of open) {
    const without = new Set<number>();
    for (const index of open) if (index !== left && deps[index]!.every((dep) => durable.has(dep) || without.has(dep))) without.add(index);
    result.push([...without]);
    const only = new Set<number>();
    const take = (index: number): void => {
      if (durable.has(index) || only.has(index)) return;
      only.add(index);
      for (const dep of deps[index]!) take(dep);
    };
    take(left);
    result.push([...only].sort((a, b) => a - b));
  }
  return result;
}

/** Seeded random subsets, each closed under the dependencies; the first two are all and none. */
function sampleClosedSubsets(open: readonly number[], deps: readonly number[][], durable: ReadonlySet<number>, count: number, random: () => number): number[][] {
  const result: number[][] = [[...open], []];
  while (result.length < count) {
    const chosen = new Set<number>();
    // Each draw keeps its own odds, so that both nearly-all and nearly-none states come up.
    const keep = random();
    for (const index of open) if (random() < keep && deps[index]!.every((dep) => durable.has(dep) || chosen.has(dep))) chosen.add(index);
    result.push([...chosen]);
  }
  return result;
}
