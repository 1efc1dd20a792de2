// SSH options shared by every command that can reach an sftp:// repository. They follow
// OpenSSH: an identity file (its passphrase from an environment variable, never an argument),
// ssh-agent through SSH_AUTH_SOCK, ~/.ssh/known_hosts, and explicit trust of a new host key.
import { Option, type Command } from "commander";
import { PromoteError } from "../errors.js";
import { findServer } from "../connect/maven-settings.js";
import { HTTP_LISTINGS, type HttpListing } from "../transport/http-source.js";
import type { SshSettings } from "../connect/open-transport.js";
import { parseDuration } from "../util/duration.js";

export interface SshOptionValues {
  identity?: string;
  identityPassphraseEnv?: string;
  knownHosts?: string;
  acceptNewHostKey?: boolean;
  sftpOnly?: boolean;
  sshConfig?: string;
  settings?: string;
  globalSettings?: string;
  settingsSecurity?: string;
  serverId?: string;
  fromServerId?: string;
  caFile?: string;
  fromListing?: HttpListing;
  retries?: string;
  retryBackoff?: string;
}

export function addSshOptions(command: Command): Command {
  return command
    .option("--identity <file>", "SSH private key for sftp:// repositories (ssh-agent is used too when SSH_AUTH_SOCK is set)")
    .option("--identity-passphrase-env <var>", "environment variable holding the identity's passphrase")
    .option("--known-hosts <file>", "known_hosts file (default ~/.ssh/known_hosts; hashed entries are understood)")
    .option("--accept-new-host-key", "trust and record a host key the known_hosts file does not have yet (a changed key is always refused)")
    .option("--sftp-only", "never run shell commands on the server: upload file by file and rename over SFTP")
    .option("--settings <file>", "Maven settings.xml whose <server> entries --server-id and --from-server-id name (default ~/.m2/settings.xml)")
    .option("--global-settings <file>", "the global settings.xml the user's is merged over (default $MAVEN_HOME/conf/settings.xml)")
    .option("--settings-security <file>", "the master password for encrypted settings values (default ~/.m2/settings-security.xml)")
    .option("--server-id <id>", "the settings.xml <server> to log in to the target with (username, password, privateKey, passphrase)")
    .option("--from-server-id <id>", "the settings.xml <server> to log in to an sftp:// staging repository with")
    .option("--ca-file <file>", "PEM CA certificates trusted besides the system's, for an https:// stage")
    .addOption(
      new Option("--from-listing <kind>", "how an http(s):// stage is listed: directory listings (index), Nexus 3's asset API (nexus3), or auto: nexus3 when the server says Nexus/3 and the URL is …/repository/NAME/")
        .choices([...HTTP_LISTINGS])
        .default("auto"),
    )
    .option("--retries <n>", "try again this many times, with backoff (1 s, 2 s, 4 s…), when a server cannot be reached or is busy (SSH connection, each HTTP request), and when a promotion loses its connection (it reconnects and carries on)", "2")
    .option("--retry-backoff <duration>", "the first wait before trying again (doubled each time, at most 30 s)", "1s")
    .option("--ssh-config <file>", "OpenSSH client config that sftp://HOST is resolved through (default ~/.ssh/config; 'none' to ignore it)");
}

export function sshSettingsFrom(values: SshOptionValues, env: NodeJS.ProcessEnv): SshSettings {
  const settings: SshSettings = {
    acceptNewHostKey: values.acceptNewHostKey ?? false,
    sftpOnly: values.sftpOnly ?? false,
  };
  if (values.identity !== undefined) settings.identityFile = values.identity;
  if (values.knownHosts !== undefined) settings.knownHostsPath = values.knownHosts;
  if (values.sshConfig !== undefined) settings.sshConfig = values.sshConfig;
  if (values.caFile !== undefined) settings.caFile = values.caFile;
  if (values.fromListing !== undefined) settings.httpListing = values.fromListing;
  if (values.retries !== undefined) {
    if (!/^\d{1,2}$/.test(values.retries)) throw new PromoteError("ERR_USAGE", `--retries ${values.retries}: expected a whole number from 0 to 99`, { path: "--retries" });
    settings.retries = Number(values.retries);
  }
  if (values.retryBackoff !== undefined) settings.retryBackoffMs = parseDuration(values.retryBackoff, "--retry-backoff");
  if (values.identityPassphraseEnv !== undefined) {
    if (values.identity === undefined) {
      throw new PromoteError("ERR_USAGE", "--identity-passphrase-env is given without --identity", { path: "--identity-passphrase-env" });
    }
    const passphrase = env[values.identityPassphraseEnv];
    if (passphrase === undefined) {
      throw new PromoteError("ERR_CONFIG", `--identity-passphrase-env: the environment variable ${values.identityPassphraseEnv} is not set`, { path: "--identity-passphrase-env" });
    }
    settings.identityPassphrase = passphrase;
  }
  if (env.SSH_AUTH_SOCK) settings.agent = env.SSH_AUTH_SOCK;
  const locations = {
    ...(values.settings === undefined ? {} : { settings: values.settings }),
    ...(values.globalSettings === undefined ? {} : { globalSettings: values.globalSettings }),
    ...(values.settingsSecurity === undefined ? {} : { settingsSecurity: values.settingsSecurity }),
  };
  if (values.serverId !== undefined) (settings.servers ??= {})["--to"] = findServer(values.serverId, "--server-id", locations, env);
  if (values.fromServerId !== undefined) (settings.servers ??= {})["--from"] = findServer(values.fromServerId, "--from-server-id", locations, env);
  return settings;
}
