// A settings.xml server's <filePermissions> and <directoryPermissions>, applied as wagon-ssh
// applies them: every file uploaded gets the file mode, every directory the upload creates the
// directory mode (directories that were there already are left as they are). Only numeric modes
// are understood, as by wagon-ssh's sftp; setuid, setgid and sticky bits are refused here (a
// setgid parent directory hands its bit down to new directories by itself).
import { PromoteError } from "../errors.js";

export interface TargetPermissions {
  file?: number;
  directory?: number;
}

/** The octal mode written in a settings.xml field ("664", "0775"), or a one-line error naming the file and server. */
export function parseMode(text: string, field: "filePermissions" | "directoryPermissions", where: { file: string; id: string }): number {
  if (!/^0?[0-7]{3}$/.test(text)) {
    const reason = /^[0-7]{4}$/.test(text) ? "setuid, setgid and sticky bits are not applied (a setgid parent passes its bit to new directories)" : "expected an octal mode such as 664 or 775";
    throw new PromoteError("ERR_CONFIG", `${where.file}: <server> ${where.id}: <${field}>${text}</${field}>: ${reason}`, { path: where.file });
  }
  return Number.parseInt(text, 8);
}

/** The umask under which a process creates directories with exactly `directory` (its other bits cleared). */
export function umaskFor(directory: number): string {
  return (0o777 & ~directory).toString(8).padStart(4, "0");
}
