// An in-memory file system that recorded operations (test/helpers/strace-ops.ts) are replayed on,
// so that the power-cut test can build any subset of them without touching a disk. Names point at
// inodes, as on a real file system: a rename moves an inode, a hard link (a commit's backup)
// shares one, a write changes every name of it.
//
// compileOps replays the whole recording once, in order, and turns each path operation into
// changes of inode numbers and directory entries; from then on a subset of the operations can be
// applied with no path lookups at all, whatever else was left out.
import { lstatSync, mkdirSync, readdirSync, readFileSync, chmodSync, linkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TracedOp } from "./strace-ops.js";

export interface Inode {
  type: "file" | "dir";
  mode: number;
  data: Buffer;
  entries: Map<string, number>;
}

export interface FsState {
  inodes: Map<number, Inode>;
  root: number;
}

/** An atomic change to the tree. */
export type Change =
  | { type: "entry"; parent: number; name: string; inode: number | null }
  | { type: "create"; inode: number; kind: "file" | "dir"; mode: number }
  | { type: "write"; inode: number; offset: number; data: Buffer }
  | { type: "truncate"; inode: number; size: number }
  | { type: "chmod"; inode: number; mode: number };

export interface CompiledOp {
  index: number;
  /** What the operation was, for messages: "rename a → b". */
  label: string;
  changes: Change[];
  /** Keys it needs (a name, an inode's existence or data) and keys it changes. */
  reads: string[];
  writes: string[];
  /** A barrier: what it makes durable ("all", or the inode fsynced). */
  barrier?: { scope: "all" } | { scope: "inode"; inode: number; directory: boolean };
  /** For the invariants: the op renamed something onto this path (relative to the root). */
  renamedTo?: string;
}

const UMASK = 0o022;

/** Reads a directory tree (files, directories; hard links share one inode). */
export function loadTree(dir: string): FsState {
  const inodes = new Map<number, Inode>();
  const byDeviceInode = new Map<string, number>();
  let next = 1;
  const load = (absolute: string): number => {
    const info = lstatSync(absolute);
    const key = `${info.dev}:${info.ino}`;
    const known = byDeviceInode.get(key);
    if (known !== undefined) return known;
    const id = next++;
    byDeviceInode.set(key, id);
    if (info.isDirectory()) {
      const entries = new Map<string, number>();
      inodes.set(id, { type: "dir", mode: info.mode & 0o7777, data: Buffer.alloc(0), entries });
      for (const name of readdirSync(absolute).sort()) entries.set(name, load(join(absolute, name)));
    } else if (info.isFile()) {
      inodes.set(id, { type: "file", mode: info.mode & 0o7777, data: readFileSync(absolute), entries: new Map() });
    } else {
      throw new Error(`fs-model: ${absolute} is neither a file nor a directory`);
    }
    return id;
  };
  const root = load(dir);
  return { inodes, root };
}

export function cloneState(state: FsState): FsState {
  const inodes = new Map<number, Inode>();
  for (const [id, inode] of state.inodes) inodes.set(id, { ...inode, entries: new Map(inode.entries) });
  return { inodes, root: state.root };
}

export function applyChanges(state: FsState, changes: readonly Change[]): void {
  for (const change of changes) {
    switch (change.type) {
      case "entry": {
        const parent = state.inodes.get(change.parent)!;
        if (change.inode === null) parent.entries.delete(change.name);
        else parent.entries.set(change.name, change.inode);
        break;
      }
      case "create":
        state.inodes.set(change.inode, { type: change.kind, mode: change.mode, data: Buffer.alloc(0), entries: new Map() });
        break;
      case "write": {
        const inode = state.inodes.get(change.inode)!;
        const end = change.offset + change.data.length;
        const data = Buffer.alloc(Math.max(inode.data.length, end));
        inode.data.copy(data);
        change.data.copy(data, change.offset);
        inode.data = data;
        break;
      }
      case "truncate": {
        const inode = state.inodes.get(change.inode)!;
        const data = Buffer.alloc(change.size);
        inode.data.copy(data, 0, 0, Math.min(change.size, inode.data.length));
        inode.data = data;
        break;
      }
      case "chmod":
        state.inodes.get(change.inode)!.mode = change.mode;
        break;
    }
  }
}

/** The inode a relative path names, or undefined. */
export function lookup(state: FsState, path: string): number | undefined {
  let current = state.root;
  for (const name of path.split("/").filter((part) => part !== "" && part !== ".")) {
    const inode = state.inodes.get(current);
    if (inode?.type !== "dir") return undefined;
    const next = inode.entries.get(name);
    if (next === undefined) return undefined;
    current = next;
  }
  return current;
}

/** The bytes of a file in the state, or undefined. */
export function readFileIn(state: FsState, path: string): Buffer | undefined {
  const inode = lookup(state, path);
  return inode === undefined || state.inodes.get(inode)!.type !== "file" ? undefined : state.inodes.get(inode)!.data;
}

/**
 * Replays the recording in order on a copy of `initial`, turning each path operation into inode
 * changes with the keys it reads and writes:
 *   `e:P/name`  the directory entry `name` of directory inode P
 *   `i:N`       that inode N exists (written by the operation that creates it)
 *   `d:N`       inode N's contents and mode
 * A rename that replaces a file also reads the data of the file it moves: ext4's auto_da_alloc
 * (on by default) writes a file's pending data before a rename over another file commits, so
 * the write-aside-then-rename of the journal and the lock cannot persist as an empty file.
 */
export function compileOps(initial: FsState, ops: readonly TracedOp[]): { ops: CompiledOp[]; final: FsState } {
  const state = cloneState(initial);
  let next = Math.max(...state.inodes.keys()) + 1;
  const writers = new Map<number, { append: boolean; offset: number }>(); // how each file was last opened for writing
  const parentOf = (path: string): { parent: number; name: string } => {
    const cut = path.lastIndexOf("/");
    const parent = lookup(state, cut < 0 ? "." : path.slice(0, cut));
    if (parent === undefined) throw new Error(`fs-model: no parent directory for ${path}`);
    return { parent, name: path.slice(cut + 1) };
  };
  const need = (path: string): number => {
    const inode = lookup(state, path);
    if (inode === undefined) throw new Error(`fs-model: ${path} does not exist at this point of the recording`);
    return inode;
  };
  const compiled: CompiledOp[] = [];
  for (const op of ops) {
    const add = (label: string, changes: Change[], reads: string[], writes: string[], extra: Partial<CompiledOp> = {}): void => {
      applyChanges(state, changes);
      compiled.push({ index: compiled.length, label, changes, reads, writes, ...extra });
    };
    switch (op.kind) {
      case "open": {
        const existing = lookup(state, op.path);
        if (existing === undefined) {
          if (!op.create) throw new Error(`fs-model: ${op.path} opened for writing but missing`);
          const { parent, name } = parentOf(op.path);
          const inode = next++;
          add(`create ${op.path}`, [{ type: "create", inode, kind: "file", mode: op.mode & ~UMASK }, { type: "entry", parent, name, inode }], [`i:${parent}`], [`i:${inode}`, `d:${inode}`, `e:${parent}/${name}`]);
          writers.set(inode, { append: op.append, offset: 0 });
        } else {
          if (op.truncate && state.inodes.get(existing)!.data.length > 0) add(`truncate ${op.path}`, [{ type: "truncate", inode: existing, size: 0 }], [`i:${existing}`], [`d:${existing}`]);
          writers.set(existing, { append: op.append, offset: 0 });
        }
        break;
      }
      case "write": {
        const inode = need(op.path);
        const writer = writers.get(inode) ?? { append: false, offset: 0 };
        const offset = op.offset ?? (writer.append ? state.inodes.get(inode)!.data.length : writer.offset);
        if (op.offset === undefined) writer.offset = offset + op.data.length;
        writers.set(inode, writer);
        add(`write ${op.path} (${op.data.length} B at ${offset})`, [{ type: "write", inode, offset, data: op.data }], [`i:${inode}`], [`d:${inode}`]);
        break;
      }
      case "truncate": {
        const inode = need(op.path);
        add(`truncate ${op.path} to ${op.size}`, [{ type: "truncate", inode, size: op.size }], [`i:${inode}`], [`d:${inode}`]);
        break;
      }
      case "chmod": {
        const inode = need(op.path);
        add(`chmod ${op.path}`, [{ type: "chmod", inode, mode: op.mode }], [`i:${inode}`], [`d:${inode}`]);
        break;
      }
      case "mkdir": {
        const { parent, name } = parentOf(op.path);
        const inode = next++;
        add(`mkdir ${op.path}`, [{ type: "create", inode, kind: "dir", mode: op.mode & ~UMASK }, { type: "entry", parent, name, inode }], [`i:${parent}`], [`i:${inode}`, `d:${inode}`, `e:${parent}/${name}`]);
        break;
      }
      case "link": {
        const inode = need(op.from);
        const source = parentOf(op.from);
        const { parent, name } = parentOf(op.to);
        add(`link ${op.from} → ${op.to}`, [{ type: "entry", parent, name, inode }], [`e:${source.parent}/${source.name}`, `i:${parent}`, `i:${inode}`], [`e:${parent}/${name}`]);
        break;
      }
      case "rename": {
        const inode = need(op.from);
        const source = parentOf(op.from);
        const { parent, name } = parentOf(op.to);
        const replaces = lookup(state, op.to) !== undefined;
        const reads = [`i:${source.parent}`, `i:${parent}`, `i:${inode}`, ...(replaces ? [`d:${inode}`] : [])];
        add(
          `rename ${op.from} → ${op.to}`,
          [{ type: "entry", parent: source.parent, name: source.name, inode: null }, { type: "entry", parent, name, inode }],
          reads,
          [`e:${source.parent}/${source.name}`, `e:${parent}/${name}`],
          { renamedTo: op.to },
        );
        break;
      }
      case "unlink":
      case "rmdir": {
        const { parent, name } = parentOf(op.path);
        need(op.path);
        add(`${op.kind} ${op.path}`, [{ type: "entry", parent, name, inode: null }], [`i:${parent}`], [`e:${parent}/${name}`]);
        break;
      }
      case "fsync": {
        const inode = need(op.path);
        add(`fsync ${op.path}`, [], [], [], { barrier: { scope: "inode", inode, directory: state.inodes.get(inode)!.type === "dir" } });
        break;
      }
      case "syncfs":
        add("syncfs", [], [], [], { barrier: { scope: "all" } });
        break;
    }
  }
  return { ops: compiled, final: state };
}

/** Every path below the root with its type, mode and bytes: the same view treeFingerprint takes of a disk. */
export function listTree(state: FsState): Map<string, { type: "file" | "dir"; mode: number; data: Buffer; inode: number }> {
  const result = new Map<string, { type: "file" | "dir"; mode: number; data: Buffer; inode: number }>();
  const walk = (id: number, prefix: string): void => {
    for (const [name, child] of [...state.inodes.get(id)!.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const inode = state.inodes.get(child)!;
      const path = prefix === "" ? name : `${prefix}/${name}`;
      result.set(path, { type: inode.type, mode: inode.mode, data: inode.data, inode: child });
      if (inode.type === "dir") walk(child, path);
    }
  };
  walk(state.root, "");
  return result;
}

/** Writes the state to `dir` (which must not exist): hard links stay hard links. */
export function materialize(state: FsState, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const written = new Map<number, string>();
  for (const [path, entry] of listTree(state)) {
    const absolute = join(dir, path);
    if (entry.type === "dir") {
      mkdirSync(absolute);
      chmodSync(absolute, entry.mode);
    } else if (written.has(entry.inode)) {
      linkSync(written.get(entry.inode)!, absolute);
    } else {
      writeFileSync(absolute, entry.data);
      chmodSync(absolute, entry.mode);
      written.set(entry.inode, absolute);
    }
  }
}
