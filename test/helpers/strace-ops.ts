// Records what a command does to a directory tree, as the kernel saw it: the command runs under
// `strace -f` (every process and thread it starts), and the trace is read back as a list of
// file-system operations on paths below the root (creates, writes, renames, links, unlinks,
// mkdirs) and the barriers between them (fsync, fdatasync, syncfs, sync). The power-cut test
// (test/integration/power-cut.test.ts) replays these in every order a crash could persist them.
//
// strace is asked for -y (the path behind each fd, and behind AT_FDCWD) and -xx (every string
// in hex, so that written bytes and odd names come back exactly and no quote or comma inside a
// string can confuse the parser).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { isAbsolute, join, normalize, relative } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One file-system operation, paths relative to the recorded root. */
export type TracedOp =
  | { kind: "open"; path: string; mode: number; create: boolean; exclusive: boolean; truncate: boolean; append: boolean }
  | { kind: "write"; path: string; data: Buffer; offset?: number }
  | { kind: "truncate"; path: string; size: number }
  | { kind: "mkdir"; path: string; mode: number }
  | { kind: "link"; from: string; to: string }
  | { kind: "rename"; from: string; to: string }
  | { kind: "unlink"; path: string }
  | { kind: "rmdir"; path: string }
  | { kind: "chmod"; path: string; mode: number }
  /** fsync(2) or fdatasync(2) of one file or directory. */
  | { kind: "fsync"; path: string }
  /** syncfs(2) of the root's file system, or sync(2) of every one. */
  | { kind: "syncfs" };

export interface Recording {
  ops: TracedOp[];
  /** The command's exit code. */
  code: number;
  stderr: string;
}

const SYSCALLS = [
  "open", "openat", "creat", "write", "pwrite64", "truncate", "ftruncate", "mkdir", "mkdirat", "link", "linkat", "rename", "renameat",
  "renameat2", "unlink", "unlinkat", "rmdir", "chmod", "fchmod", "fchmodat", "fsync", "fdatasync", "syncfs", "sync", "chdir", "fchdir",
  "writev", "pwritev", "copy_file_range", "sendfile", "symlink", "symlinkat",
];

/** Runs `command` (in `cwd`, which is the recorded root too unless given) under strace -f. */
export async function recordFileOps(root: string, command: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; traceFile: string }): Promise<Recording> {
  const cwd = options.cwd ?? root;
  const args = ["-f", "-y", "-xx", "-qq", "-s", "16777216", "-o", options.traceFile, "-e", `trace=${SYSCALLS.join(",")}`, "--", ...command];
  const outcome = await run("strace", args, { cwd, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 }).then(
    (result) => ({ code: 0, stderr: result.stderr }),
    (error: { code?: number; stderr?: string }) => ({ code: typeof error.code === "number" ? error.code : 1, stderr: error.stderr ?? "" }),
  );
  return { ops: parseTrace(readFileSync(options.traceFile, "latin1"), root, cwd), ...outcome };
}

/** The operations of a trace that touch `root`, in the order their system calls returned. */
export function parseTrace(text: string, root: string, startCwd: string): TracedOp[] {
  const ops: TracedOp[] = [];
  const cwdOf = new Map<string, string>(); // a process's working directory, where it changed it
  const pending = new Map<string, string>(); // "<unfinished ...>" heads, by pid
  for (const raw of text.split("\n")) {
    const match = /^(\d+)\s+(.*)$/.exec(raw);
    if (match === null) continue;
    const [, pid = "", rest = ""] = match;
    let line = rest;
    if (line.endsWith("<unfinished ...>")) {
      pending.set(pid, line.slice(0, -"<unfinished ...>".length));
      continue;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(line);
    if (resumed !== null) {
      line = (pending.get(pid) ?? "") + resumed[1];
      pending.delete(pid);
    }
    const call = /^(\w+)\((.*)\)\s+=\s+(-?\d+)(.*)$/.exec(line);
    if (call === null) continue; // signals, exits
    const [, name = "", argText = "", result = ""] = call;
    if (Number(result) < 0) continue; // a failed call changed nothing
    const args = splitArgs(argText);
    const cwd = cwdOf.get(pid) ?? startCwd;
    const inRoot = (absolute: string): string | undefined => {
      const path = relative(root, normalize(absolute));
      return path === "" ? "." : path.startsWith("..") || isAbsolute(path) ? undefined : path;
    };
    /** A path argument, resolved against the dirfd argument (`AT_FDCWD</dir>` or `3</dir>`) or the cwd. */
    const pathAt = (dirArg: string | undefined, pathArg: string): string => {
      const path = decodeString(pathArg);
      if (isAbsolute(path)) return path;
      const dir = dirArg === undefined ? cwd : (fdPath(dirArg) ?? cwd);
      return join(dir, path);
    };
    const push = (op: TracedOp, ...absolutes: string[]): void => {
      const inside = absolutes.map(inRoot);
      if (inside.every((path) => path === undefined)) return;
      if (inside.some((path) => path === undefined)) throw new Error(`strace-ops: ${name} crosses the recorded root: ${raw}`);
      ops.push(relativize(op, inside as string[]));
    };
    switch (name) {
      case "chdir":
        cwdOf.set(pid, pathAt(undefined, args[0]!));
        break;
      case "fchdir":
        cwdOf.set(pid, fdPath(args[0]!) ?? cwd);
        break;
      case "open":
      case "openat":
      case "creat": {
        const [dirArg, pathArg, flagArg, modeArg] = name === "openat" ? args : [undefined, ...args];
        const flags = name === "creat" ? "O_WRONLY|O_CREAT|O_TRUNC" : (flagArg ?? "");
        if (!/O_WRONLY|O_RDWR/.test(flags) && !/O_CREAT|O_TRUNC/.test(flags)) break; // a read changes nothing
        // The path the kernel opened (`= 3</path>`), else the argument resolved by hand.
        const absolute = fdPath(`${result}${call[4] ?? ""}`.trim()) ?? pathAt(dirArg, pathArg!);
        const has = (flag: string): boolean => flags.split("|").includes(flag);
        push({ kind: "open", path: absolute, mode: parseInt(modeArg ?? "0666", 8), create: has("O_CREAT"), exclusive: has("O_EXCL"), truncate: has("O_TRUNC"), append: has("O_APPEND") }, absolute);
        break;
      }
      case "write":
      case "pwrite64": {
        const absolute = fdPath(args[0]!);
        if (absolute === undefined) break; // a pipe, a socket, a terminal
        const data = decodeBytes(args[1]!).subarray(0, Number(result));
        push(name === "pwrite64" ? { kind: "write", path: absolute, data, offset: Number(args[3]) } : { kind: "write", path: absolute, data }, absolute);
        break;
      }
      case "truncate":
      case "ftruncate": {
        const absolute = name === "truncate" ? pathAt(undefined, args[0]!) : fdPath(args[0]!);
        if (absolute !== undefined) push({ kind: "truncate", path: absolute, size: Number(args[1]) }, absolute);
        break;
      }
      case "mkdir":
      case "mkdirat": {
        const [dirArg, pathArg, modeArg] = name === "mkdirat" ? args : [undefined, ...args];
        const absolute = pathAt(dirArg, pathArg!);
        push({ kind: "mkdir", path: absolute, mode: parseInt(modeArg ?? "0777", 8) }, absolute);
        break;
      }
      case "link":
      case "linkat":
      case "rename":
      case "renameat":
      case "renameat2": {
        const at = name.endsWith("at") || name === "renameat2";
        const from = at ? pathAt(args[0], args[1]!) : pathAt(undefined, args[0]!);
        const to = at ? pathAt(args[2], args[3]!) : pathAt(undefined, args[1]!);
        if (name === "renameat2" && (args[4] ?? "").includes("RENAME_EXCHANGE")) throw new Error(`strace-ops: RENAME_EXCHANGE is not modelled: ${raw}`);
        push({ kind: name.startsWith("link") ? "link" : "rename", from, to }, from, to);
        break;
      }
      case "unlink":
      case "unlinkat":
      case "rmdir": {
        const absolute = name === "unlinkat" ? pathAt(args[0], args[1]!) : pathAt(undefined, args[0]!);
        const directory = name === "rmdir" || (args[2] ?? "").includes("AT_REMOVEDIR");
        push(directory ? { kind: "rmdir", path: absolute } : { kind: "unlink", path: absolute }, absolute);
        break;
      }
      case "chmod":
      case "fchmod":
      case "fchmodat": {
        const absolute = name === "fchmod" ? fdPath(args[0]!) : name === "fchmodat" ? pathAt(args[0], args[1]!) : pathAt(undefined, args[0]!);
        const modeArg = name === "fchmodat" ? args[2] : args[1];
        if (absolute !== undefined) push({ kind: "chmod", path: absolute, mode: parseInt(modeArg ?? "0", 8) }, absolute);
        break;
      }
      case "fsync":
      case "fdatasync": {
        const absolute = fdPath(args[0]!);
        if (absolute !== undefined) push({ kind: "fsync", path: absolute }, absolute);
        break;
      }
      case "syncfs": {
        const absolute = fdPath(args[0]!);
        // A syncfs of another file system (not the root's) is no barrier for the root.
        if (absolute !== undefined && inRoot(absolute) !== undefined) ops.push({ kind: "syncfs" });
        break;
      }
      case "sync":
        ops.push({ kind: "syncfs" });
        break;
      default: {
        // writev, copy_file_range, sendfile, symlink: not used by any executor today; if one
        // starts to, on the root, the model must learn it rather than miss it.
        const touched = args.map((arg) => fdPath(arg) ?? (arg.startsWith('"') ? pathAt(undefined, arg) : undefined)).filter((path) => path !== undefined && inRoot(path) !== undefined);
        if (touched.length > 0) throw new Error(`strace-ops: ${name} on the recorded root is not modelled: ${raw}`);
      }
    }
  }
  return ops;
}

/**
 * The same recording with each run of back-to-back fsyncs in path order. A barrier step fsyncs
 * its paths many at once (16 in flight), so their order in the trace changes from run to run;
 * any order is one the program allows, and a fixed one makes the crash states, and their count,
 * the same on every run.
 */
export function sortConcurrentFsyncs(ops: readonly TracedOp[]): TracedOp[] {
  const result: TracedOp[] = [];
  for (let index = 0; index < ops.length; ) {
    let end = index;
    while (end < ops.length && ops[end]!.kind === "fsync") end++;
    if (end === index) {
      result.push(ops[index++]!);
      continue;
    }
    const pathOf = (op: TracedOp): string => (op.kind === "fsync" ? op.path : "");
    result.push(...ops.slice(index, end).sort((a, b) => (pathOf(a) < pathOf(b) ? -1 : pathOf(a) > pathOf(b) ? 1 : 0)));
    index = end;
  }
  return result;
}

function relativize(op: TracedOp, paths: string[]): TracedOp {
  switch (op.kind) {
    case "link":
    case "rename":
      return { ...op, from: paths[0]!, to: paths[1]! };
    case "syncfs":
      return op;
    default:
      return { ...op, path: paths[0]! };
  }
}

/** Splits a system call's arguments at the top-level commas (strings are all hex escapes here). */
function splitArgs(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '"' && text[index - 1] !== "\\") quoted = !quoted;
    if (quoted) continue;
    if (char === "{" || char === "[" || char === "<" || char === "(") depth++;
    else if (char === "}" || char === "]" || char === ">" || char === ")") depth--;
    else if (char === "," && depth === 0) {
      args.push(text.slice(start, index).trim());
      start = index + 1;
    }
  }
  if (text.trim() !== "") args.push(text.slice(start).trim());
  return args;
}

/** `3</some/path>` or `AT_FDCWD</dir>` (paths in hex): the path; undefined for other fds. */
function fdPath(arg: string): string | undefined {
  const match = /^[^<]*<((?:\\x[0-9a-f]{2})+)>$/.exec(arg.trim());
  if (match === null) return undefined;
  const path = Buffer.from(match[1]!.replace(/\\x/g, ""), "hex").toString("utf8");
  return path.startsWith("/") && !path.includes(":[") ? path : undefined;
}

function decodeString(arg: string): string {
  return decodeBytes(arg).toString("utf8");
}

/** A -xx string argument ("\x61\x62"; strace cuts very long ones, marked by "..."). */
function decodeBytes(arg: string): Buffer {
  const match = /^"((?:\\x[0-9a-f]{2})*)"(\.\.\.)?$/.exec(arg.trim());
  if (match === null) throw new Error(`strace-ops: not a string argument: ${arg.slice(0, 80)}`);
  if (match[2] !== undefined) throw new Error("strace-ops: a written buffer was cut short; raise -s");
  return Buffer.from(match[1]!.replace(/\\x/g, ""), "hex");
}
