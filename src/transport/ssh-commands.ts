// Shell commands on an SFTP target's server: short ones on one `sh` session kept open for them
// (remote-shell.ts), the rest on an exec channel each. Every channel opened is counted.
import type { Readable } from "node:stream";
import type { Client, ClientChannel } from "ssh2";
import { PromoteError } from "../errors.js";
import { shellQuote } from "../util/shell-quote.js";
import { RemoteShell, type ShellResult } from "./remote-shell.js";
import type { RoundTripCounter } from "./round-trips.js";

export class SshCommands {
  private shellSession: Promise<RemoteShell | undefined> | undefined;

  constructor(
    private readonly ssh: Client,
    private readonly counter: RoundTripCounter,
    /** The repository root on the server: every command runs there. */
    private readonly root: string,
    /** How the user wrote the location (for messages). */
    private readonly location: string,
    private readonly allowed: boolean,
  ) {}

  /**
   * A short command on the shell session kept open for them: one round trip, no new channel or
   * login shell; sent at once after any before it. Where the session cannot start, each command
   * gets a channel of its own.
   */
  async runShort(command: string): Promise<ShellResult> {
    this.refuseIfSftpOnly();
    this.shellSession ??= RemoteShell.open((line) => this.openChannel(line), this.root).catch(() => undefined);
    const shell = await this.shellSession;
    if (shell === undefined) return this.exec(command);
    const end = this.counter.begin();
    try {
      return await shell.run(command);
    } finally {
      end();
    }
  }

  /**
   * A command on an exec channel of its own, run in the repository root; with `input`, piped
   * into its stdin (with back-pressure) and ended after it. The command's answer settles it;
   * an input that fails (an unreadable file) closes the channel and rejects with its error.
   */
  exec(command: string, input?: Readable, onProgress?: (sent: number) => void): Promise<ShellResult> {
    this.refuseIfSftpOnly();
    const full = `cd ${shellQuote(this.root)} && ${command}`;
    const end = this.counter.begin();
    // The input may fail before the channel is open (a file unreadable from the start): its
    // error is caught from now on, and closes the channel once there is one.
    let inputError: Error | undefined = input?.errored ?? (input?.destroyed === true ? new Error("the input was closed before it was sent") : undefined);
    let opened: ClientChannel | undefined;
    input?.once("error", (error: Error) => {
      inputError = error;
      opened?.close();
    });
    return new Promise((resolve, reject) => {
      this.ssh.exec(full, (error, channel) => {
        if (error) {
          end();
          input?.destroy();
          return reject(new PromoteError("ERR_REMOTE_COMMAND", `${this.location}: the server refused to run a command (${error.message})`, { cause: error }));
        }
        const stdout: Buffer[] = [];
        let stderr = "";
        let code: number | null = null;
        channel.on("data", (chunk: Buffer) => stdout.push(chunk));
        channel.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
        let exited = false;
        channel.on("exit", (exitCode: number | null) => {
          exited = true;
          code = exitCode;
        });
        if (input !== undefined) {
          opened = channel;
          if (inputError !== undefined) channel.close();
          input.on("data", (chunk: Buffer) => onProgress?.(chunk.length));
          input.pipe(channel);
          // The command may end before it has read everything (tar failed): stop feeding it.
          channel.once("close", () => {
            input.unpipe(channel);
            input.destroy();
          });
        }
        channel.on("close", () => {
          end();
          if (inputError !== undefined) return reject(inputError);
          // No exit status at all (not even a signal's): the session was torn down under the
          // command, as when the connection drops; the command may still run on the server.
          if (!exited) return reject(new PromoteError("ERR_CONNECTION_LOST", `${this.location}: the connection was lost while running a command on the server (its channel closed without an exit status)`));
          resolve({ code: code ?? 255, stdout: Buffer.concat(stdout), stderr });
        });
      });
    });
  }

  /** Ends the shell session, if one was opened. */
  async close(): Promise<void> {
    (await this.shellSession)?.close();
  }

  private openChannel(command: string): Promise<ClientChannel> {
    const end = this.counter.begin();
    return new Promise((resolve, reject) =>
      this.ssh.exec(command, (error, channel) => {
        end();
        if (error) reject(error);
        else resolve(channel);
      }),
    );
  }

  private refuseIfSftpOnly(): void {
    if (!this.allowed) throw new PromoteError("ERR_CONFIG", `${this.location}: shell commands are disabled (SFTP only)`);
  }
}
