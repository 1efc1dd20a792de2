// ~/.ssh/config as OpenSSH reads it (ssh_config(5)), for the keywords maven-promote uses: which
// Host and Match blocks apply to a host, first value wins (IdentityFile accumulates), Include
// with globs relative to ~/.ssh, and the %-tokens and ~ of file names. OpenSSH itself is the
// oracle: test/integration/ssh-config.test.ts compares what we resolve with `ssh -G`.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { isAbsolute, join } from "node:path";
import { PromoteError } from "../errors.js";

/** What a host resolves to; undefined where the config says nothing (OpenSSH's default applies). */
export interface ResolvedSshConfig {
  hostname: string;
  port: number;
  user: string;
  /** With ~ and tokens expanded, in the order given. */
  identityFiles: string[];
  /** As written (what `ssh -G` prints). */
  identityFilesAsWritten: string[];
  identitiesOnly?: boolean;
  identityAgent?: string;
  userKnownHostsFiles?: string[];
  strictHostKeyChecking?: "yes" | "no" | "accept-new" | "ask";
  connectTimeoutSeconds?: number;
  serverAliveIntervalSeconds?: number;
  serverAliveCountMax?: number;
  proxyJump?: string;
  /** Where each keyword that gave a value was written, "file:line" (for `where from` reports). */
  origins: Record<string, string>;
}

export interface SshConfigQuery {
  /** The host as written (the alias). */
  host: string;
  /** A user or port written with the host beat the config, as on ssh's command line. */
  user?: string;
  port?: number;
}

const KNOWN = new Set([
  "hostname", "port", "user", "identityfile", "identitiesonly", "identityagent", "userknownhostsfile",
  "stricthostkeychecking", "connecttimeout", "serveraliveinterval", "serveralivecountmax", "proxyjump",
]);
const MAX_INCLUDE_DEPTH = 16; // OpenSSH's READCONF_MAX_DEPTH

interface Line {
  keyword: string;
  args: string[];
  file: string;
  number: number;
}

/** Resolves `query.host` through the config file at `path` (a missing file is an empty config). */
export function resolveSshConfig(path: string, query: SshConfigQuery): ResolvedSshConfig {
  const values = new Map<string, string[]>();
  const identityFiles: string[] = [];
  const localUser = userInfo().username;
  const state = { values, origins: new Map<string, string>(), identityFiles, query, localUser };
  readConfigFile(path, state, 0);
  return finish(state);
}

interface State {
  values: Map<string, string[]>;
  origins: Map<string, string>;
  identityFiles: string[];
  query: SshConfigQuery;
  localUser: string;
}

function readConfigFile(path: string, state: State, depth: number): void {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    // No config file is an empty one; an Include naming no file is skipped, as OpenSSH does.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new PromoteError("ERR_CONFIG", `${path}: cannot read the ssh config (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { path });
  }
  let active = true; // lines before the first Host/Match apply to every host
  for (const line of tokenize(text, path)) {
    if (line.keyword === "host") {
      active = hostMatches(line.args, state.query.host);
    } else if (line.keyword === "match") {
      active = matchApplies(line, state);
    } else if (line.keyword === "include") {
      if (!active) continue;
      if (depth >= MAX_INCLUDE_DEPTH) throw new PromoteError("ERR_CONFIG", `${line.file}:${line.number}: Include nested too deeply (a loop?)`, { path: line.file });
      for (const pattern of line.args) for (const file of expandInclude(pattern)) readConfigFile(file, state, depth + 1);
    } else if (active && KNOWN.has(line.keyword)) {
      if (line.args.length === 0) throw new PromoteError("ERR_CONFIG", `${line.file}:${line.number}: ${line.keyword} needs a value`, { path: line.file });
      if (line.keyword === "identityfile") {
        state.identityFiles.push(line.args[0]!);
        if (!state.origins.has("identityfile")) state.origins.set("identityfile", `${line.file}:${line.number}`);
      } else if (!state.values.has(line.keyword)) {
        checkValue(line);
        state.values.set(line.keyword, line.args);
        state.origins.set(line.keyword, `${line.file}:${line.number}`);
      }
    }
  }
}

/** Splits lines into keyword and arguments: `Key value`, `Key=value`, double quotes, # comments. */
function tokenize(text: string, file: string): Line[] {
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const match = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+|$)(.*)$/.exec(trimmed);
    if (match === null) throw new PromoteError("ERR_CONFIG", `${file}:${index + 1}: cannot read this line of the ssh config`, { path: file });
    const args: string[] = [];
    const rest = match[2]!;
    const argument = /"([^"]*)"|(\S+)/g;
    for (let found = argument.exec(rest); found !== null; found = argument.exec(rest)) {
      if (found[2]?.startsWith("#")) break; // a comment after the arguments
      args.push(found[1] ?? found[2]!);
    }
    if ((rest.match(/"/g)?.length ?? 0) % 2 === 1) throw new PromoteError("ERR_CONFIG", `${file}:${index + 1}: unbalanced quotes`, { path: file });
    lines.push({ keyword: match[1]!.toLowerCase(), args, file, number: index + 1 });
  });
  return lines;
}

function checkValue(line: Line): void {
  const value = line.args[0]!;
  const bad = (expected: string): never => {
    throw new PromoteError("ERR_CONFIG", `${line.file}:${line.number}: ${line.keyword} ${value}: expected ${expected}`, { path: line.file });
  };
  switch (line.keyword) {
    case "port":
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) bad("a port number");
      break;
    case "connecttimeout":
    case "serveraliveinterval":
      if (!/^\d+$/.test(value) && value !== "none") bad("a number of seconds");
      break;
    case "serveralivecountmax":
      if (!/^\d+$/.test(value)) bad("a number");
      break;
    case "identitiesonly":
      if (!/^(yes|no|true|false)$/i.test(value)) bad("yes or no");
      break;
    case "stricthostkeychecking":
      if (!/^(yes|no|true|false|ask|accept-new|off)$/i.test(value)) bad("yes, accept-new, ask or no");
      break;
  }
}

/**
 * `Host` patterns: any positive match and no negated one (whitespace-separated, * and ?),
 * against the host as written, case and all (readconf.c uses match_pattern here; `ssh -G` agrees).
 */
function hostMatches(patterns: readonly string[], host: string): boolean {
  return patternListMatches(patterns, host, false);
}

function patternListMatches(patterns: readonly string[], subject: string, ignoreCase: boolean): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith("!")) {
      if (globMatches(pattern.slice(1), subject, ignoreCase)) return false;
    } else if (globMatches(pattern, subject, ignoreCase)) matched = true;
  }
  return matched;
}

function globMatches(pattern: string, subject: string, ignoreCase: boolean): boolean {
  const source = [...pattern].map((char) => (char === "*" ? ".*" : char === "?" ? "." : char.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp(`^${source}$`, ignoreCase ? "i" : "").test(subject);
}

/** `Match` with the criteria that need no command run: all, host, originalhost, user, localuser (each may be negated). */
function matchApplies(line: Line, state: State): boolean {
  const args = [...line.args];
  if (args.length === 0) throw new PromoteError("ERR_CONFIG", `${line.file}:${line.number}: Match needs a criterion`, { path: line.file });
  let applies = true;
  while (args.length > 0) {
    let criterion = args.shift()!.toLowerCase();
    const negate = criterion.startsWith("!");
    if (negate) criterion = criterion.slice(1);
    let result: boolean;
    if (criterion === "all") result = true;
    else if (criterion === "host" || criterion === "originalhost" || criterion === "user" || criterion === "localuser") {
      const list = args.shift();
      if (list === undefined) throw new PromoteError("ERR_CONFIG", `${line.file}:${line.number}: Match ${criterion} needs a pattern list`, { path: line.file });
      // Host names compare without case (match_hostname), user names with it.
      result = patternListMatches(list.split(","), subjectOf(criterion, state), criterion.endsWith("host"));
    } else {
      throw new PromoteError("ERR_CONFIG", `${line.file}:${line.number}: Match ${criterion} is not supported by maven-promote (all, host, originalhost, user and localuser are)`, { path: line.file });
    }
    if (negate) result = !result;
    applies &&= result;
  }
  return applies;
}

/** What OpenSSH matches each criterion against at this point of the file (readconf.c, match_cfg_line). */
function subjectOf(criterion: string, state: State): string {
  switch (criterion) {
    case "host": {
      const hostname = state.values.get("hostname")?.[0];
      return hostname === undefined ? state.query.host : expandHostname(hostname, state.query.host);
    }
    case "originalhost":
      return state.query.host;
    case "user":
      return state.query.user ?? state.values.get("user")?.[0] ?? state.localUser;
    default:
      return state.localUser;
  }
}

function expandHostname(value: string, host: string): string {
  return value.replace(/%([%h])/g, (_, token: string) => (token === "%" ? "%" : host));
}

/** Include: globs, relative to ~/.ssh; files in the order the glob sorts them. */
function expandInclude(pattern: string): string[] {
  const expanded = pattern.startsWith("~/") ? join(homedir(), pattern.slice(2)) : isAbsolute(pattern) ? pattern : join(homedir(), ".ssh", pattern);
  if (!/[*?[]/.test(expanded)) return [expanded];
  return globFiles(expanded);
}

/** A small glob(3): * ? and [...] in the last components; what exists, sorted. */
function globFiles(pattern: string): string[] {
  const parts = pattern.split("/");
  let paths = [parts[0] === "" ? "/" : parts[0]!];
  for (const part of parts.slice(1)) {
    if (part === "") continue;
    const next: string[] = [];
    for (const base of paths) {
      if (!/[*?[]/.test(part)) {
        next.push(join(base, part));
        continue;
      }
      const regex = new RegExp(`^${[...part].map((char) => (char === "*" ? "[^/]*" : char === "?" ? "[^/]" : char === "[" || char === "]" ? char : char.replace(/[.+^${}()|\\]/g, "\\$&"))).join("")}$`);
      let names: string[] = [];
      try {
        if (statSync(base).isDirectory()) names = readdirSync(base);
      } catch {
        names = [];
      }
      for (const name of names.sort()) if (!name.startsWith(".") && regex.test(name)) next.push(join(base, name));
    }
    paths = next;
  }
  return paths;
}

function finish(state: State): ResolvedSshConfig {
  const first = (keyword: string): string | undefined => state.values.get(keyword)?.[0];
  const host = state.query.host;
  const hostname = expandHostname(first("hostname") ?? host, host).toLowerCase(); // as ssh.c does before connecting
  const port = state.query.port ?? Number(first("port") ?? 22);
  const user = state.query.user ?? first("user") ?? state.localUser;
  const tokens = { host: hostname, port, user, localUser: state.localUser };
  const resolved: ResolvedSshConfig = {
    hostname,
    port,
    user,
    identityFiles: state.identityFiles.map((file) => expandPath(file, tokens)),
    identityFilesAsWritten: [...state.identityFiles],
    origins: Object.fromEntries(state.origins),
  };
  const yes = (value: string | undefined): boolean | undefined => (value === undefined ? undefined : /^(yes|true)$/i.test(value));
  const only = yes(first("identitiesonly"));
  if (only !== undefined) resolved.identitiesOnly = only;
  const agent = first("identityagent");
  if (agent !== undefined) resolved.identityAgent = agent === "none" || agent === "SSH_AUTH_SOCK" ? agent : expandPath(agent, tokens);
  const knownHosts = state.values.get("userknownhostsfile");
  if (knownHosts !== undefined) resolved.userKnownHostsFiles = knownHosts.map((file) => expandPath(file, tokens));
  const strict = first("stricthostkeychecking")?.toLowerCase();
  if (strict !== undefined) resolved.strictHostKeyChecking = strict === "true" ? "yes" : strict === "false" || strict === "off" ? "no" : (strict as ResolvedSshConfig["strictHostKeyChecking"]);
  const timeout = first("connecttimeout");
  if (timeout !== undefined && timeout !== "none") resolved.connectTimeoutSeconds = Number(timeout);
  const alive = first("serveraliveinterval");
  if (alive !== undefined && alive !== "none") resolved.serverAliveIntervalSeconds = Number(alive);
  const aliveCount = first("serveralivecountmax");
  if (aliveCount !== undefined) resolved.serverAliveCountMax = Number(aliveCount);
  const jump = first("proxyjump");
  if (jump !== undefined && jump !== "none") resolved.proxyJump = jump;
  return resolved;
}

/** ~ and the tokens %d %h %p %r %u %% (ssh_config(5), TOKENS) in a file name. */
function expandPath(value: string, tokens: { host: string; port: number; user: string; localUser: string }): string {
  const withHome = value === "~" ? homedir() : value.startsWith("~/") ? join(homedir(), value.slice(2)) : value;
  return withHome.replace(/%(.)/g, (whole, token: string) => {
    switch (token) {
      case "%":
        return "%";
      case "d":
        return homedir();
      case "h":
        return tokens.host;
      case "p":
        return String(tokens.port);
      case "r":
        return tokens.user;
      case "u":
        return tokens.localUser;
      default:
        throw new PromoteError("ERR_CONFIG", `ssh config: the token ${whole} in ${JSON.stringify(value)} is not supported (%d %h %p %r %u %% are)`, { path: "ssh config" });
    }
  });
}

/** The config file OpenSSH reads for this user. */
export function defaultSshConfigPath(): string {
  return join(homedir(), ".ssh", "config");
}
