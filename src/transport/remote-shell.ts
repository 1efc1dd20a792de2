// One `sh` kept open on the server for every command a promotion runs there, so that a promotion
// opens one channel for commands (beside the SFTP one) and pays no login shell per command.
// Commands run one after another, each in a subshell (an `exit` or a syntax error ends only it),
// and may be sent before the answers to earlier ones have come (the shell reads them in order);
// their output goes to two files on the server and comes back framed by its length, so binary
// output (a tar stream) passes unharmed:
//   MAVEN-PROMOTE-<nonce> CODE STDOUT-BYTES STDERR-BYTES\n<stdout><stderr>
// The fenced commands (unzip, the rename script) run here too. Their watchdog cannot read the
// channel's stdin for its EOF (it carries the next commands), so the session tells the fence to
// write a byte to the channel's stderr (fd 7) every second instead: the write fails once the
// client is gone (templates/fence.sh).
// A stream (the tar bundle) goes in-band: the shell prints "ready" once it has read the command,
// and only then are exactly LENGTH bytes sent, which `head -c LENGTH` hands to the command;
// whatever the command leaves unread is drained, so no byte of the stream is ever read by the
// shell as a command. Nothing else is sent until the stream's answer has come.
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import type { ClientChannel } from "ssh2";
import { shellQuote } from "../util/shell-quote.js";

export interface ShellResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** The session's environment: fenced commands watch the client through fd 7 (the channel's stderr). */
const SESSION_SETUP = (root: string): string =>
  [
    `cd ${shellQuote(root)} || exit 1`,
    'mp_out=$(mktemp) && mp_err=$(mktemp) || exit 1',
    'trap \'rm -f "$mp_out" "$mp_err"\' EXIT',
    "exec 7>&2",
    "MAVEN_PROMOTE_HEARTBEAT_FD=7",
    "export MAVEN_PROMOTE_HEARTBEAT_FD",
  ].join("\n");

export class RemoteShell {
  private buffer = Buffer.alloc(0);
  private readonly waiting: Array<(result: ShellResult | Error) => void> = [];
  private closed: Error | undefined;
  private readonly marker = `MAVEN-PROMOTE-${randomBytes(8).toString("hex")}`;
  /** Set once close() was called: no new command may use the session. */
  private ending = false;
  /** While a stream is sent: what later commands wait for before they may be written. */
  private streaming: Promise<void> | undefined;
  /** Whether the server's `head -c` can hand a stream to a command (stream() may be used). */
  streams = false;
  /** Told when the shell says it is ready for a stream's bytes. */
  private onReady: ((error?: Error) => void) | undefined;

  private constructor(private readonly channel: ClientChannel) {
    channel.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    channel.stderr.on("data", () => undefined); // the fence's heartbeats, and any chatter
    channel.on("close", () => {
      this.closed = new Error("the server's shell session ended");
      for (const waiter of this.waiting.splice(0)) waiter(this.closed);
      this.onReady?.(this.closed);
    });
  }

  /** Starts `sh` in `root`, with two scratch files for the commands' output. */
  static async open(exec: (command: string) => Promise<ClientChannel>, root: string): Promise<RemoteShell> {
    const shell = new RemoteShell(await exec("exec sh"));
    shell.channel.write(SESSION_SETUP(root) + "\n");
    // Both sent at once, both awaited (a session that ends under them rejects both). A stream is
    // handed over by `head -c`: where it is missing, streams take a channel of their own.
    const [ready, headAnswer] = await Promise.all([shell.run("true"), shell.run("printf ab | head -c 1")]);
    if (ready.code !== 0) throw new Error("the server's shell did not start");
    shell.streams = headAnswer.code === 0 && headAnswer.stdout.toString("latin1") === "a";
    return shell;
  }

  /** Whether the session has ended (its channel closed). */
  get ended(): boolean {
    return this.ending || this.closed !== undefined;
  }

  /** Runs one command after any sent before it; resolves with its exit code and output. */
  async run(command: string): Promise<ShellResult> {
    while (this.streaming !== undefined) await this.streaming;
    return this.send(`( eval ${shellQuote(command)} ) </dev/null >"$mp_out" 2>"$mp_err"; mp_code=$?`);
  }

  /**
   * Runs `command` with exactly `length` bytes of `input` as its stdin. An input that fails, or
   * is not `length` bytes long, ends the session (the shell must never read the rest as
   * commands): the next command opens another.
   */
  async stream(command: string, input: Readable, length: number, onProgress?: (sent: number) => void): Promise<ShellResult> {
    if (!this.streams) throw new Error("the server's shell session cannot take a stream (no head -c)");
    while (this.streaming !== undefined) await this.streaming;
    let done: () => void = () => undefined;
    this.streaming = new Promise((resolve) => (done = resolve));
    try {
      const ready = new Promise<void>((resolve, reject) => (this.onReady = (error) => (error === undefined ? resolve() : reject(error))));
      // The command's stdin is the stream; what it leaves unread is drained to the last byte.
      const answer = this.send(
        [
          `printf '%s ready\\n' ${this.marker}`,
          `head -c ${length} | { ( eval ${shellQuote(command)} ) >"$mp_out" 2>"$mp_err"; mp_code=$?; cat >/dev/null; exit "$mp_code"; }; mp_code=$?`,
        ].join("\n"),
      );
      answer.catch(() => undefined); // awaited below, unless the input failed first
      try {
        await ready;
        await this.sendExactly(input, length, onProgress);
      } catch (error) {
        input.destroy();
        this.close(true);
        throw error;
      } finally {
        this.onReady = undefined;
      }
      return await answer;
    } finally {
      this.streaming = undefined;
      done();
    }
  }

  /** Ends the session: its shell exits at its stdin's EOF; `now` closes the channel at once. */
  close(now = false): void {
    this.ending = true;
    if (now) this.channel.close();
    else this.channel.end();
  }

  /** Writes a framed command and waits for its answer. */
  private send(run: string): Promise<ShellResult> {
    return new Promise<ShellResult>((resolve, reject) => {
      if (this.ended) return reject(this.closed ?? new Error("the server's shell session ended"));
      this.waiting.push((answer) => (answer instanceof Error ? reject(answer) : resolve(answer)));
      const framed = [run, `printf '%s %s %s %s\\n' ${this.marker} "$mp_code" "$(wc -c <"$mp_out")" "$(wc -c <"$mp_err")"`, 'cat "$mp_out" "$mp_err"'].join("\n");
      this.channel.write(framed + "\n");
    });
  }

  /** Sends the input's bytes with back-pressure; refuses to send one byte more or fewer than `length`. */
  private async sendExactly(input: Readable, length: number, onProgress?: (sent: number) => void): Promise<void> {
    let sent = 0;
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if (sent + chunk.length > length) throw new Error(`the stream is longer than the ${length} bytes announced`);
      sent += chunk.length;
      if (!this.channel.write(chunk)) await this.drained();
      onProgress?.(chunk.length);
    }
    if (sent !== length) throw new Error(`the stream ended after ${sent} of the ${length} bytes announced`);
  }

  /** Resolves once the channel takes more, rejects once it has closed. */
  private drained(): Promise<void> {
    if (this.closed !== undefined) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.channel.off("close", onClose);
        resolve();
      };
      const onClose = (): void => {
        this.channel.off("drain", onDrain);
        reject(this.closed ?? new Error("the server's shell session ended"));
      };
      this.channel.once("drain", onDrain);
      this.channel.once("close", onClose);
    });
  }

  /** Hands out every complete answer in the buffer. */
  private drain(): void {
    for (;;) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) return;
      const header = this.buffer.subarray(0, newline).toString("latin1").trim().split(/\s+/);
      if (header[0] !== this.marker) {
        // Not ours (a chatty login script): skip the line.
        this.buffer = this.buffer.subarray(newline + 1);
        continue;
      }
      if (header[1] === "ready") {
        this.buffer = this.buffer.subarray(newline + 1);
        this.onReady?.();
        continue;
      }
      const [, code, outBytes, errBytes] = header.map(Number);
      const end = newline + 1 + outBytes! + errBytes!;
      if (this.buffer.length < end) return;
      const stdout = Buffer.from(this.buffer.subarray(newline + 1, newline + 1 + outBytes!));
      const stderr = this.buffer.subarray(newline + 1 + outBytes!, end).toString("utf8");
      this.buffer = this.buffer.subarray(end);
      this.waiting.shift()?.({ code: code!, stdout, stderr });
    }
  }
}
