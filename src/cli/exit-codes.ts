// The CLI's exit codes (README, "Exit codes"). Scripts depend on them: never renumber.
export const EXIT = {
  ok: 0,
  /** Validation failed, or the promotion failed. */
  failed: 1,
  /** Usage or configuration error. */
  usage: 2,
  /** The target is locked by another promotion. */
  locked: 3,
} as const;
