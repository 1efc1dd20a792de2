// Parsing the locations users write for --from and --to: `/path`, `file:///path`, and
// `sftp://[user@]host[:port]/absolute/path` (host may be an alias of ~/.ssh/config, which may
// give the user and port too).
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PromoteError } from "../errors.js";

export type Location =
  | { kind: "local"; path: string; text: string }
  | { kind: "sftp"; user?: string; host: string; port?: number; path: string; text: string }
  | { kind: "http"; url: string; text: string };

export function parseLocation(text: string, option: string): Location {
  const bad = (reason: string): never => {
    throw new PromoteError("ERR_CONFIG", `${option} ${JSON.stringify(text)}: ${reason}`, { path: option });
  };
  if (text.trim() === "") bad("is empty");
  if (/[\u0000-\u001f]/.test(text)) bad("contains control characters");
  if (text.startsWith("file:")) {
    let path: string;
    try {
      path = fileURLToPath(text);
    } catch (error) {
      return bad(`is not a valid file URL (${(error as Error).message})`);
    }
    return { kind: "local", path, text };
  }
  if (text.startsWith("sftp:")) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return bad("is not a valid sftp URL; write sftp://user@host[:port]/absolute/path");
    }
    if (url.password !== "") bad("must not contain a password; use --identity or ssh-agent");
    if (url.hostname === "") bad("names no host");
    const path = decodeURIComponent(url.pathname);
    if (!path.startsWith("/") || path === "/") bad("needs an absolute repository path after the host");
    return {
      kind: "sftp",
      host: url.hostname,
      path,
      text,
      ...(url.username === "" ? {} : { user: decodeURIComponent(url.username) }),
      ...(url.port === "" ? {} : { port: Number(url.port) }),
    };
  }
  if (/^https?:\/\//i.test(text)) {
    // A stage only: a web server's listing is read, never written.
    if (option !== "--from") bad("is an HTTP URL; a target must be a path, file:// or sftp:// (HTTP(S) is for --from)");
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return bad("is not a valid URL");
    }
    if (url.username !== "" || url.password !== "") bad("must not contain credentials; use --from-server-id");
    if (url.search !== "" || url.hash !== "") bad("must not have a query or a fragment");
    return { kind: "http", url: url.href, text };
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) bad("uses an unsupported scheme; use a path, file://, sftp:// or (for --from) http(s)://");
  return { kind: "local", path: isAbsolute(text) ? resolve(text) : resolve(process.cwd(), text), text };
}
