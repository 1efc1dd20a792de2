// One error class, one table of codes. Every expected failure in maven-promote is a
// PromoteError with a code from ERROR_TABLE, a one-line message naming the file, coordinate
// or option at fault, and a hint saying what to do (semantic-release's errors.js is the model).

export const ERROR_TABLE = {
  ERR_USAGE: { exit: 2, hint: "Run the command with --help to see its options." },
  ERR_CONFIG: { exit: 2, hint: "Check the option's value." },
  ERR_REPOSITORY_NOT_FOUND: { exit: 2, hint: "Check the --from/--to location." },
  ERR_METADATA_PARSE: { exit: 4, hint: "Fix or remove the file, then run again." },
  ERR_METADATA_MISMATCH: { exit: 4, hint: "The staged and target metadata must describe the same coordinates." },
  ERR_METADATA_MISSING: { exit: 4, hint: "Stage the release with `mvn deploy`, which writes maven-metadata.xml." },
  ERR_PLUGIN_PREFIX_CONFLICT: { exit: 4, hint: "A plugin prefix may map to one artifactId only." },
  ERR_UNSAFE_PATH: { exit: 4, hint: "Rename or remove the file from the staging repository." },
  ERR_STRAY_FILE: { exit: 4, hint: "Only version directories and maven-metadata.xml files can be promoted." },
  ERR_CHECKSUM_MISMATCH: { exit: 4, hint: "Stage the file again: its bytes do not match its checksum." },
  ERR_CHECKSUM_FORMAT: { exit: 4, hint: "A checksum file holds a hex digest, optionally followed by the file name." },
  ERR_SIGNATURE_INVALID: { exit: 4, hint: "Re-sign the file, or check --trusted-keys." },
  ERR_SIGNATURE_MISSING: { exit: 4, hint: "Sign every artifact (maven-gpg-plugin), or drop --require-signatures." },
  ERR_METADATA_SIGNATURE_REQUIRED: { exit: 4, hint: "Give --sign-key so that changed metadata is re-signed." },
  ERR_POM_MISMATCH: { exit: 4, hint: "The POM's groupId/artifactId/version must match its path." },
  ERR_POM_MISSING: { exit: 4, hint: "Every version directory needs its POM." },
  ERR_POM_PARSE: { exit: 4, hint: "Fix the POM, then stage again." },
  ERR_RELEASE_EXISTS: { exit: 4, hint: "Released versions are immutable: release a new version instead." },
  ERR_VERSION_MISSING: { exit: 4, hint: "Stage the version's files, or remove it from the staged metadata." },
  ERR_POLICY: { exit: 4, hint: "Fix the release to meet the policy (--policy), or set the rule to warning or off in a policy file." },
  ERR_EMPTY_STAGING: { exit: 4, hint: "Check --from: there is nothing to promote." },
  ERR_KEY: { exit: 2, hint: "Check the key file and its passphrase variable." },
  ERR_IO: { exit: 1, hint: "Check the path and its permissions." },
  // 1, not 75: a full disk does not empty itself, and trying again at once only fills it again.
  ERR_NO_SPACE: {
    exit: 1,
    hint: "The target's disk is full (or its inodes or the user's quota): free space there (`df -h`, `df -i`) or make it larger, then run the promotion again.",
  },
  ERR_HOST_KEY_UNKNOWN: {
    exit: 1,
    hint: "Check the fingerprint with the server's admin, then add it to known_hosts or run once with --accept-new-host-key.",
  },
  ERR_HOST_KEY_CHANGED: {
    exit: 1,
    hint: "Do not connect until the server's admin confirms the new fingerprint; then remove the old entry with `ssh-keygen -R <host> -f <known_hosts>`.",
  },
  ERR_HOST_KEY_REVOKED: { exit: 1, hint: "The server offers a key marked @revoked in known_hosts: ask its admin to replace the key." },
  ERR_TARGET_EXISTS: { exit: 1, hint: "Something else wrote this name on the target; inspect it before running again." },
  ERR_COMMIT_FAILED: { exit: 1, hint: "The steps done are in .maven-promote/<id>/steps.log; every step is idempotent, so the commit can be run again." },
  ERR_VERIFY_FAILED: { exit: 1, hint: "The target is not consistent; see the listed files." },
  ERR_REMOTE_COMMAND: { exit: 1, hint: "The server needs sh, unzip, mv and ln (see docs/configuration.md, 'What the server needs')." },
  ERR_HTTP: { exit: 1, hint: "Check the URL, and the credentials (--from-server-id) for a 401 or 403." },
  ERR_SSH_CONNECT: { exit: 1, hint: "Check the host, the port and that the server runs sshd." },
  ERR_CONNECTION_LOST: {
    exit: 75,
    hint: "The link dropped or stalled; nothing half-made is visible. Run the same command again (or `maven-promote resume ID` for a promotion on record).",
  },
  ERR_UNAVAILABLE: { exit: 75, hint: "It may work if tried again later (--retries N tries again by itself)." },
  ERR_WAIT_EXPIRED: { exit: 75, hint: "It was still busy when --wait ran out: try again later, or wait longer." },
  ERR_SSH_AUTH: { exit: 2, hint: "Check --identity, its passphrase variable, or ssh-agent (SSH_AUTH_SOCK)." },
  ERR_PERMISSION: { exit: 1, hint: "The user needs write access to the repository directory." },
  ERR_STALE_RIP: { exit: 1, hint: "An earlier promotion left .rip items behind; resume, roll back, or clean it up first." },
  ERR_LOCK_HELD: { exit: 3, hint: "Another promotion holds the target." },
  ERR_PROMOTION_BUSY: { exit: 3, hint: "Wait for it to end (--wait 10m), or stop it (--stop)." },
  ERR_LOCK_LOST: { exit: 1, hint: "Another process took over the lock; see `maven-promote status`." },
  ERR_TARGET_CHANGED: { exit: 1, hint: "Someone changed the target outside maven-promote's lock; plan again." },
  ERR_PROMOTION_NOT_FOUND: { exit: 2, hint: "`maven-promote status --to ...` lists the promotions on record." },
  ERR_ROLLBACK_CONFLICT: { exit: 1, hint: "A later promotion changed the same metadata; roll that one back first." },
  ERR_RESUME_SOURCE: { exit: 2, hint: "Pass --from with the staging repository the promotion was made from." },
  ERR_RECOVERY_REFUSED: { exit: 1, hint: "See `maven-promote status` for the promotion's state." },
  ERR_HOOK_STOPPED: { exit: 1, hint: "A before-* hook refused the promotion; see its output above." },
  ERR_HOOK_FAILED: { exit: 1, hint: "The promotion stands; run what the hook should have done by hand." },
  ERR_PUBLIC_STALE: { exit: 75, hint: "A cache or CDN in front still serves the old files: wait for it (--public-wait 10m) or purge it." },
  ERR_PUBLIC_CHECKSUM_MISMATCH: { exit: 75, hint: "Purge the cached checksum files at the public URL (or wait for them to expire): builds with checksumPolicy=fail break meanwhile." },
  ERR_PUBLIC_DIFFERENT: { exit: 1, hint: "Check that --public-url serves this target's directory." },
  ERR_PUBLIC_UNREADABLE: { exit: 75, hint: "Check --public-url; the promotion itself is live." },
  ERR_GROUP_ROLLED_BACK: { exit: 1, hint: "Every target shows the release before the promotion again: fix the cause, then promote the group again." },
  ERR_GROUP_PARTIAL: { exit: 1, hint: "Not every target shows the same release: finish with `resume ID` or undo with `rollback ID`, with the same --to list." },
  ERR_INTERNAL: { exit: 1, hint: "This is a bug in maven-promote; please report it with the stack trace." },
} as const satisfies Record<string, { exit: number; hint: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export class PromoteError extends Error {
  readonly code: ErrorCode;
  /** Repository-relative path, option name or file the error is about, when there is one. */
  readonly path: string | undefined;
  readonly hint: string;

  constructor(code: ErrorCode, message: string, options: { path?: string; cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PromoteError";
    this.code = code;
    this.path = options.path;
    this.hint = options.hint ?? ERROR_TABLE[code].hint;
  }

  get exitCode(): number {
    return ERROR_TABLE[this.code].exit;
  }
}

/** A problem found while validating: a value, collected and reported together. */
export interface Problem {
  code: ErrorCode;
  path: string;
  message: string;
  /** The policy rule broken (ERR_POLICY), e.g. "central/signature". */
  rule?: string;
}

/** How a problem is tagged where people read it: its policy rule, else its error code. */
export function problemTag(problem: Problem): string {
  return problem.rule ?? problem.code;
}

export function problemOf(error: PromoteError): Problem {
  return { code: error.code, path: error.path ?? "", message: error.message };
}

export function isPromoteError(value: unknown): value is PromoteError {
  return value instanceof PromoteError;
}
