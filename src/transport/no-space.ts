// A full disk, told apart from other write failures (issue 17, part 2). It reaches us three ways:
// locally as errno ENOSPC (no blocks, or no inodes, left) or EDQUOT (the user's quota); from the
// server's commands as their text ("No space left on device" from coreutils and perl, unzip's
// exit 50); and over SFTP not at all: OpenSSH's sftp-server maps every errno it has no SSH_FX_
// code for, ENOSPC included, to SSH_FX_FAILURE ("Failure"). So a failed SFTP write is explained
// afterwards, by asking statvfs@openssh.com how full the disk is.
import { PromoteError } from "../errors.js";

/** What a target's file system has left for the user writing to it. */
export interface FreeSpace {
  bytes: number;
  /** Free inodes; undefined where the file system does not count them. */
  inodes: number | undefined;
}

export const NO_SPACE_ERRNOS: ReadonlySet<string> = new Set(["ENOSPC", "EDQUOT"]);

/** How commands on the server say it (strerror(ENOSPC) and strerror(EDQUOT)). */
export const NO_SPACE_TEXT = /No space left on device|Disk quota exceeded/i;

/**
 * Below this much free space a write the server refused is taken for a full disk: an upload has
 * up to 1 MiB of writes in flight per file, so a disk that refused one is left with less.
 */
const NEARLY_FULL_BYTES = 1024 * 1024;

export function looksFull(space: FreeSpace): boolean {
  return space.bytes < NEARLY_FULL_BYTES || space.inodes === 0;
}

/** "0 bytes free", "no inode free": what was left when a write was refused. */
export function describeFreeSpace(space: FreeSpace): string {
  return space.inodes === 0 ? "no inode free" : `${space.bytes} bytes free`;
}

/** The one line a full disk gives: the target, "no space left", and what could not be done. */
export function noSpaceError(location: string, what: string, options: { path?: string; cause?: unknown } = {}): PromoteError {
  return new PromoteError("ERR_NO_SPACE", `${location}: no space left on the device (${what})`, options);
}

