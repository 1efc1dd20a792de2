// Where each connection setting of --from and --to came from, for `plan --json` and
// `promote --json`: the URL, an option (whose own source the "settings" report gives: flag,
// environment or config file), a settings.xml <server>, ~/.ssh/config (file:line), ~/.netrc, or
// the default. It follows the precedence openTransport applies; a secret is reported as "***".
import type { MavenServer } from "./maven-settings.js";
import { parseLocation } from "./location.js";
import { httpCredentials } from "./http-credentials.js";
import { resolveSftpEndpoint, type SshSettings } from "./open-transport.js";
import { DEFAULT_KEEPALIVE_COUNT_MAX, DEFAULT_KEEPALIVE_MS } from "../transport/connection-guard.js";

export type ConnectionSource = "url" | "option" | "settings.xml" | "ssh-config" | "netrc" | "environment" | "default";

export interface ConnectionSetting {
  value: unknown;
  source: ConnectionSource;
  /** The file (and line, or <server> id) the value was read from, where there is one. */
  from?: string;
}

export type ConnectionReport = Record<string, ConnectionSetting>;

const SECRET = "***";

/** The report for one location; undefined for a local directory, which has no connection. */
export function describeConnection(text: string, option: "--from" | "--to", ssh: SshSettings = {}, env: NodeJS.ProcessEnv = process.env): ConnectionReport | undefined {
  const location = parseLocation(text, option);
  if (location.kind === "local") return undefined;
  const server = ssh.servers?.[option];
  const fromServer = (server: MavenServer): ConnectionSetting["from"] => `${server.file} <server> ${server.id}`;
  const report: ConnectionReport = {};
  if (location.kind === "http") {
    const { username, password, source } = httpCredentials(location.url, server, env);
    const from = server === undefined ? {} : { from: fromServer(server) };
    if (username !== undefined) report.username = { value: username, source: source!, ...from };
    if (password !== undefined) report.password = { value: SECRET, source: source!, ...from };
    if (ssh.caFile !== undefined) report.caFile = { value: ssh.caFile, source: "option" };
    return report;
  }
  // The values are the ones openTransport connects with; only where each came from is worked out here.
  const { configPath, resolved, endpoint } = resolveSftpEndpoint(location, option, ssh);
  const config = (keyword: string, value: unknown): ConnectionSetting => ({ value, source: "ssh-config", from: resolved.origins[keyword] ?? configPath });

  report.host = resolved.origins.hostname !== undefined ? config("hostname", endpoint.host) : { value: endpoint.host, source: "url" };
  report.port =
    location.port !== undefined ? { value: endpoint.port, source: "url" } : resolved.origins.port !== undefined ? config("port", endpoint.port) : { value: endpoint.port, source: "default" };
  report.user =
    location.user !== undefined
      ? { value: endpoint.user, source: "url" }
      : server?.username !== undefined
        ? { value: endpoint.user, source: "settings.xml", from: fromServer(server) }
        : resolved.origins.user !== undefined
          ? config("user", endpoint.user)
          : { value: endpoint.user, source: "default" };

  if (endpoint.identityFile !== undefined) {
    report.identityFile = ssh.identityFile !== undefined ? { value: endpoint.identityFile, source: "option" } : { value: endpoint.identityFile, source: "settings.xml", from: fromServer(server!) };
  } else if (endpoint.identityFiles !== undefined) report.identityFile = config("identityfile", endpoint.identityFiles);
  if (ssh.identityPassphrase !== undefined) report.passphrase = { value: SECRET, source: "option" };
  else if (ssh.identityFile === undefined && server?.passphrase !== undefined) report.passphrase = { value: SECRET, source: "settings.xml", from: fromServer(server) };
  if (server?.password !== undefined) report.password = { value: SECRET, source: "settings.xml", from: fromServer(server) };

  if (endpoint.agent === undefined) {
    if (resolved.identitiesOnly === true || resolved.identityAgent === "none") report.agent = config(resolved.identitiesOnly === true ? "identitiesonly" : "identityagent", "none");
  } else if (endpoint.agent === ssh.agent && (resolved.identityAgent === undefined || resolved.identityAgent === "SSH_AUTH_SOCK")) {
    report.agent = { value: endpoint.agent, source: "environment", from: "SSH_AUTH_SOCK" };
  } else report.agent = config("identityagent", endpoint.agent);

  report.knownHosts =
    ssh.knownHostsPath !== undefined
      ? { value: endpoint.knownHostsPath, source: "option" }
      : resolved.userKnownHostsFiles !== undefined
        ? config("userknownhostsfile", endpoint.knownHostsPath)
        : { value: endpoint.knownHostsPath, source: "default" };
  if (ssh.acceptNewHostKey === true) report.acceptNewHostKey = { value: true, source: "option" };
  else if (resolved.strictHostKeyChecking !== undefined) report.strictHostKeyChecking = config("stricthostkeychecking", resolved.strictHostKeyChecking);
  if (resolved.proxyJump !== undefined) report.proxyJump = config("proxyjump", resolved.proxyJump);
  if (endpoint.readyTimeoutMs !== undefined) report.connectTimeout = config("connecttimeout", endpoint.readyTimeoutMs / 1000);
  report.serverAliveInterval =
    endpoint.keepaliveIntervalMs !== undefined ? config("serveraliveinterval", endpoint.keepaliveIntervalMs / 1000) : { value: DEFAULT_KEEPALIVE_MS / 1000, source: "default" };
  report.serverAliveCountMax =
    endpoint.keepaliveCountMax !== undefined ? config("serveralivecountmax", endpoint.keepaliveCountMax) : { value: DEFAULT_KEEPALIVE_COUNT_MAX, source: "default" };
  return report;
}
