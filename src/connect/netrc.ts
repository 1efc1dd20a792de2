// ~/.netrc (or $NETRC) credentials for an HTTP stage, as curl and ftp read it: tokens separated
// by white space, `machine NAME login L password P`, `default` for any other host, `macdef`
// blocks skipped to the next blank line. The first matching machine wins.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface NetrcCredentials {
  login: string;
  password: string;
}

export function netrcCredentials(host: string, env: NodeJS.ProcessEnv): NetrcCredentials | undefined {
  const path = env.NETRC ?? join(homedir(), ".netrc");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined; // no .netrc: no credentials
  }
  text = text.replace(/^macdef[^\n]*\n(?:[^\n]+\n)*\n?/gm, ""); // a macro runs to the next empty line
  const tokens = text.split(/\s+/).filter((token) => token !== "");
  let fallback: NetrcCredentials | undefined;
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    if (token !== "machine" && token !== "default") continue;
    const name = token === "machine" ? tokens[++index] : undefined;
    const entry: Partial<NetrcCredentials> = {};
    while (index + 1 < tokens.length && tokens[index + 1] !== "machine" && tokens[index + 1] !== "default") {
      const key = tokens[++index];
      const value = tokens[++index];
      if (key === "login") entry.login = value;
      else if (key === "password") entry.password = value;
    }
    if (entry.login === undefined) continue;
    const credentials = { login: entry.login, password: entry.password ?? "" };
    if (name?.toLowerCase() === host.toLowerCase()) return credentials;
    if (token === "default") fallback ??= credentials;
  }
  return fallback;
}
