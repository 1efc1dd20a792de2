// Commands on an SFTP target's server, all on one `sh` session kept open for them
// (remote-shell.ts): with the SFTP channel, a promotion opens two channels. Where the session
// cannot start (a server that runs no shell for an exec), each command gets a channel of its own.
// Every channel opened is counted (`network.channels`).
import type { Readable } from "node:stream";
import type { Client, ClientChannel } from "ssh2";
import { PromoteError } from "../errors.js";
import { shellQuote } from "../util/shell-quote.js";
import { RemoteShell, type ShellResult } from "./remote-shell.js";
import type { RoundTripCounter } from "./round-trips.js";

export class SshCommands {
  private shellSession: Promise<RemoteShell | undefined> | undefined;
  /** The session once it has opened (close() does not wait for one still opening). */
  private opened: RemoteShell | undefined;

  constructor(
    private readonly ssh: Client,
    private readonly counter: RoundTripCounter,
    /** The repository root on the server: every command runs there. */
    private readonly root: string,
    /** How the user wrote the location (for messages). */
    private readonly location: string,
    private readonly allowed: boolean,
    /** Whether the connection has ended under us. */
    private readonly connectionGone: () => boolean = () => false,
  ) {}

  /** A short command (a probe, a hash) on the session: one round trip, no new channel or login shell. */
  runShort(command: string): Promise<ShellResult> {
    return this.exec(command);
  }

  /**
   * A command in the repository root; with `input`, fed to its stdin (with back-pressure) and
   * ended after it. With the input's exact `length`, it goes through the session; else (or where
   * there is no session) on a channel of its own. The command's answer settles it; an input that
   * fails rejects with its error.
   */
  async exec(command: string, input?: Readable, onProgress?: (sent: number) => void, length?: number): Promise<ShellResult> {
    this.refuseIfSftpOnly();
    if (input !== undefined && length === undefined) return this.ownChannel(command, input, onProgress);
    const shell = await this.session();
    if (shell === undefined || (input !== undefined && !shell.streams)) return this.ownChannel(command, input, onProgress);
    const end = this.counter.begin();
    try {
      return input === undefined ? await shell.run(command) : await shell.stream(command, input, length!, onProgress);
    } catch (error) {
      throw this.sessionLost(error);
    } finally {
      end();
    }
  }

  /**
   * Opens the session now, beside whatever else the connection is doing: its channel and the
   * server's login shell take a round trip and a process start, better paid while the plan
   * digests the stage than when its first command waits.
   */
  warmUp(): void {
    if (this.allowed) this.session().catch(() => undefined);
  }

  /** The session, opened at the first command (again after one that ended); undefined where it cannot start. */
  private async session(): Promise<RemoteShell | undefined> {
    // Replaced once it has ended, by the first caller to notice (not once per caller).
    const pending = this.shellSession;
    const current = await pending;
    if (current?.ended === true && this.shellSession === pending) this.shellSession = undefined;
    // A session that cannot start is no error (each command takes a channel), unless the
    // connection is gone: then neither can anything else.
    this.shellSession ??= RemoteShell.open((line) => this.openChannel(line), this.root).then((shell) => (this.opened = shell), (error: unknown) => {
      if (this.connectionGone()) throw new PromoteError("ERR_CONNECTION_LOST", `${this.location}: the connection was lost while starting a shell session on the server`, { cause: error });
      return undefined;
    });
    return this.shellSession;
  }

  /** The session's end under a command is a lost connection; an input's own failure is itself. */
  private sessionLost(error: unknown): unknown {
    if (!(error instanceof Error) || error.message !== "the server's shell session ended") return error;
    return new PromoteError("ERR_CONNECTION_LOST", `${this.location}: the connection was lost while running a command on the server (its shell session ended)`);
  }

  /**
   * A command on an exec channel of its own, run in the repository root; with `input`, piped
   * into its stdin (with back-pressure) and ended after it. The command's answer settles it;
   * an input that fails (an unreadable file) closes the channel and rejects with its error.
   */
  private ownChannel(command: string, input?: Readable, onProgress?: (sent: number) => void): Promise<ShellResult> {
    const full = `cd ${shellQuote(this.root)} && ${command}`;
    const end = this.counter.begin();
    this.counter.stats.channels++;
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
    // A session still opening (warmed up, never used) is not waited for: the connection's end
    // takes it down.
    this.opened?.close();
  }

  private openChannel(command: string): Promise<ClientChannel> {
    const end = this.counter.begin();
    this.counter.stats.channels++;
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
