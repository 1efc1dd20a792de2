// What an SSH connection needs beyond host and port when ~/.ssh/config says so: several identity
// files tried in order (as OpenSSH tries IdentityFile lines), and ProxyJump hops, each a
// connection of its own (host key checked against known_hosts) whose forwarded channel carries
// the next one.
import { readFile } from "node:fs/promises";
import type { Duplex } from "node:stream";
import ssh2, { type AnyAuthMethod, type ConnectConfig } from "ssh2";
import { PromoteError } from "../errors.js";
import { connectFailureReason } from "./connect-failure.js";
import { checkHostKey } from "./known-hosts.js";

const { Client, utils } = ssh2; // a CommonJS module: its named exports are not all visible to ESM
type Client = InstanceType<typeof Client>;

export interface HopEndpoint {
  host: string;
  port: number;
  user: string;
  /** Identity files from the ssh config: unreadable or passphrase-protected ones are skipped. */
  identityFiles: readonly string[];
  /** ssh-agent socket, or undefined for none (IdentitiesOnly, IdentityAgent none). */
  agent?: string;
  knownHostsPath: string;
  acceptNewHostKey: boolean;
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
}

/**
 * The authentication attempts for an endpoint, in OpenSSH's order: each identity file that can
 * be read without a passphrase, then the agent. Undefined when there is nothing to offer.
 */
export async function authAttempts(endpoint: Pick<HopEndpoint, "user" | "identityFiles" | "agent"> & { password?: string }): Promise<AnyAuthMethod[] | undefined> {
  const attempts: AnyAuthMethod[] = [];
  for (const file of endpoint.identityFiles) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      continue; // OpenSSH too goes on without an IdentityFile that is not there
    }
    const parsed = utils.parseKey(bytes);
    if (parsed instanceof Error) continue; // encrypted (ssh cannot prompt here) or not a key
    attempts.push({ type: "publickey", username: endpoint.user, key: Array.isArray(parsed) ? parsed[0]! : parsed });
  }
  if (endpoint.agent !== undefined) attempts.push({ type: "agent", username: endpoint.user, agent: endpoint.agent });
  // A settings.xml server's password comes last, after every key, as ssh tries them.
  if (endpoint.password !== undefined) attempts.push({ type: "password", username: endpoint.user, password: endpoint.password });
  return attempts.length > 0 ? attempts : undefined;
}

/** A host key check for ssh2's hostVerifier; a refusal is kept to be thrown instead of ssh2's vaguer error. */
export function hostVerifier(endpoint: Pick<HopEndpoint, "host" | "port" | "knownHostsPath" | "acceptNewHostKey">, onRefusal: (error: PromoteError) => void) {
  return (key: Buffer, verify: (valid: boolean) => void): void => {
    checkHostKey({ host: endpoint.host, port: endpoint.port, key, knownHostsPath: endpoint.knownHostsPath, acceptNew: endpoint.acceptNewHostKey })
      .then((decision) => {
        if (!decision.ok) onRefusal(decision.error);
        verify(decision.ok);
      })
      .catch((error: unknown) => {
        onRefusal(error instanceof PromoteError ? error : new PromoteError("ERR_CONFIG", `known_hosts check failed: ${String(error)}`, { cause: error }));
        verify(false);
      });
  };
}

export interface JumpChain {
  /** The channel to the final host: give it to ssh2 as `sock`. */
  sock: Duplex;
  close(): void;
}

/** Connects through each hop in turn and opens a forwarded channel to `to` from the last. */
export async function openJumpChain(hops: readonly HopEndpoint[], to: { host: string; port: number }): Promise<JumpChain> {
  const clients: Client[] = [];
  const close = (): void => {
    for (const client of clients.reverse()) client.end();
  };
  let sock: Duplex | undefined;
  try {
    for (const [index, hop] of hops.entries()) {
      const client = new Client();
      clients.push(client);
      await connectHop(client, hop, sock);
      const next = hops[index + 1] ?? to;
      sock = await new Promise<Duplex>((resolve, reject) =>
        client.forwardOut("127.0.0.1", 0, next.host, next.port, (error, channel) => {
          if (error) reject(new PromoteError("ERR_SSH_CONNECT", `jump host ${where(hop)} cannot reach ${next.host}:${next.port}: ${error.message}`, { cause: error }));
          else resolve(channel);
        }),
      );
    }
  } catch (error) {
    close();
    throw error;
  }
  return { sock: sock!, close };
}

function connectHop(client: Client, hop: HopEndpoint, sock: Duplex | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let refused: PromoteError | undefined;
    void authAttempts(hop).then((attempts) => {
      const config: ConnectConfig = {
        host: hop.host,
        port: hop.port,
        username: hop.user,
        readyTimeout: hop.readyTimeoutMs ?? 20_000,
        hostVerifier: hostVerifier(hop, (error) => (refused = error)),
        ...(attempts === undefined ? {} : { authHandler: attempts }),
        ...(sock === undefined ? {} : { sock }),
        ...(hop.keepaliveIntervalMs === undefined ? {} : { keepaliveInterval: hop.keepaliveIntervalMs }),
      } as ConnectConfig;
      client.once("ready", () => resolve());
      client.once("error", (error: Error) => {
        if (refused !== undefined) return reject(refused);
        if (/authentication methods failed/i.test(error.message)) {
          return reject(new PromoteError("ERR_SSH_AUTH", `cannot connect to jump host ${where(hop)}: authentication failed (no key was accepted)`, { cause: error }));
        }
        const reason = connectFailureReason(error);
        reject(new PromoteError(reason.transient ? "ERR_UNAVAILABLE" : "ERR_SSH_CONNECT", `cannot connect to jump host ${where(hop)}: ${reason.text}`, { cause: error }));
      });
      client.connect(config);
    });
  });
}

function where(hop: HopEndpoint): string {
  return `${hop.user}@${hop.host}:${hop.port}`;
}
