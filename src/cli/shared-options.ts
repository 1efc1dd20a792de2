// Options that several commands share, and turning their values into collaborators
// (signing key, trusted keys). Secrets are read from the environment and never printed.
import { readFile } from "node:fs/promises";
import { Option, type Command } from "commander";
import { PromoteError } from "../errors.js";
import { ALL_ALGORITHMS, type DigestAlgorithm } from "../integrity/digests.js";
import { loadSigningKey, loadTrustedKeys, type Signer, type TrustedKeys } from "../integrity/pgp.js";
import { METADATA_MODES, type MetadataMode } from "../maven/metadata-merge.js";
import type { PlanOptions } from "../api.js";
import { loadPolicy } from "../policy/policy.js";
import { describeConnection, type ConnectionReport } from "../connect/connection-report.js";
import type { CliIo } from "./io.js";
import { addSshOptions, sshSettingsFrom, type SshOptionValues } from "./ssh-options.js";

export interface SharedOptionValues extends SshOptionValues {
  from: string;
  /** Several with `promote --to A --to B` (a group). */
  to: string | string[];
  json?: boolean;
  metadataMode: MetadataMode;
  checksums?: string;
  signKey?: string;
  signPassphraseEnv?: string;
  trustedKeys?: string;
  requireSignatures?: boolean;
  requireMetadataSignatures?: boolean;
  policy?: string;
}

export function addPlanOptions(command: Command): Command {
  return addSshOptions(command)
    .requiredOption("--from <repo>", "staging repository: a path, file:///path or sftp://user@host[:port]/path")
    .requiredOption("--to <repo>", "target repository: a path, file:///path or sftp://user@host[:port]/path (promote: repeat it to promote into several targets as one)", collectTargets)
    .option("--json", "print one JSON object on stdout instead of the report")
    .addOption(
      new Option("--metadata-mode <mode>", "how maven-metadata.xml files merge").choices([...METADATA_MODES]).default("computed"),
    )
    .option("--checksums <list>", "extra checksums to write, e.g. sha256,sha512 (md5 and sha1 always)")
    .option("--sign-key <file>", "armored private key that signs every metadata file the promotion writes")
    .option("--sign-passphrase-env <var>", "environment variable holding the signing key's passphrase")
    .option("--trusted-keys <file>", "armored public keys: every staged .asc must verify against them")
    .option("--require-signatures", "refuse staged artifacts without an .asc")
    .option("--require-metadata-signatures", "refuse to write metadata unsigned (needs --sign-key)")
    .option("--policy <name|file>", "rules the stage must meet besides the usual checks: default, central (Maven Central's requirements) or a JSON policy file", "default");
}

export function parseChecksumList(text: string | undefined): DigestAlgorithm[] {
  if (text === undefined) return [];
  const names = text.split(",").map((name) => name.trim().toLowerCase()).filter((name) => name !== "");
  for (const name of names) {
    if (!(ALL_ALGORITHMS as readonly string[]).includes(name)) {
      throw new PromoteError("ERR_USAGE", `--checksums: unknown algorithm "${name}" (use ${ALL_ALGORITHMS.join(", ")})`, { path: "--checksums" });
    }
  }
  return names as DigestAlgorithm[];
}

export async function loadSignerOption(values: SharedOptionValues, env: NodeJS.ProcessEnv): Promise<Signer | undefined> {
  if (values.signKey === undefined) {
    if (values.signPassphraseEnv !== undefined) {
      throw new PromoteError("ERR_USAGE", "--sign-passphrase-env is given without --sign-key", { path: "--sign-passphrase-env" });
    }
    return undefined;
  }
  let passphrase: string | undefined;
  if (values.signPassphraseEnv !== undefined) {
    passphrase = env[values.signPassphraseEnv];
    if (passphrase === undefined) {
      throw new PromoteError("ERR_CONFIG", `--sign-passphrase-env: the environment variable ${values.signPassphraseEnv} is not set`, { path: "--sign-passphrase-env" });
    }
  }
  return loadSigningKey(await readOptionFile(values.signKey, "--sign-key"), passphrase, values.signKey);
}

export async function loadTrustedKeysOption(values: { trustedKeys?: string | undefined }): Promise<TrustedKeys | undefined> {
  if (values.trustedKeys === undefined) return undefined;
  return loadTrustedKeys(await readOptionFile(values.trustedKeys, "--trusted-keys"), values.trustedKeys);
}

async function readOptionFile(path: string, option: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new PromoteError("ERR_CONFIG", `${option} ${path}: cannot read the file (${code})`, { path, cause: error });
  }
}

/** The library options that `plan` and `promote` share, from the parsed command line. */
/**
 * --to, given once or more: the first stays a plain string (as a config file or the environment
 * gives it), and repeating the flag makes a list (a group promotion). Deliberately not the
 * `(value, previous = [])` parser of other repeatable options: the config file's `to` is one
 * target (project-config.ts reads that parser's shape as a list).
 */
export function collectTargets(value: string, earlier?: string | string[]): string | string[] {
  return earlier === undefined ? value : [...(Array.isArray(earlier) ? earlier : [earlier]), value];
}

/** Every --to given, in order. */
export function targetsOf(to: string | string[]): string[] {
  return Array.isArray(to) ? to : [to];
}

/** The one --to of a command that promotes into one target. */
export function singleTarget(to: string | string[], command: string): string {
  const targets = targetsOf(to);
  if (targets.length > 1) throw new PromoteError("ERR_USAGE", `--to is given ${targets.length} times: ${command} takes one target (promote, resume and rollback take several)`, { path: "--to" });
  return targets[0]!;
}

export async function planOptionsFrom(values: SharedOptionValues, io: CliIo, command = "plan"): Promise<PlanOptions> {
  const options: PlanOptions = {
    from: values.from,
    to: singleTarget(values.to, command),
    metadataMode: values.metadataMode,
    checksums: parseChecksumList(values.checksums),
    requireSignatures: values.requireSignatures ?? false,
    requireMetadataSignatures: values.requireMetadataSignatures ?? false,
    ssh: sshSettingsFrom(values, io.env),
    policy: loadPolicy(values.policy),
  };
  const signer = await loadSignerOption(values, io.env);
  if (signer !== undefined) options.signer = signer;
  const trustedKeys = await loadTrustedKeysOption(values);
  if (trustedKeys !== undefined) options.trustedKeys = trustedKeys;
  const now = io.env.MAVEN_PROMOTE_NOW;
  if (now) {
    const date = new Date(now);
    if (Number.isNaN(date.getTime())) throw new PromoteError("ERR_CONFIG", `MAVEN_PROMOTE_NOW: "${now}" is not a date`, { path: "MAVEN_PROMOTE_NOW" });
    options.now = date;
  }
  return options;
}

/** Where each connection setting of --from and --to came from (a local directory has none). */
export function connectionSources(options: PlanOptions, env: NodeJS.ProcessEnv): Record<string, ConnectionReport> {
  const reports: Record<string, ConnectionReport> = {};
  for (const [key, option] of [["from", "--from"], ["to", "--to"]] as const) {
    const report = describeConnection(options[key], option, options.ssh, env);
    if (report !== undefined) reports[key] = report;
  }
  return reports;
}

/** The secrets a command read (passphrases from the environment, settings.xml passwords), to mask in CI logs. */
export function secretsRead(values: SharedOptionValues | SshOptionValues, options: { ssh?: PlanOptions["ssh"] }, env: NodeJS.ProcessEnv): string[] {
  const fromEnv = [values.identityPassphraseEnv, (values as SharedOptionValues).signPassphraseEnv].map((name) => (name === undefined ? undefined : env[name]));
  const servers = Object.values(options.ssh?.servers ?? {}).flatMap((server) => [server?.password, server?.passphrase]);
  return [...fromEnv, ...servers].filter((secret): secret is string => secret !== undefined && secret !== "");
}
