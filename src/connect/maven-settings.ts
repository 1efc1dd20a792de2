// The <server> entries of Maven's settings.xml, as Maven reads them: the user file
// (~/.m2/settings.xml or --settings) merged over the global one ($MAVEN_HOME/conf/settings.xml or
// --global-settings), the user's entry winning per id; ${env.NAME} and ${user.home} interpolated;
// encrypted values ("{…}") decrypted with the master password of settings-security.xml.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { PromoteError } from "../errors.js";
import { parseMode, type TargetPermissions } from "../transport/permissions.js";
import { childElements, parseXml, textOf, type XmlElement } from "../maven/xml-tree.js";
import { MASTER_PASSWORD_KEY, decryptValue, encryptedPart } from "./settings-cipher.js";

export interface MavenServer {
  id: string;
  /** The settings file the entry came from (for messages and `where from`). */
  file: string;
  username?: string;
  password?: string;
  privateKey?: string;
  passphrase?: string;
  filePermissions?: string;
  directoryPermissions?: string;
}

export interface SettingsLocations {
  /** Default ~/.m2/settings.xml. */
  settings?: string;
  /** Default $MAVEN_HOME/conf/settings.xml when MAVEN_HOME is set. */
  globalSettings?: string;
  /** Default ~/.m2/settings-security.xml. */
  settingsSecurity?: string;
}

const FIELDS = ["username", "password", "privateKey", "passphrase", "filePermissions", "directoryPermissions"] as const;
const ENCRYPTABLE = new Set(["password", "passphrase"]);

/** The server with this id, decrypted; an unknown id is an error naming the files searched. */
export function findServer(id: string, option: string, locations: SettingsLocations, env: NodeJS.ProcessEnv): MavenServer {
  const userFile = locations.settings ?? join(homedir(), ".m2", "settings.xml");
  const globalFile = locations.globalSettings ?? (env.MAVEN_HOME ? join(env.MAVEN_HOME, "conf", "settings.xml") : undefined);
  const files = [userFile, ...(globalFile === undefined ? [] : [globalFile])];
  // The user file first: its entry wins (Maven's SettingsUtils.merge keeps the dominant id).
  for (const file of files) {
    const server = readServers(file, locations.settings !== undefined && file === userFile, env).get(id);
    if (server !== undefined) {
      serverPermissions(server); // a bad mode is one line naming the file and the entry, before anything connects
      return decryptServer(server, locations, env);
    }
  }
  throw new PromoteError("ERR_CONFIG", `${option} ${id}: no <server> with that id in ${files.join(" or ")}`, { path: option });
}

function readServers(file: string, mustExist: boolean, env: NodeJS.ProcessEnv): Map<string, MavenServer> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !mustExist) return new Map();
    throw new PromoteError("ERR_CONFIG", `${file}: cannot read the Maven settings (${code ?? String(error)})`, { path: file });
  }
  const root = parseXml(bytes, { path: file, errorCode: "ERR_CONFIG" });
  if (root.name !== "settings") throw new PromoteError("ERR_CONFIG", `${file}: not a Maven settings file (its root element is <${root.name}>)`, { path: file });
  const servers = new Map<string, MavenServer>();
  for (const serversElement of childElements(root, "servers")) {
    for (const element of childElements(serversElement, "server")) {
      const id = single(element, "id", file);
      if (id === undefined) throw new PromoteError("ERR_CONFIG", `${file}: a <server> has no <id>`, { path: file });
      const server: MavenServer = { id, file };
      for (const field of FIELDS) {
        const value = single(element, field, file);
        if (value !== undefined) server[field] = interpolate(value, env);
      }
      if (!servers.has(id)) servers.set(id, server);
    }
  }
  return servers;
}

function single(element: XmlElement, name: string, file: string): string | undefined {
  const found = childElements(element, name);
  if (found.length > 1) throw new PromoteError("ERR_CONFIG", `${file}: <${element.name}> has ${found.length} <${name}> elements`, { path: file });
  return found[0] === undefined ? undefined : textOf(found[0]).trim();
}

/** ${env.NAME} and ${user.home}; anything else, or an unset variable, stays as written (as in Maven). */
function interpolate(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{(env\.([A-Za-z_][A-Za-z0-9_]*)|user\.home)\}/g, (whole, _key: string, name: string | undefined) => {
    if (name === undefined) return homedir();
    return env[name] ?? whole;
  });
}

function decryptServer(server: MavenServer, locations: SettingsLocations, env: NodeJS.ProcessEnv): MavenServer {
  const decrypted: MavenServer = { ...server };
  let master: { password: string; file: string } | undefined;
  for (const field of FIELDS) {
    const value = server[field];
    if (value === undefined || !ENCRYPTABLE.has(field) || encryptedPart(value) === undefined) continue;
    master ??= masterPassword(locations, env);
    try {
      decrypted[field] = decryptValue(value, master.password);
    } catch {
      throw new PromoteError("ERR_CONFIG", `${server.file}: cannot decrypt the ${field} of server ${server.id} with the master password of ${master.file} (is it the right master password?)`, { path: server.file });
    }
  }
  return decrypted;
}

/** The decrypted master password; settings-security.xml may point elsewhere with <relocation>. */
function masterPassword(locations: SettingsLocations, env: NodeJS.ProcessEnv): { password: string; file: string } {
  let file = locations.settingsSecurity ?? join(homedir(), ".m2", "settings-security.xml");
  for (let hops = 0; hops < 8; hops++) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      throw new PromoteError("ERR_CONFIG", `${file}: cannot read the master password (${(error as NodeJS.ErrnoException).code ?? String(error)}); encrypted settings need it`, { path: file });
    }
    const root = parseXml(bytes, { path: file, errorCode: "ERR_CONFIG" });
    const relocation = single(root, "relocation", file);
    if (relocation !== undefined && relocation !== "") {
      file = resolve(interpolate(relocation, env));
      continue;
    }
    const master = single(root, "master", file);
    if (master === undefined) throw new PromoteError("ERR_CONFIG", `${file}: has no <master> password`, { path: file });
    try {
      return { password: decryptValue(master, MASTER_PASSWORD_KEY), file };
    } catch {
      throw new PromoteError("ERR_CONFIG", `${file}: the <master> password cannot be decrypted (was it made by mvn --encrypt-master-password?)`, { path: file });
    }
  }
  throw new PromoteError("ERR_CONFIG", `${file}: too many <relocation> steps (a loop?)`, { path: file });
}

/** The modes a server's <filePermissions> and <directoryPermissions> give (checked when read). */
export function serverPermissions(server: MavenServer | undefined): TargetPermissions | undefined {
  if (server === undefined || (server.filePermissions === undefined && server.directoryPermissions === undefined)) return undefined;
  return {
    ...(server.filePermissions === undefined ? {} : { file: parseMode(server.filePermissions, "filePermissions", server) }),
    ...(server.directoryPermissions === undefined ? {} : { directory: parseMode(server.directoryPermissions, "directoryPermissions", server) }),
  };
}
