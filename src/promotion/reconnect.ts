// A promotion that loses its connection carries on by itself (issue 17): the step that was cut
// is run again on a new connection, in its idempotent form (the upload sends what is not there
// yet, the commit skips the renames already made), as often as --retries allows. Past that, the
// connection error stands (exit 75) and the journal on the target lets `resume` finish the job.
import { PromoteError } from "../errors.js";
import type { Transport } from "../transport/transport.js";

/** Opens the target again; `attempt` counts from 1. The caller closes the old connection. */
export type Reopen = (attempt: number) => Promise<Transport>;

export interface LinkEvents {
  onLost(phase: string, attempt: number, of: number, reason: string): void;
}

export interface ReconnectingLink {
  /** The target as connected now. */
  readonly target: Transport;
  /** How many times the connection was opened again. */
  readonly reconnects: number;
  /**
   * Runs `work`; if the connection is lost meanwhile, opens it again, runs `prepare` (taking
   * the lock back, waiting for the promotion's own server work to end), then `again` (or
   * `work`), as often as allowed.
   */
  run<T>(phase: string, work: (target: Transport) => Promise<T>, again?: (target: Transport) => Promise<T>): Promise<T>;
  /** What must hold on a new connection before any step goes on (set once the lock is taken). */
  prepare?: (target: Transport) => Promise<void>;
}

export function isConnectionLost(error: unknown): error is PromoteError {
  return error instanceof PromoteError && error.code === "ERR_CONNECTION_LOST";
}

export function reconnectingLink(initial: Transport, options: { reopen?: Reopen; retries: number; events?: LinkEvents }): ReconnectingLink {
  let target = initial;
  let reconnects = 0;
  const link: ReconnectingLink = {
    get target() {
      return target;
    },
    get reconnects() {
      return reconnects;
    },
    async run(phase, work, again = work) {
      let lost: PromoteError | undefined;
      for (;;) {
        try {
          if (lost === undefined) return await work(target);
          // A connection that drops again while being opened or prepared counts as another loss.
          target = await reopenOrKeepError(options.reopen!, reconnects, lost);
          await link.prepare?.(target);
          return await again(target);
        } catch (error) {
          if (!isConnectionLost(error) || options.reopen === undefined || reconnects >= options.retries) throw error;
          reconnects++;
          lost = error;
          options.events?.onLost(phase, reconnects, options.retries, error.message);
        }
      }
    },
  };
  return link;
}

/** A reconnection that fails for a reason that may pass is reported as the lost connection it follows. */
async function reopenOrKeepError(reopen: Reopen, attempt: number, lost: PromoteError): Promise<Transport> {
  try {
    return await reopen(attempt);
  } catch (error) {
    if (error instanceof PromoteError && error.code === "ERR_UNAVAILABLE") {
      throw new PromoteError("ERR_CONNECTION_LOST", `${lost.message}; connecting again failed: ${error.message}`, { cause: error, ...(lost.path === undefined ? {} : { path: lost.path }) });
    }
    throw error;
  }
}
