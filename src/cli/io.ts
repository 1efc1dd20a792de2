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
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  isTty: Boolean(process.stdout.isTTY),
  stderrIsTty: Boolean(process.stderr.isTTY),
};
