// Every field the `--json` output of each command can hold, as one table (issue 20, part 3):
// scripts/reference.ts writes it into docs/reference.md, and test/integration/json-fields.test.ts
// runs the real CLI and fails when it prints a field not listed here, or when a field listed
// here is printed by none of its samples. Paths name arrays `[]` (`targets[].to`) and the keys
// of a map by a placeholder (`settings.<option>.source`). The plan's fields are written once and
// composed wherever a plan is printed (plan, promote, a group's dry run, resume).

/** A field: what it means, and where no local test can print it, why (the drift test then does not ask for it). */
export interface JsonField {
  path: string;
  description: string;
  /** When alone it is printed, for a field a test on local directories cannot make (e.g. "an SFTP target"). */
  onlyWhen?: string;
  /**
   * The shared shape it comes from (the plan, a promotion's result, …) and its path there: one
   * function prints the shape wherever it appears, so a field of it seen in one output is seen.
   */
  shape?: { name: string; path: string };
}

type FieldList = Record<string, string | Omit<JsonField, "path">>;

export type JsonOutputName =
  | "plan"
  | "promote"
  | "promote-group"
  | "promote-group-dry-run"
  | "resume"
  | "resume-group"
  | "rollback"
  | "rollback-group"
  | "verify"
  | "check"
  | "status"
  | "cleanup"
  | "unlock"
  | "config"
  | "error";

export interface JsonOutput {
  name: JsonOutputName;
  /** The command that prints it; "" for the error object every command prints. */
  command: string;
  /** When the command prints this shape rather than another. */
  when: string;
  fields: JsonField[];
}

/** Marks every field of a list as part of the shape `name` (a shape inside it keeps its own name). */
function shared(name: string, list: FieldList): FieldList {
  return Object.fromEntries(
    Object.entries(list).map(([path, field]) => {
      const described = typeof field === "string" ? { description: field } : field;
      return [path, { ...described, shape: described.shape ?? { name, path } }];
    }),
  );
}

/** The same fields under a prefix: `under("targets[]", PLAN)` has `targets[].id`, … */
function under(prefix: string, list: FieldList): FieldList {
  return Object.fromEntries(Object.entries(list).map(([path, field]) => [`${prefix}.${path}`, field]));
}

const PROBLEM: FieldList = {
  code: "the error code (see Error codes), e.g. `ERR_CHECKSUM_MISMATCH`, `ERR_POLICY`",
  path: "the file or directory at fault, relative to the repository (\"\" when none)",
  message: "one line naming the file, coordinate or option at fault",
};

const BEFORE_AFTER = (what: string): FieldList => ({
  [what]: `\`<${what}>\` before and after the merge`,
  [`${what}.before`]: `the target's \`<${what}>\` (null: none)`,
  [`${what}.after`]: `\`<${what}>\` as written (null: none)`,
});

/** What `plan` prints, and every plan inside another output (planToJson, src/cli/render-plan.ts). */
const PLAN: FieldList = shared("plan", {
  ok: "true when nothing stands in the way: the promotion can proceed",
  id: "the promotion id: a UTC timestamp and a random suffix, e.g. `20261121T101500Z-7f3a`",
  source: "the staging repository, as given to --from",
  target: "the target repository, as given to --to",
  mode: "how maven-metadata.xml files merge: `computed` | `maven`",
  lastUpdated: "`<lastUpdated>` of every metadata file written (yyyyMMddHHmmss, UTC)",
  errors: "what refuses the promotion (empty when `ok`)",
  ...under("errors[]", PROBLEM),
  "errors[].rule": "the policy rule broken, e.g. `central/signature` (only for `ERR_POLICY`)",
  warnings: "what does not stop the promotion but deserves a look",
  "warnings[].path": "the file it is about",
  "warnings[].message": "one line",
  "warnings[].rule": "the policy rule, for a rule set to `warning` (absent otherwise)",
  metadata: "each maven-metadata.xml the promotion merges",
  "metadata[].path": "its path in the repository",
  "metadata[].kind": "`artifact` | `snapshot` | `group` (a plugin group's prefixes)",
  "metadata[].groupId": "its groupId (null when it has none)",
  "metadata[].artifactId": "its artifactId (null for a plugin group)",
  "metadata[].version": "the SNAPSHOT version (null unless `kind` is `snapshot`)",
  "metadata[].versionsAdded": "versions added to `<versions>`, ascending in Maven order",
  ...under("metadata[]", BEFORE_AFTER("latest")),
  ...under("metadata[]", BEFORE_AFTER("release")),
  "metadata[].backport": "true when a release was added without raising `<release>`",
  "metadata[].pluginsAdded": "plugins added to a plugin group's metadata",
  "metadata[].pluginsAdded[].prefix": "the plugin's goal prefix",
  "metadata[].pluginsAdded[].artifactId": "the plugin's artifactId",
  "metadata[].pluginsAdded[].name": "the plugin's name, where the staged metadata gives one",
  "metadata[].targetExists": "whether the target holds this file now",
  "metadata[].targetSha256": "sha256 of the target's file when planned (null: none); a commit or rollback checks it",
  "metadata[].changed": "false when the merge leaves the target's file as it is (nothing is written)",
  "metadata[].checksums": "checksum files written beside it: `md5`, `sha1`, `sha256`, `sha512`",
  "metadata[].signature": "`sign` (a fresh .asc) | `remove` (the target's stale .asc is removed) | `none`",
  "metadata[].size": "the merged file's size, in bytes",
  "metadata[].digests": "the merged file's digests, by algorithm",
  "metadata[].digests.<algorithm>": "hex digest; `<algorithm>` is `md5`, `sha1`, `sha256` or `sha512`",
  versions: "each version in the stage",
  "versions[].path": "its directory in the repository",
  "versions[].groupId": "groupId",
  "versions[].artifactId": "artifactId",
  "versions[].version": "version",
  "versions[].snapshot": "whether it is a SNAPSHOT",
  "versions[].state": "`new` (a new directory) | `identical` (already on the target, skipped) | `update` (files added to an existing SNAPSHOT)",
  "versions[].files": "how many files it has",
  "versions[].size": "their size in all, in bytes",
  uploads: "every file the promotion writes, under its final name",
  "uploads[].path": "its path in the repository",
  "uploads[].size": "its size, in bytes",
  "uploads[].kind": "`artifact` | `checksum` | `signature` | `metadata`",
  "uploads[].origin": "`staged` (copied from the stage) | `generated` (a checksum made here) | `merged` (metadata and its sidecars)",
  "uploads[].sha256": "sha256 of its bytes, where known when planned",
  "uploads[].replaces": "true when it replaces a file on the target (only in a SNAPSHOT update)",
  removals: "target files the promotion removes (a stale .asc beside changed metadata)",
  skipped: "staged files already on the target, byte for byte: not uploaded",
  "skipped[].path": "its path in the repository",
  "skipped[].reason": "why it is skipped, e.g. `identical on the target`",
  signatures: "signatures checked and made",
  "signatures.verified": "how many staged .asc verified against --trusted-keys",
  "signatures.metadataSigned": "whether the merged metadata is signed (--sign-key)",
  "signatures.signingKey": "the signing key's id (null: no --sign-key)",
});

/** Where each setting came from (settingSources, src/cli/project-config.ts). */
const SETTINGS: FieldList = shared("setting sources", {
  settings: "each setting the command ran with, by option name (secrets shown as `***`)",
  "settings.<option>": "one setting",
  "settings.<option>.source": "where it came from: `cli` | `env` | `config` | `default`",
  "settings.<option>.value": "its value",
});

const SFTP = "--from or --to is sftp:// or http(s)://";

/** Where each connection setting of --from and --to came from (describeConnection, src/connect/connection-report.ts). */
const CONNECTIONS: FieldList = shared("connection report", {
  connections: "each remote --from and --to (`from`, `to`) and where its connection settings came from; `{}` for local directories",
  "connections.<from|to>": { description: "the connection's settings by name (host, port, user, identity, …)", onlyWhen: SFTP },
  "connections.<from|to>.<setting>": { description: "one setting", onlyWhen: SFTP },
  "connections.<from|to>.<setting>.value": { description: "its value (secrets as `***`)", onlyWhen: SFTP },
  "connections.<from|to>.<setting>.source": { description: "`url` | `option` | `settings.xml` | `ssh-config` | `netrc` | `environment` | `default`", onlyWhen: SFTP },
  "connections.<from|to>.<setting>.from": { description: "the file (and line, or `<server>` id) it was read from, where there is one", onlyWhen: SFTP },
});

/** What users download through --public-url (PublicCheckReport, src/promotion/public-check.ts). */
const PUBLIC: FieldList = shared("public URL check", {
  url: "the public URL read",
  ok: "true when every file checked is served as written",
  checked: "how many files were read",
  attempts: "how many times they were read (more than 1 with --public-wait)",
  waitedMs: "how long it waited for the cache, in ms",
  problems: "the files not served as written, at the last attempt",
  "problems[].path": "its path in the repository",
  "problems[].url": "the URL read",
  "problems[].kind": "`metadata` | `checksum` | `signature` | `artifact`",
  "problems[].verdict": "`stale` (the file before) | `checksum-mismatch` (disagrees with the metadata served beside it) | `different` (neither)",
  "problems[].status": "the HTTP status",
  "problems[].headers": "the caching headers of the answer, those present",
  "problems[].headers.<header>": "`age` | `cache-control` | `last-modified` | `etag` | `x-cache`",
  "problems[].message": "one line saying what users get",
  error: "why the URL could not be read at all (then `problems` is empty); absent otherwise",
});

const HOOK_STOP: FieldList = {
  hook: "the hook, e.g. `before-commit`",
  exitCode: "its exit code (null: killed, e.g. past --hook-timeout)",
  reason: "e.g. `exited 3`",
};

/** A promotion's result after its plan (promoteResultToJson, src/cli/render-promote.ts). */
const RESULT: FieldList = shared("promotion result", {
  state: "`committed` | `rolled-back` | `failed` | `stopped` (a hook stopped it) | `planned` (--dry-run, or refused); `uploading` | `uploaded` | `committing` while unfinished",
  completed: "the last phase that ran to its end: `plan` | `stage` | `upload` | `commit` | `verify` | `finish` (null: none)",
  executor: "how the renames ran: `shell` (a script over SSH) | `transport` (fs or SFTP renames)",
  commitRunner: "with the shell executor, what ran the rename list: `perl` | `sh` (null: the transport executor)",
  unpack: "with the shell executor, how the bundle was unpacked: `tar` | `zip` (null: the transport executor)",
  verify: "the read-back after the commit",
  "verify.ok": "true when every changed file reads back as planned",
  "verify.problems": "one line per file that does not",
  metadataWindowMs: "the longest time any metadata file and its checksums were out of step, in ms (null: no commit)",
  metadataWindow: "the metadata window in detail (null: no commit)",
  "metadataWindow.maxMs": "the longest window of any one metadata file, in ms",
  "metadataWindow.totalMs": "from the first metadata rename to the last, in ms",
  "metadataWindow.groups": "how many metadata files were renamed",
  durable: "whether the commit's renames were made durable (fsync) before it was recorded (null: no commit)",
  timingsMs: "how long each phase took, in ms, in the order they ran",
  "timingsMs.<phase>": "`plan` | `stage` | `upload` | `commit` | `verify` | `finish`",
  network: { description: "what the promotion waited on over the network (null for a local target)", onlyWhen: "an SFTP target" },
  "network.requests": { description: "SFTP requests and remote commands sent", onlyWhen: "an SFTP target" },
  "network.roundTrips": { description: "the depth of the longest chain of requests each sent after the answer to the one before", onlyWhen: "an SFTP target" },
  "network.channels": { description: "SSH channels opened on the target's connection", onlyWhen: "an SFTP target" },
  "network.byPhase": { description: "the round trips each phase added to the chain", onlyWhen: "an SFTP target" },
  "network.byPhase.<phase>": { description: "round trips, for each phase that ran to its end", onlyWhen: "an SFTP target" },
  reconnects: "how many times the connection was lost and opened again (the promotion carried on each time)",
  stoppedBy: "the hook that stopped the promotion before a phase (null: none)",
  ...under("stoppedBy", HOOK_STOP),
  hookFailures: "after-phase and on-failure hooks that failed (reported; nothing undone)",
  ...under("hookFailures[]", HOOK_STOP),
  public: "what users download through --public-url after the commit (null: no --public-url)",
  ...under("public", PUBLIC),
});

const RUNNING_ON_SERVER = "the shell executor's work still running on the server";

const LOCK: FieldList = shared("lock", {
  id: "the holder's promotion id (or `cleanup-…`)",
  user: "the user that took it",
  host: "the machine that took it",
  pid: "the holder's process id there",
  pidStart: "the kernel's identity of that process (boot id and start time), where it has one",
  start: "when it was taken (ISO 8601)",
  expiry: "when it counts as stale (ISO 8601)",
  beat: "the heartbeat: a count the holder rewrites every 2 s while it lives (absent until its first beat)",
});

const ROLLBACK: FieldList = shared("rollback result", {
  id: "the promotion id",
  from: "the state it was in before the rollback: `uploading` | `uploaded` | `committing` | `committed` | `failed`",
  restored: "files put back as they were",
  removed: "files and directories the promotion had added, now removed",
});

const OUTPUTS: Array<Omit<JsonOutput, "fields"> & { fields: FieldList }> = [
  { name: "plan", command: "plan", when: "always", fields: { ...PLAN, ...SETTINGS, ...CONNECTIONS } },
  {
    name: "promote",
    command: "promote",
    when: "one --to (with --dry-run too: then `state` is `planned` and no phase ran)",
    fields: { ...PLAN, ...RESULT, ...SETTINGS, ...CONNECTIONS },
  },
  {
    name: "promote-group",
    command: "promote",
    when: "several --to (a group promotion)",
    fields: {
      id: "the group's promotion id (every target's journal has it)",
      ok: "true when every target shows the new release",
      state: "`committed` | `refused` (a plan refused; nothing written) | `withdrawn` (stopped before any commit) | `rolled-back` | `partial` (--on-partial keep)",
      onPartial: "`rollback` | `keep`, as given to --on-partial",
      targets: "one per --to, in the group's order (sorted)",
      "targets[].to": "the target, as given to --to",
      "targets[].state": "`committed` | `rolled-back` | `withdrawn` | `untouched` (nothing written) | `failed` (cut mid-way: resume or roll back)",
      "targets[].versions": "`groupId:artifactId:version` of each version it adds",
      "targets[].metadataWindowMs": "its metadata window, in ms (null unless committed)",
      "targets[].errors": "its plan's problems, when its plan refused",
      ...under("targets[].errors[]", PROBLEM),
      "targets[].errors[].rule": "the policy rule broken (only for `ERR_POLICY`)",
      "targets[].error": "what went wrong on this target (null: nothing)",
      "targets[].public": "what users download through its --public-url (null: none given)",
      ...under("targets[].public", PUBLIC),
      error: "what stopped the group (null: nothing)",
      "error.code": "its error code",
      "error.message": "one line",
    },
  },
  {
    name: "promote-group-dry-run",
    command: "promote",
    when: "several --to with --dry-run",
    fields: {
      dryRun: "always true",
      ok: "true when every target's plan can proceed",
      targets: "each target's plan, sorted by --to",
      "targets[].to": "the target, as given to --to",
      ...under("targets[]", PLAN),
    },
  },
  { name: "resume", command: "resume", when: "one --to", fields: { ...PLAN, ...RESULT } },
  {
    name: "resume-group",
    command: "resume",
    when: "several --to (a group promotion)",
    fields: { ok: "always true (a failure is an error instead)", id: "the group's promotion id", targets: "one per --to", "targets[].to": "the target", ...under("targets[]", { ...PLAN, ...RESULT }) },
  },
  { name: "rollback", command: "rollback", when: "one --to", fields: { ok: "always true (a failure is an error instead)", ...ROLLBACK } },
  {
    name: "rollback-group",
    command: "rollback",
    when: "several --to (a group promotion)",
    fields: {
      ok: "always true (a failure is an error instead)",
      id: "the group's promotion id",
      targets: "one per --to",
      "targets[].to": "the target",
      ...under("targets[]", ROLLBACK),
      "targets[].id": "the promotion id (absent for a target the group never reached: `from` is then null)",
    },
  },
  {
    name: "verify",
    command: "verify",
    when: "always",
    fields: {
      ok: "true when every metadata file agrees with its checksums, signature and listed versions",
      metadataFiles: "how many maven-metadata.xml files were checked",
      versionsChecked: "how many listed versions were checked",
      problems: "what is wrong",
      "problems[].path": "the file at fault",
      "problems[].message": "one line",
      public: "the metadata as users download it through --public-url (absent without it)",
      ...under("public", PUBLIC),
    },
  },
  {
    name: "check",
    command: "check",
    when: "always",
    fields: {
      ok: "true when the stage meets the policy",
      source: "the stage, as given to --from",
      policy: "the policy's name (`default`, `central` or the file)",
      files: "how many staged files were checked",
      errors: "every problem, sorted by path",
      "errors[].rule": "the policy rule broken, or the error code where no rule applies",
      ...under("errors[]", PROBLEM),
      warnings: "what a rule set to `warning` found",
      "warnings[].rule": "the policy rule (null: none)",
      "warnings[].path": "the file it is about",
      "warnings[].message": "one line",
    },
  },
  {
    name: "status",
    command: "status",
    when: "always",
    fields: {
      lock: "the target's lock (null: free)",
      ...under("lock", LOCK),
      "lock.expired": "whether it is past its expiry",
      "lock.alive": "whether the holder's process runs (null: taken on another machine, where recovery watches the heartbeat)",
      promotions: "the promotions on record on the target",
      "promotions[].id": "the promotion id",
      "promotions[].state": "`uploading` | `uploaded` | `committing` | `committed` | `rolled-back` | `failed`",
      "promotions[].createdAt": "when it started (ISO 8601)",
      "promotions[].updatedAt": "when its journal last changed (ISO 8601)",
      "promotions[].user": "who ran it",
      "promotions[].host": "where it ran",
      "promotions[].source": "its --from",
      "promotions[].executor": "`shell` | `transport`",
      "promotions[].durable": "whether its commit was made durable (absent before its commit)",
      "promotions[].error": "what made it fail (absent: nothing)",
      "promotions[].stoppedBy": "the hook that stopped it (absent: none)",
      ...under("promotions[].stoppedBy", HOOK_STOP),
      "promotions[].group": "the group promotion it is one of (absent: none)",
      "promotions[].group.members": "every target of the group, as given to --to",
      "promotions[].remote": {
        description: "its process still running on the server (its unzip or rename script), null when none; absent when not asked",
        onlyWhen: "an unfinished promotion by the shell executor (an SFTP target with a shell)",
      },
      "promotions[].remote.pid": { description: "the process id on the server", onlyWhen: RUNNING_ON_SERVER },
      "promotions[].remote.host": { description: "the server's `hostname`", onlyWhen: RUNNING_ON_SERVER },
      "promotions[].remote.since": { description: "when it started (the server's clock, UTC)", onlyWhen: RUNNING_ON_SERVER },
      "promotions[].remote.what": { description: "what it does, e.g. `unpacking the bundle`", onlyWhen: RUNNING_ON_SERVER },
      "promotions[].versions": "`groupId:artifactId:version` of every version it adds",
      unreadable: "directories under .maven-promote/ without a readable journal",
      sync: "how a commit makes its renames durable: `sync -f` (shell executor) | `fsync` (local) | `fsync@openssh.com` (SFTP) | null (no fsync offered)",
    },
  },
  {
    name: "cleanup",
    command: "cleanup",
    when: "always",
    fields: {
      actions: "what was removed (with --dry-run: would be)",
      "actions[].path": "its path in the repository",
      "actions[].what": "`rip item` | `bundle` | `promotion record` | `orphan rip item` | `lock heartbeat leftover`",
      "actions[].id": "the promotion it belonged to (absent: no journal names it)",
      kept: "promotions left alone",
      "kept[].id": "the promotion id",
      "kept[].reason": "why, e.g. unfinished: resume or roll it back",
      dryRun: "whether this was --dry-run",
    },
  },
  {
    name: "unlock",
    command: "unlock",
    when: "always",
    fields: { ok: "always true", broken: "the lock broken (null: the target was not locked)", ...under("broken", LOCK) },
  },
  {
    name: "config",
    command: "config",
    when: "always",
    fields: { command: "the command whose settings these are (--command)", configFile: "the project config file read (null: none)", ...SETTINGS },
  },
  {
    name: "error",
    command: "",
    when: "any command with --json that ends with an error (a usage error, an unreachable repository, a lock held, …) rather than a result",
    fields: { ok: "always false", errors: "the error (one)", ...under("errors[]", PROBLEM), "errors[].hint": "what to do about it (the hint line on stderr)" },
  },
];

export const JSON_OUTPUTS: JsonOutput[] = OUTPUTS.map(({ fields, ...output }) => ({
  ...output,
  fields: Object.entries(fields).map(([path, field]) => (typeof field === "string" ? { path, description: field } : { path, ...field })),
}));
