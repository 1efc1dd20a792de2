// Opens the transport for a location the user wrote (--from, --to): a local directory or an
// SFTP server. SSH settings are the OpenSSH ones users know: an identity file, ssh-agent,
// known_hosts with explicit trust of a new host key.
import { PromoteError } from "../errors.js";
import { defaultKnownHostsPath } from "./known-hosts.js";
import { LocalTransport } from "./local-transport.js";
import { parseLocation } from "./location.js";
import { openSftpTransport } from "./sftp-transport.js";
import type { Transport } from "./transport.js";

export interface SshSettings {
  identityFile?: string;
  identityPassphrase?: string;
  /** ssh-agent socket; defaults to SSH_AUTH_SOCK when the caller passes the environment. */
  agent?: string;
  knownHostsPath?: string;
  acceptNewHostKey?: boolean;
  sftpOnly?: boolean;
}

export interface OpenedTransport {
  transport: Transport;
  /** The repository root as the server's shell sees it (for the rename script). */
  root: string;
}

export async function openTransport(text: string, option: "--from" | "--to", ssh: SshSettings = {}): Promise<OpenedTransport> {
  const location = parseLocation(text, option);
  if (location.kind === "local") {
    const transport = new LocalTransport(location.path, text);
    if ((await transport.stat(""))?.type !== "directory") {
      const which = option === "--to" ? "target" : "staging";
      throw new PromoteError("ERR_REPOSITORY_NOT_FOUND", `${option} ${text}: ${which} repository ${location.path} is not a directory`, { path: option });
    }
    return { transport, root: location.path };
  }
  const transport = await openSftpTransport({
    host: location.host,
    port: location.port,
    user: location.user,
    root: location.path,
    location: text,
    knownHostsPath: ssh.knownHostsPath ?? defaultKnownHostsPath(),
    acceptNewHostKey: ssh.acceptNewHostKey ?? false,
    sftpOnly: ssh.sftpOnly ?? false,
    ...(ssh.identityFile === undefined ? {} : { identityFile: ssh.identityFile }),
    ...(ssh.identityPassphrase === undefined ? {} : { identityPassphrase: ssh.identityPassphrase }),
    ...(ssh.agent === undefined ? {} : { agent: ssh.agent }),
  });
  return { transport, root: location.path };
}
