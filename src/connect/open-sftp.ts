// Opening an SFTP target: the SSH connection (keys, agent, password, ProxyJump hops, host key
// check, keepalives) and its failures in one line each; the transport itself moves bytes.
import { readFile } from "node:fs/promises";
import type { ConnectConfig } from "ssh2";
import SftpClient from "ssh2-sftp-client";
import { PromoteError } from "../errors.js";
import { DEFAULT_KEEPALIVE_COUNT_MAX, DEFAULT_KEEPALIVE_MS } from "../transport/connection-guard.js";
import type { TargetPermissions } from "../transport/permissions.js";
import { SftpTransport } from "../transport/sftp-transport.js";
import { connectFailureReason } from "./connect-failure.js";
import { authAttempts, hostVerifier, openJumpChain, type HopEndpoint, type JumpChain } from "./ssh-hops.js";

export interface SftpOptions {
  host: string;
  port: number;
  user: string;
  /** Absolute path of the repository on the server. */
  root: string;
  /** How the user wrote the location (for messages). */
  location: string;
  identityFile?: string;
  identityPassphrase?: string;
  /** ssh-agent socket (SSH_AUTH_SOCK), tried as well as the identity file. */
  agent?: string;
  knownHostsPath: string;
  acceptNewHostKey: boolean;
  /** Never run shell commands, even if the server would allow them (SFTP-only servers). */
  sftpOnly?: boolean;
  readyTimeoutMs?: number;
  /** Identity files from ~/.ssh/config, tried in order when no --identity is given. */
  identityFiles?: readonly string[];
  /** SSH keepalives (ServerAliveInterval): 0 turns them off; default 15 s. */
  keepaliveIntervalMs?: number;
  /** Keepalives unanswered before the link counts as dead (ServerAliveCountMax; default 3). */
  keepaliveCountMax?: number;
  /** A password to log in with (a settings.xml server's); never printed. */
  password?: string;
  /** ProxyJump hops, first to last (each resolved through the ssh config already). */
  jumps?: readonly HopEndpoint[];
  /** Modes for what is uploaded and the directories made (a settings.xml server's). */
  permissions?: TargetPermissions;
}

export async function openSftpTransport(options: SftpOptions): Promise<SftpTransport> {
  // ssh2-sftp-client's default listeners print "Global end listener…" on stdout when a connection
  // ends unexpectedly, which would break --json; every failure reaches us as an error anyway.
  const client = new SftpClient("maven-promote", { error: () => undefined, end: () => undefined, close: () => undefined });
  let hostKeyError: PromoteError | undefined;
  const config: ConnectConfig = {
    host: options.host,
    port: options.port,
    username: options.user,
    readyTimeout: options.readyTimeoutMs ?? 20_000,
    hostVerifier: hostVerifier(
      { host: options.host, port: options.port, knownHostsPath: options.knownHostsPath, acceptNewHostKey: options.acceptNewHostKey },
      (error) => (hostKeyError = error),
    ),
  } as ConnectConfig;
  // Keepalives are on by default, as a stalled link must end in an error, never a hang: with
  // OpenSSH's ServerAliveCountMax default of 3, a link silent for about a minute is given up.
  config.keepaliveInterval = options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS;
  config.keepaliveCountMax = options.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT_MAX;
  if (options.identityFile !== undefined) {
    try {
      config.privateKey = await readFile(options.identityFile);
    } catch (error) {
      throw new PromoteError("ERR_CONFIG", `--identity ${options.identityFile}: cannot read the key (${(error as NodeJS.ErrnoException).code ?? "error"})`, { path: "--identity", cause: error });
    }
    if (options.identityPassphrase !== undefined) config.passphrase = options.identityPassphrase;
  } else if (options.identityFiles !== undefined && options.identityFiles.length > 0) {
    // The ssh config's IdentityFile lines, then the agent: ssh2 takes one privateKey, so the
    // attempts are listed for it in OpenSSH's order.
    const attempts = await authAttempts({
      user: options.user,
      identityFiles: options.identityFiles,
      ...(options.agent === undefined ? {} : { agent: options.agent }),
      ...(options.password === undefined ? {} : { password: options.password }),
    });
    if (attempts !== undefined) config.authHandler = attempts;
  }
  if (options.agent !== undefined) config.agent = options.agent;
  if (options.password !== undefined) config.password = options.password;
  let jumpChain: JumpChain | undefined;
  if (options.jumps !== undefined && options.jumps.length > 0) {
    jumpChain = await openJumpChain(options.jumps, { host: options.host, port: options.port });
    config.sock = jumpChain.sock;
  }
  const where = `${options.user}@${options.host}:${options.port}`;
  try {
    await client.connect(config);
  } catch (error) {
    await client.end().catch(() => undefined);
    jumpChain?.close();
    if (hostKeyError !== undefined) throw hostKeyError;
    throw translateConnectError(error, where, options.identityFile, options.password !== undefined);
  }
  // Small requests go out at once: with Nagle's algorithm a burst (the metadata flips) would
  // leave its second packet waiting a round trip for the first one's acknowledgement.
  (client as unknown as { client: import("ssh2").Client }).client.setNoDelay(true);
  const transport = new SftpTransport(client, options, () => jumpChain?.close());
  if ((await transport.stat("")) ?.type !== "directory") {
    await transport.close();
    throw new PromoteError("ERR_REPOSITORY_NOT_FOUND", `${options.location}: ${options.root} is not a directory on ${options.host}`, { path: options.location });
  }
  return transport;
}

function translateConnectError(error: unknown, where: string, identityFile: string | undefined, withPassword: boolean): PromoteError {
  const message = error instanceof Error ? error.message : String(error);
  if (/authentication methods failed|All configured authentication/i.test(message)) {
    const refused = withPassword ? "neither a key nor the settings.xml server's password was accepted" : "no key was accepted";
    return new PromoteError("ERR_SSH_AUTH", `${where}: authentication failed${identityFile ? ` with ${identityFile}` : ""} (${refused})`, { cause: error });
  }
  if (/encrypted private key|passphrase/i.test(message)) {
    return new PromoteError("ERR_SSH_AUTH", `--identity ${identityFile ?? ""}: the key is encrypted and the passphrase is missing or wrong`, { path: "--identity", cause: error });
  }
  if (/Cannot parse privateKey|Unsupported key format/i.test(message)) {
    return new PromoteError("ERR_CONFIG", `--identity ${identityFile ?? ""}: not a private key ssh2 can read`, { path: "--identity", cause: error });
  }
  const reason = connectFailureReason(error);
  return new PromoteError(reason.transient ? "ERR_UNAVAILABLE" : "ERR_SSH_CONNECT", `cannot connect to ${where}: ${reason.text}`, { cause: error });
}
