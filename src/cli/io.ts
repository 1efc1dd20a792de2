// What the CLI talks to: injected so that tests run the CLI in-process and read its output.

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
  stdout: (text) => writeWhileOpen(process.stdout, text),
  stderr: (text) => writeWhileOpen(process.stderr, text),
  env: process.env,
  isTty: Boolean(process.stdout.isTTY),
  stderrIsTty: Boolean(process.stderr.isTTY),
  stdoutStream: process.stdout,
};

/** Once a stream has failed (see outliveStdioReaders), what is left for it is dropped. */
function writeWhileOpen(stream: NodeJS.WriteStream, text: string): void {
  if (stream.writable) stream.write(text);
}

/**
 * Keeps the process going when stdout or stderr can no longer be written: the reader left
 * (`promote --json | head -c 20`, a consumer that crashed) or the file behind it is on a full
 * disk. Node reports a failed write as an 'error' event on the stream, and one nobody listens to
 * ends the process with a stack trace, in the middle of whatever it was doing: a promotion would
 * stop half-way over a lost report. Instead the command runs to its end and writes nothing more
 * there. A reader that left is the reader's choice, so it changes nothing else, as with tools
 * that SIGPIPE ends quietly; any other failure is one line on stderr and at least exit 1, since
 * the output a script asked for is incomplete. Returns the exit code to use instead of `code`.
 */
export function outliveStdioReaders(): (code: number) => number {
  let lostOutput: string | undefined;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (readerLeft(error) || lostOutput !== undefined) return;
    lostOutput = error.message;
    writeWhileOpen(process.stderr, `maven-promote: could not write to stdout: ${error.message} [ERR_IO]\n  hint: Check where stdout goes: the output is incomplete.\n`);
    // Node reports the failure a tick after the write: the command may have ended already.
    if (process.exitCode === 0) process.exitCode = 1;
  });
  process.stderr.on("error", () => undefined); // nowhere left to say so
  return (code) => (lostOutput !== undefined && code === 0 ? 1 : code);
}

function readerLeft(error: NodeJS.ErrnoException): boolean {
  return error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED";
}

/**
 * Writes long output a piece at a time, each once stdout has taken the one before. Node writes
 * to a pipe without blocking and queues what the reader has not taken yet: the --json report of
 * a promotion of 3,000 artifacts (25 MB, the whole plan) was queued whole, as strings and their
 * bytes, before its first byte left, at the end of the run where the benchmark measures its peak
 * RSS (issue 18, part 4). Stops when the stream fails (its reader left): 'drain' never comes then.
 */
export async function writePieces(io: CliIo, pieces: Iterable<string>): Promise<void> {
  const stream = io.stdoutStream;
  for (const piece of pieces) {
    if (stream === undefined) io.stdout(piece);
    else if (!stream.writable) return;
    else if (!stream.write(piece)) await drainedOrFailed(stream);
  }
}

function drainedOrFailed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const settle = (): void => {
      for (const event of ["drain", "error", "close"]) stream.off(event, settle);
      resolve();
    };
    for (const event of ["drain", "error", "close"]) stream.on(event, settle);
  });
}
