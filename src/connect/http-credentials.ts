// Who an http(s) stage is read as: a settings.xml <server>, else ~/.netrc.
import type { MavenServer } from "./maven-settings.js";
import { netrcCredentials } from "./netrc.js";

/** The credentials for an http(s) stage, and where they came from: a settings.xml <server> (--from-server-id), else ~/.netrc's entry for the host. */
export function httpCredentials(url: string, server: MavenServer | undefined, env: NodeJS.ProcessEnv): { username?: string; password?: string; source?: "settings.xml" | "netrc" } {
  if (server !== undefined) {
    return { ...(server.username === undefined ? {} : { username: server.username }), ...(server.password === undefined ? {} : { password: server.password }), source: "settings.xml" };
  }
  const netrc = netrcCredentials(new URL(url).hostname, env);
  if (netrc === undefined) return {};
  return { ...(netrc.login === undefined ? {} : { username: netrc.login }), ...(netrc.password === undefined ? {} : { password: netrc.password }), source: "netrc" };
}
