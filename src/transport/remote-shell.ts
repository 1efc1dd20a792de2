// One `sh` kept open on the server for the short commands a promotion sends many of (probing and
// hashing many paths): each command then costs one round trip on an open channel, instead of a
// new channel, a new login shell (with whatever the user's .bashrc does) and a new process.
// Commands run one after another, each in a subshell (an `exit` or a syntax error ends only it),
// and may be sent before the answers to earlier ones have come (the shell reads them in order);
// their output goes to two files on the server and comes back framed by its length, so binary
// output (a tar stream) passes unharmed:
//   MAVEN-PROMOTE-<nonce> CODE STDOUT-BYTES STDERR-BYTES\n<stdout><stderr>
// The fenced commands (unzip, the rename script) never use it: they keep a channel of their
// own, whose end is what their watchdog waits for.
import { randomBytes } from "node:crypto";
import type { ClientChannel } from "ssh2";
import { shellQuote } from "../util/shell-quote.js";

export interface ShellResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export class RemoteShell {
  private buffer = Buffer.alloc(0);
  private readonly waiting: Array<(result: ShellResult | Error) => void> = [];
  private closed: Error | undefined;
  private readonly marker = `MAVEN-PROMOTE-${randomBytes(8).toString("hex")}`;

  private constructor(private readonly channel: ClientChannel) {
    channel.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    channel.stderr.on("data", () => undefined);
    channel.on("close", () => {
      this.closed = new Error("the server's shell session ended");
      for (const waiter of this.waiting.splice(0)) waiter(this.closed);
    });
  }

  /** Starts `sh` in `root`, with two scratch files for the commands' output. */
  static async open(exec: (command: string) => Promise<ClientChannel>, root: string): Promise<RemoteShell> {
    const shell = new RemoteShell(await exec("exec sh"));
    const setup = [
      `cd ${shellQuote(root)} || exit 1`,
      'mp_out=$(mktemp) && mp_err=$(mktemp) || exit 1',
      'trap \'rm -f "$mp_out" "$mp_err"\' EXIT',
    ].join("\n");
    shell.channel.write(setup + "\n");
    const ready = await shell.run("true");
    if (ready.code !== 0) throw new Error("the server's shell did not start");
    return shell;
  }

  /** Runs one command after any sent before it; resolves with its exit code and output. */
  run(command: string): Promise<ShellResult> {
    return new Promise<ShellResult>((resolve, reject) => {
      if (this.closed !== undefined) return reject(this.closed);
      this.waiting.push((answer) => (answer instanceof Error ? reject(answer) : resolve(answer)));
      const framed = [
        `( eval ${shellQuote(command)} ) </dev/null >"$mp_out" 2>"$mp_err"; mp_code=$?`,
        `printf '%s %s %s %s\\n' ${this.marker} "$mp_code" "$(wc -c <"$mp_out")" "$(wc -c <"$mp_err")"`,
        'cat "$mp_out" "$mp_err"',
      ].join("\n");
      this.channel.write(framed + "\n");
    });
  }

  close(): void {
    this.channel.end();
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
