// The host key check OpenSSH users expect, for ssh2's `hostVerifier` (give ssh2 no `hostHash`,
// so that the verifier receives the raw public key blob). It reads an OpenSSH known_hosts file
// (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT") and applies `StrictHostKeyChecking yes`, or
// `accept-new` when acceptNew is set:
//
//   - a matching @revoked line with the presented key         -> ERR_HOST_KEY_REVOKED
//   - a matching line with the presented key (type and blob)  -> ok
//   - matching lines, none with the presented key             -> ERR_HOST_KEY_CHANGED (never accepted)
//   - no matching line                                        -> accept-new appends a line, else ERR_HOST_KEY_UNKNOWN
//
// Certificates are not supported: `@cert-authority` lines are ignored entirely (they neither
// vouch for the presented key nor count as a known key for the host).
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { mkdir, open, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PromoteError } from "../errors.js";

export interface HostKeyCheckInput {
  host: string;
  port: number;
  /** The raw SSH public key blob, as ssh2 passes it to `hostVerifier`. */
  key: Buffer;
  knownHostsPath: string;
  /** OpenSSH's `StrictHostKeyChecking accept-new`: record a host that has no entry yet. */
  acceptNew: boolean;
}

export type HostKeyDecision = { ok: true; added: boolean; fingerprint: string } | { ok: false; error: PromoteError };

/** "SHA256:" and the unpadded base64 SHA-256 of the key blob, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside the blob: "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", ... */
export function keyTypeOf(key: Buffer): string {
  const type = blobType(key);
  if (type === undefined) throw new TypeError("not an SSH public key blob");
  return type;
}

/** ~/.ssh/known_hosts */
export function defaultKnownHostsPath(): string {
  return join(homedir(), ".ssh", "known_hosts");
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise (lowercased, as ssh does). */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 || port === 0 ? name : `[${name}]:${port}`;
}

type Marker = "none" | "revoked" | "cert-authority";

interface Entry {
  line: number;
  marker: Marker;
  type: string;
  blob: Buffer;
}

export async function checkHostKey(input: HostKeyCheckInput): Promise<HostKeyDecision> {
  // Checks of one file run one at a time, so that parallel connections with acceptNew do not
  // both append the same new host.
  return withFileLock(input.knownHostsPath, () => check(input));
}

async function check(input: HostKeyCheckInput): Promise<HostKeyDecision> {
  const { key, knownHostsPath: file } = input;
  const name = knownHostsName(input.host, input.port);
  const fingerprint = fingerprintOf(key);
  const type = blobType(key);
  if (type === undefined) {
    return fail("ERR_HOST_KEY_UNKNOWN", `host key for ${name} is not a valid SSH public key (${fingerprint})`, file);
  }
  const offered = `${type} ${fingerprint}`;

  let text: string;
  try {
    text = (await readFile(file)).toString("utf8");
  } catch (error) {
    if (errnoOf(error) === "ENOENT") text = "";
    else {
      return fail("ERR_CONFIG", `cannot read known_hosts file ${file} (${errnoOf(error) ?? String(error)})`, file, {
        cause: error,
        hint: "Make the file readable, or point the option at another known_hosts file.",
      });
    }
  }

  const entries = parseKnownHosts(text).filter((entry) => entry.marker !== "cert-authority" && entry.matches(name));

  const revoked = entries.find((entry) => entry.marker === "revoked" && entry.blob.equals(key));
  if (revoked !== undefined) {
    return fail(
      "ERR_HOST_KEY_REVOKED",
      `host key for ${name} is REVOKED (${offered}; ${file} line ${revoked.line} marks it @revoked)`,
      file,
    );
  }

  const known = entries.filter((entry) => entry.marker === "none");
  if (known.some((entry) => entry.type === type && entry.blob.equals(key))) {
    return { ok: true, added: false, fingerprint };
  }

  if (known.length > 0) {
    // Prefer reporting a line of the same type: that is the key the server replaced.
    const other = known.find((entry) => entry.type === type) ?? known[0]!;
    const what = other.type === type ? "a different key" : `a different key of another type (${other.type} ${fingerprintOf(other.blob)})`;
    return fail(
      "ERR_HOST_KEY_CHANGED",
      `host key for ${name} has CHANGED (the server offers ${offered}; ${file} line ${other.line} has ${what}): possible man-in-the-middle attack`,
      file,
      {
        hint: `Do not connect until the server's admin confirms ${fingerprint}; then remove the old entry with \`ssh-keygen -R '${name}' -f ${file}\`.`,
      },
    );
  }

  if (!input.acceptNew) {
    return fail("ERR_HOST_KEY_UNKNOWN", `host key for ${name} is unknown (${offered}); not in ${file}`, file);
  }

  try {
    await appendLine(file, `${name} ${type} ${key.toString("base64")}\n`);
  } catch (error) {
    return fail("ERR_IO", `cannot add the host key for ${name} (${offered}) to ${file} (${errnoOf(error) ?? String(error)})`, file, {
      cause: error,
    });
  }
  return { ok: true, added: true, fingerprint };
}

function fail(
  code: PromoteError["code"],
  message: string,
  file: string,
  options: { cause?: unknown; hint?: string } = {},
): HostKeyDecision {
  return { ok: false, error: new PromoteError(code, message, { path: file, ...options }) };
}

/** Appends to the file (creating it 0600 and its directory 0700), first ending it with a newline. */
async function appendLine(file: string, line: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(file, "a+", 0o600);
  try {
    const { size } = await handle.stat();
    let prefix = "";
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = "\n";
    }
    await handle.appendFile(prefix + line);
  } finally {
    await handle.close();
  }
}

// ---- parsing -------------------------------------------------------------------------------

interface ParsedEntry extends Entry {
  matches(name: string): boolean;
}

/** The usable lines of a known_hosts file; comments, blank and malformed lines are skipped. */
function parseKnownHosts(text: string): ParsedEntry[] {
  const entries: ParsedEntry[] = [];
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const entry = parseLine(lines[index]!, index + 1);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

function parseLine(raw: string, line: number): ParsedEntry | undefined {
  const fields = raw.split(/[ \t\r]+/).filter((field) => field !== "");
  if (fields.length === 0 || fields[0]!.startsWith("#")) return undefined;
  let marker: Marker = "none";
  if (fields[0]!.startsWith("@")) {
    // One marker at most, and only these two (as OpenSSH's check_markers).
    if (fields[0] === "@revoked") marker = "revoked";
    else if (fields[0] === "@cert-authority") marker = "cert-authority";
    else return undefined;
    fields.shift();
  }
  // hosts, key type, base64 key, optional comment (which may contain spaces).
  if (fields.length < 3) return undefined;
  const [hosts, type, base64] = fields as [string, string, string];
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) return undefined;
  const blob = Buffer.from(base64, "base64");
  // The type field must name the same type as the blob, as sshkey_read() requires.
  if (blobType(blob) !== type) return undefined;
  const matches = hosts.startsWith("|") ? hashedMatcher(hosts) : patternMatcher(hosts);
  if (matches === undefined) return undefined;
  return { line, marker, type, blob, matches };
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, hostname))`, as written by HashKnownHosts / ssh-keygen -H. */
function hashedMatcher(field: string): ((name: string) => boolean) | undefined {
  const parts = field.split("|");
  if (parts.length !== 4 || parts[0] !== "" || parts[1] !== "1") return undefined;
  const [salt, hash] = [decodeBase64(parts[2]!), decodeBase64(parts[3]!)];
  if (salt === undefined || hash === undefined || salt.length !== 20 || hash.length !== 20) return undefined;
  return (name) => timingSafeEqual(createHmac("sha1", salt).update(name, "utf8").digest(), hash);
}

/**
 * A comma-separated pattern list with `*`, `?` and `!` negation, matched case-insensitively
 * (OpenSSH's match_hostname): the line matches when some positive pattern matches and no
 * negated pattern does.
 */
function patternMatcher(field: string): (name: string) => boolean {
  const patterns = field
    .toLowerCase()
    .split(",")
    .filter((pattern) => pattern !== "")
    .map((pattern) => (pattern.startsWith("!") ? { negated: true, glob: pattern.slice(1) } : { negated: false, glob: pattern }));
  return (name) => {
    const subject = name.toLowerCase();
    let matched = false;
    for (const { negated, glob } of patterns) {
      if (!wildcardMatch(subject, glob)) continue;
      if (negated) return false;
      matched = true;
    }
    return matched;
  };
}

/** `*` matches any run of characters, `?` any one character; everything else is literal. */
function wildcardMatch(subject: string, pattern: string): boolean {
  let s = 0;
  let p = 0;
  let starP = -1;
  let starS = 0;
  while (s < subject.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === subject[s])) {
      s++;
      p++;
    } else if (p < pattern.length && pattern[p] === "*") {
      starP = p++;
      starS = s;
    } else if (starP !== -1) {
      p = starP + 1;
      s = ++starS;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, "base64");
}

/** The type string at the start of an SSH public key blob (RFC 4253 §6.6), if the blob has one. */
function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length >= blob.length) return undefined;
  const type = blob.subarray(4, 4 + length).toString("latin1");
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const locks = new Map<string, Promise<unknown>>();

async function withFileLock<T>(file: string, run: () => Promise<T>): Promise<T> {
  file = resolve(file);
  const previous = locks.get(file) ?? Promise.resolve();
  const result = previous.then(run, run);
  const settled = result.catch(() => undefined);
  locks.set(file, settled);
  try {
    return await result;
  } finally {
    if (locks.get(file) === settled) locks.delete(file);
  }
}
