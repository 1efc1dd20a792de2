// The CLI's exit codes (docs/release-manager.md, "Exit codes"). Scripts depend on them: never renumber.
// 75 is sysexits(3)'s EX_TEMPFAIL: the same command may succeed if run again later.
export const EXIT = {
  ok: 0,
  /** The promotion (or verify, or a recovery) failed: a human needs to look. */
  failed: 1,
  /** Usage or configuration error. */
  usage: 2,
  /** The target is locked by another promotion (no --wait). */
  locked: 3,
  /** The stage breaks a rule of the policy (plan, promote or check refused it): fix the release. */
  refused: 4,
  /** A failure that may pass if retried: the server unreachable or busy, a --wait that ran out. */
  tempfail: 75,
} as const;
