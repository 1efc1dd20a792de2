// Where each connection setting of --from and --to came from, for `plan --json` and
// `promote --json`: the URL, an option (whose own source the "settings" report gives: flag,
// environment or config file), a settings.xml <server>, ~/.ssh/config (file:line), ~/.netrc, or
// the default. It follows the precedence openTransport applies; a secret is reported as "***".
import { userInfo } from "node:os";
import type { MavenServer } from "../maven-settings/settings.js";
import { defaultSshConfigPath, resolveSshConfig, type ResolvedSshConfig } from "../ssh-config/ssh-config.js";
import { defaultKnownHostsPath } from "./known-hosts.js";
import { parseLocation } from "./location.js";
import { netrcCredentials } from "./netrc.js";
import type { SshSettings } from "./open-transport.js";

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
    const netrc = server === undefined ? netrcCredentials(new URL(location.url).hostname, env) : undefined;
    if (server?.username !== undefined) report.username = { value: server.username, source: "settings.xml", from: fromServer(server) };
    else if (netrc?.login !== undefined) report.username = { value: netrc.login, source: "netrc" };
    if (server?.password !== undefined) report.password = { value: SECRET, source: "settings.xml", from: fromServer(server) };
    else if (netrc?.password !== undefined) report.password = { value: SECRET, source: "netrc" };
    if (ssh.caFile !== undefined) report.caFile = { value: ssh.caFile, source: "option" };
    return report;
  }
  const configPath = ssh.sshConfig ?? defaultSshConfigPath();
  const queryUser = location.user ?? server?.username;
  const resolved: ResolvedSshConfig =
    configPath === "none"
      ? { hostname: location.host, port: location.port ?? 22, user: queryUser ?? userInfo().username, identityFiles: [], identityFilesAsWritten: [], origins: {} }
      : resolveSshConfig(configPath, { host: location.host, ...(queryUser === undefined ? {} : { user: queryUser }), ...(location.port === undefined ? {} : { port: location.port }) });
  const config = (keyword: string, value: unknown): ConnectionSetting => ({ value, source: "ssh-config", from: resolved.origins[keyword] ?? configPath });

  report.host = resolved.origins.hostname !== undefined ? config("hostname", resolved.hostname) : { value: resolved.hostname, source: "url" };
  report.port =
    location.port !== undefined ? { value: location.port, source: "url" } : resolved.origins.port !== undefined ? config("port", resolved.port) : { value: resolved.port, source: "default" };
  report.user =
    location.user !== undefined
      ? { value: location.user, source: "url" }
      : server?.username !== undefined
        ? { value: server.username, source: "settings.xml", from: fromServer(server) }
        : resolved.origins.user !== undefined
          ? config("user", resolved.user)
          : { value: resolved.user, source: "default" };

  if (ssh.identityFile !== undefined) report.identityFile = { value: ssh.identityFile, source: "option" };
  else if (server?.privateKey !== undefined) report.identityFile = { value: server.privateKey, source: "settings.xml", from: fromServer(server) };
  else if (resolved.identityFiles.length > 0) report.identityFile = config("identityfile", resolved.identityFiles);
  if (ssh.identityPassphrase !== undefined) report.passphrase = { value: SECRET, source: "option" };
  else if (ssh.identityFile === undefined && server?.passphrase !== undefined) report.passphrase = { value: SECRET, source: "settings.xml", from: fromServer(server) };
  if (server?.password !== undefined) report.password = { value: SECRET, source: "settings.xml", from: fromServer(server) };

  if (resolved.identitiesOnly === true || resolved.identityAgent === "none") report.agent = config(resolved.identitiesOnly === true ? "identitiesonly" : "identityagent", "none");
  else if (resolved.identityAgent !== undefined && resolved.identityAgent !== "SSH_AUTH_SOCK") report.agent = config("identityagent", resolved.identityAgent);
  else if (ssh.agent !== undefined) report.agent = { value: ssh.agent, source: "environment", from: "SSH_AUTH_SOCK" };

  report.knownHosts =
    ssh.knownHostsPath !== undefined
      ? { value: ssh.knownHostsPath, source: "option" }
      : resolved.userKnownHostsFiles !== undefined
        ? config("userknownhostsfile", resolved.userKnownHostsFiles[0])
        : { value: defaultKnownHostsPath(), source: "default" };
  if (ssh.acceptNewHostKey === true) report.acceptNewHostKey = { value: true, source: "option" };
  else if (resolved.strictHostKeyChecking !== undefined) report.strictHostKeyChecking = config("stricthostkeychecking", resolved.strictHostKeyChecking);
  if (resolved.proxyJump !== undefined) report.proxyJump = config("proxyjump", resolved.proxyJump);
  if (resolved.connectTimeoutSeconds !== undefined) report.connectTimeout = config("connecttimeout", resolved.connectTimeoutSeconds);
  if (resolved.serverAliveIntervalSeconds !== undefined) report.serverAliveInterval = config("serveraliveinterval", resolved.serverAliveIntervalSeconds);
  return report;
}
