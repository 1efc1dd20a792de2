// Telling a connection failure that may pass if tried again (exit 75) from one that will not.

/**
 * Why a connection failed, and whether trying again later may help (exit 75): refused, reset,
 * timed out, unreachable, a name server that did not answer, or a server that dropped the
 * connection before the handshake (sshd's MaxStartups when busy). A name that does not exist won't.
 */
export function connectFailureReason(error: unknown): { text: string; transient: boolean } {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code ?? "";
  const has = (pattern: RegExp) => pattern.test(message) || pattern.test(code);
  if (has(/ECONNREFUSED/)) return { text: "connection refused", transient: true };
  if (has(/ENOTFOUND/)) return { text: "host not found", transient: false };
  if (has(/EAI_AGAIN/)) return { text: "host not found (the name server did not answer)", transient: true };
  if (has(/Timed out|ETIMEDOUT/i)) return { text: "timed out", transient: true };
  if (has(/ECONNRESET/)) return { text: "connection reset", transient: true };
  if (has(/EHOSTUNREACH|ENETUNREACH/)) return { text: "host unreachable", transient: true };
  if (has(/before handshake|Connection lost|ECONNABORTED|EPIPE/i)) return { text: "the server closed the connection before the SSH handshake (busy?)", transient: true };
  // ssh2-sftp-client's words for a connection that ended in the middle of the handshake or login.
  if (has(/Unexpected (end|close) event/i)) return { text: "the connection ended during the SSH handshake", transient: true };
  if (has(/Keepalive timeout/i)) return { text: "the link stalled during the SSH handshake (no answer to keepalives)", transient: true };
  return { text: message.split("\n")[0]!.replace(/^connect: /, "").slice(0, 200), transient: false };
}
