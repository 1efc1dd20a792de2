// Opens the transport for a location the user wrote (--from, --to): a local directory or an
// SFTP server. SSH settings are the OpenSSH ones users know: an identity file, ssh-agent,
// known_hosts with explicit trust of a new host key.
import { userInfo } from "node:os";
import { PromoteError } from "../errors.js";
import { serverPermissions, type MavenServer } from "./maven-settings.js";
import { defaultSshConfigPath, resolveSshConfig, type ResolvedSshConfig } from "./ssh-config.js";
import type { HttpListing } from "../transport/http-source.js";
import { defaultKnownHostsPath } from "./known-hosts.js";
import { LocalTransport } from "../transport/local-transport.js";
import { parseLocation, type Location } from "./location.js";
import type { SftpOptions } from "./open-sftp.js";
import type { HopEndpoint } from "./ssh-hops.js";
import type { Transport } from "../transport/transport.js";

export interface SshSettings {
  identityFile?: string;
  identityPassphrase?: string;
  /** ssh-agent socket; defaults to SSH_AUTH_SOCK when the caller passes the environment. */
  agent?: string;
  knownHostsPath?: string;
  acceptNewHostKey?: boolean;
  sftpOnly?: boolean;
  /** The OpenSSH client config to resolve hosts through (default ~/.ssh/config); "none" ignores it. */
  sshConfig?: string;
  /** settings.xml <server> entries (--server-id, --from-server-id), decrypted. */
  servers?: { "--to"?: MavenServer; "--from"?: MavenServer };
  /** Extra CA certificates (PEM) for an https:// stage. */
  caFile?: string;
  /** How an http(s):// stage is listed (--from-listing). */
  httpListing?: HttpListing;
  /** Tries again after a failure that may pass (ERR_UNAVAILABLE), with backoff (--retries; default 2). */
  retries?: number;
  /** The first backoff (doubled each time, at most 30 s); tests shorten it. */
  retryBackoffMs?: number;
}

export interface OpenedTransport {
  transport: Transport;
  /** The repository root as the server's shell sees it (for the rename script). */
  root: string;
}

export async function openTransport(text: string, option: "--from" | "--to", ssh: SshSettings = {}): Promise<OpenedTransport> {
  const location = parseLocation(text, option);
  // A settings.xml server's filePermissions and directoryPermissions, for what is written to the target.
  const permissions = option === "--to" ? serverPermissions(ssh.servers?.[option]) : undefined;
  if (location.kind === "local") {
    const transport = new LocalTransport(location.path, text, permissions);
    if ((await transport.stat(""))?.type !== "directory") {
      const which = option === "--to" ? "target" : "staging";
      throw new PromoteError("ERR_REPOSITORY_NOT_FOUND", `${option} ${text}: ${which} repository ${location.path} is not a directory`, { path: option });
    }
    return { transport, root: location.path };
  }
  if (location.kind === "http") {
    throw new PromoteError("ERR_CONFIG", `${option} ${text}: an HTTP(S) stage is downloaded, not opened (use plan or promote --from)`, { path: option });
  }
  const { configPath, server, resolved, credentials, endpoint } = resolveSftpEndpoint(location, option, ssh);
  const jumps = (resolved.proxyJump?.split(",") ?? []).map((hop) => {
    const parsed = parseHop(hop, configPath);
    const hopConfig = resolveHost(configPath, parsed.host, parsed.user, parsed.port);
    const options = endpointOptions(hopConfig, ssh, configPath, parsed.host);
    return { ...options, identityFiles: options.identityFile !== undefined ? [options.identityFile] : (options.identityFiles ?? []) } satisfies HopEndpoint;
  });
  // ssh2 and the SFTP client load only for an SFTP location: a local promotion starts without them (issue 18, part 5).
  const { openSftpTransport } = await import("./open-sftp.js");
  const transport = await withRetries(ssh, () => openSftpTransport({
    ...endpoint,
    root: location.path,
    location: text,
    sftpOnly: ssh.sftpOnly ?? false,
    ...(credentials.identityPassphrase === undefined ? {} : { identityPassphrase: credentials.identityPassphrase }),
    ...(server?.password === undefined ? {} : { password: server.password }),
    ...(jumps.length === 0 ? {} : { jumps }),
    ...(permissions === undefined ? {} : { permissions }),
  }));
  if (option === "--to") transport.warmUpShell();
  return { transport, root: location.path };
}

export interface SftpEndpoint {
  configPath: string;
  /** The settings.xml <server> for this location, if --server-id / --from-server-id named one. */
  server: MavenServer | undefined;
  /** What the ssh config says for the host (with the URL's user and port, or the server's user, given to it). */
  resolved: ResolvedSshConfig;
  /** The flags with the server's key and passphrase filled in where no flag gives them. */
  credentials: SshSettings;
  endpoint: EndpointOptions;
}

/**
 * Where and how an sftp:// location connects, without connecting: the URL beats settings.xml,
 * which beats the ssh config, and flags beat them all. `describeConnection` reports the same.
 */
export function resolveSftpEndpoint(location: Extract<Location, { kind: "sftp" }>, option: "--from" | "--to", ssh: SshSettings): SftpEndpoint {
  const configPath = ssh.sshConfig ?? defaultSshConfigPath();
  const server = ssh.servers?.[option];
  const resolved = resolveHost(configPath, location.host, location.user ?? server?.username, location.port);
  const credentials = withServer(ssh, server);
  return { configPath, server, resolved, credentials, endpoint: endpointOptions(resolved, credentials, configPath, location.host) };
}

function resolveHost(configPath: string, host: string, user?: string, port?: number): ResolvedSshConfig {
  return configPath === "none"
    ? { hostname: host, port: port ?? 22, user: user ?? localUser(), identityFiles: [], identityFilesAsWritten: [], origins: {} }
    : resolveSshConfig(configPath, { host, ...(user === undefined ? {} : { user }), ...(port === undefined ? {} : { port }) });
}

/** Runs `attempt` again after a failure that may pass if retried, as often as --retries says. */
export async function withRetries<T>(ssh: SshSettings, attempt: () => Promise<T>): Promise<T> {
  const retries = ssh.retries ?? DEFAULT_RETRIES;
  for (let tried = 0; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      // Refused, reset or timed out while connecting, or lost right after (before the first answer).
      const mayPass = error instanceof PromoteError && (error.code === "ERR_UNAVAILABLE" || error.code === "ERR_CONNECTION_LOST");
      if (!mayPass || tried >= retries) throw error;
      await backoff(ssh, tried);
    }
  }
}

/** Waits before try number `tried` + 2: 1 s, 2 s, 4 s… (at most 30 s; tests shorten the first). */
export function backoff(ssh: SshSettings | undefined, tried: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(30_000, (ssh?.retryBackoffMs ?? 1000) * 2 ** tried)));
}

export const DEFAULT_RETRIES = 2;

/** A settings.xml server's key and passphrase where no flag gives them. */
function withServer(ssh: SshSettings, server: MavenServer | undefined): SshSettings {
  if (server === undefined || ssh.identityFile !== undefined) return ssh;
  const merged: SshSettings = { ...ssh };
  if (server.privateKey !== undefined) merged.identityFile = server.privateKey;
  if (server.passphrase !== undefined && merged.identityPassphrase === undefined) merged.identityPassphrase = server.passphrase;
  return merged;
}

export type EndpointOptions = Pick<SftpOptions, "host" | "port" | "user" | "knownHostsPath" | "acceptNewHostKey" | "identityFile" | "identityFiles" | "agent" | "readyTimeoutMs" | "keepaliveIntervalMs" | "keepaliveCountMax">;

/** Command-line options beat the ssh config, which beats the defaults (as with ssh itself). */
function endpointOptions(resolved: ResolvedSshConfig, ssh: SshSettings, configPath: string, alias: string): EndpointOptions {
  const strict = resolved.strictHostKeyChecking;
  if (strict === "no") {
    throw new PromoteError("ERR_CONFIG", `${configPath}: StrictHostKeyChecking ${strict} for ${alias}: maven-promote checks host keys always (use yes or accept-new)`, { path: configPath });
  }
  const agent = resolved.identitiesOnly === true || resolved.identityAgent === "none" ? undefined : resolved.identityAgent !== undefined && resolved.identityAgent !== "SSH_AUTH_SOCK" ? resolved.identityAgent : ssh.agent;
  const options: EndpointOptions = {
    host: resolved.hostname,
    port: resolved.port,
    user: resolved.user,
    knownHostsPath: ssh.knownHostsPath ?? resolved.userKnownHostsFiles?.[0] ?? defaultKnownHostsPath(),
    // "ask" cannot ask here: an unknown host is refused, as with "yes".
    acceptNewHostKey: (ssh.acceptNewHostKey ?? false) || strict === "accept-new",
  };
  if (ssh.identityFile !== undefined) options.identityFile = ssh.identityFile;
  else if (resolved.identityFiles.length > 0) options.identityFiles = resolved.identityFiles;
  if (agent !== undefined) options.agent = agent;
  if (resolved.connectTimeoutSeconds !== undefined) options.readyTimeoutMs = resolved.connectTimeoutSeconds * 1000;
  // ServerAliveInterval 0 turns keepalives off, as with ssh; unset, the transport's default holds.
  if (resolved.serverAliveIntervalSeconds !== undefined) options.keepaliveIntervalMs = resolved.serverAliveIntervalSeconds * 1000;
  if (resolved.serverAliveCountMax !== undefined) options.keepaliveCountMax = resolved.serverAliveCountMax;
  return options;
}

/** One ProxyJump hop: `[user@]host[:port]` (or an ssh:// URL). */
function parseHop(text: string, configPath: string): { host: string; user?: string; port?: number } {
  const match = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:@/]+)(?::(\d+))?\/?$/.exec(text.trim());
  if (match === null) throw new PromoteError("ERR_CONFIG", `${configPath}: ProxyJump ${JSON.stringify(text)}: expected [user@]host[:port]`, { path: configPath });
  return {
    host: match[2]!.replace(/^\[|\]$/g, ""),
    ...(match[1] === undefined ? {} : { user: match[1] }),
    ...(match[3] === undefined ? {} : { port: Number(match[3]) }),
  };
}

function localUser(): string {
  return userInfo().username;
}
