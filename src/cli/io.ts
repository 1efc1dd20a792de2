// What the CLI talks to: injected so that tests run the CLI in-process and read its output.
import { once } from "node:events";

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal. */
  isTty: boolean;
  /** Whether stderr is a terminal (progress bars there; plain lines otherwise). */
  stderrIsTty?: boolean;
  /** Where a progress bar draws (process.stderr unless a test gives another). */
  stderrStream?: NodeJS.WritableStream;
  /** The stream behind `stdout`, when there is one: long output waits for it to drain. */
  stdoutStream?: NodeJS.WritableStream;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  isTty: Boolean(process.stdout.isTTY),
  stderrIsTty: Boolean(process.stderr.isTTY),
  stdoutStream: process.stdout,
};

/**
 * Writes long output a piece at a time, each once stdout has taken the one before. Node writes
 * to a pipe without blocking and queues what the reader has not taken yet: the --json report of
 * a promotion of 3,000 artifacts (25 MB, the whole plan) was queued whole, as strings and their
 * bytes, before its first byte left, at the end of the run where the benchmark measures its peak
 * RSS (issue 18, part 4).
 */
export async function writePieces(io: CliIo, pieces: Iterable<string>): Promise<void> {
  const stream = io.stdoutStream;
  for (const piece of pieces) {
    if (stream === undefined) io.stdout(piece);
    else if (!stream.write(piece)) await once(stream, "drain");
  }
}
