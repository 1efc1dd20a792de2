// The server's tar, for the bundle streamed into `tar -x` (DESIGN.md, phase upload). GNU tar and
// bsdtar read an archive from stdin as it arrives, take pax headers (long names), and agree on
// the flags used here; anything else (busybox, none at all) gets the zip bundle instead.
import type { Transport } from "../transport/transport.js";
import { umaskFor } from "../transport/permissions.js";

/** --unpack: how the shell executor's bundle reaches the disk. */
export type UnpackChoice = "auto" | "tar" | "zip";
export const UNPACK_CHOICES: readonly UnpackChoice[] = ["auto", "tar", "zip"];

export type TarFlavour = "gnu" | "bsdtar";

/** Which tar the server has that can unpack the stream, or undefined. */
export async function serverTar(target: Transport): Promise<TarFlavour | undefined> {
  if (!target.capabilities.exec || target.exec === undefined) return undefined;
  const answer = await target.exec("tar --version 2>/dev/null | head -n 1");
  if (answer.code !== 0) return undefined;
  if (/GNU tar/.test(answer.stdout)) return "gnu";
  if (/bsdtar/.test(answer.stdout)) return "bsdtar";
  return undefined;
}

/**
 * `tar -x` from stdin in the target root: -m every file's time is its arrival (as with an
 * upload), -p each file gets the mode stored in the tar (filePermissions, else 0644) whatever
 * the umask, -o never the owner stored in it. The directories it makes follow the umask, as
 * unzip's do: directoryPermissions, when set, become it.
 */
export function tarExtractCommand(directoryMode: number | undefined): string[] {
  const extract = ["tar", "-x", "-m", "-p", "-o", "-f", "-"];
  if (directoryMode === undefined) return extract;
  return ["sh", "-c", 'umask "$1" && shift && exec "$@"', "maven-promote-tar", umaskFor(directoryMode), ...extract];
}
