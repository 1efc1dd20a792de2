// The plan's warning that the target's disk is too full for the promotion (issue 17, part 2):
// what it writes (every upload, plus the backups its commit makes of the files it replaces)
// against what the target's file system has free. Where the target cannot tell (an SFTP server
// without statvfs@openssh.com), there is no warning. Backups are counted as copies: they are
// hard links where the server can make them, so this errs on the side of warning.
import { formatBytes } from "../cli/format.js";
import { CHECKSUM_EXTENSIONS } from "../integrity/digests.js";
import { SIGNATURE_EXTENSION } from "../maven/repository-path.js";
import type { Transport } from "../transport/transport.js";
import type { MetadataPlan, UploadPlan, Warning } from "./plan-types.js";

export async function freeSpaceWarning(target: Transport, uploads: readonly UploadPlan[], metadata: readonly MetadataPlan[]): Promise<Warning | undefined> {
  const space = await target.freeSpace?.().catch(() => undefined);
  if (space === undefined) return undefined;
  const uploadBytes = uploads.reduce((sum, upload) => sum + upload.size, 0);
  const backups = await existingSizes(target, backedUpPaths(uploads, metadata));
  const backupBytes = backups.reduce((sum, size) => sum + size, 0);
  const needed = uploadBytes + backupBytes;
  // Each file written, and each backup link, takes an inode as well.
  const files = uploads.length + backups.length;
  const shortOfBytes = space.bytes < needed;
  const shortOfInodes = space.inodes !== undefined && space.inodes < files;
  if (!shortOfBytes && !shortOfInodes) return undefined;
  // Exact bytes where rounding would print the same figure twice ("1.4 KiB free, less than 1.4 KiB").
  const size = formatBytes(space.bytes) === formatBytes(needed) ? (bytes: number) => `${bytes} bytes` : formatBytes;
  const free = shortOfBytes ? `${size(space.bytes)} free` : `${space.inodes} inodes free`;
  const wanted = shortOfBytes
    ? `the ${size(needed)} this promotion writes (uploads ${formatBytes(uploadBytes)}, backups ${formatBytes(backupBytes)})`
    : `the ${files} files this promotion writes`;
  return { path: "", message: `${target.location}: ${free}, less than ${wanted}; it will stop with "no space left" unless space is freed first` };
}

/** The target files the commit backs up (rename-list.ts, step 2) if they exist. */
function backedUpPaths(uploads: readonly UploadPlan[], metadata: readonly MetadataPlan[]): string[] {
  const paths = uploads.filter((upload) => upload.replaces === true).map((upload) => upload.path);
  for (const entry of metadata) {
    if (!entry.changed || !entry.targetExists) continue;
    paths.push(entry.path, ...Object.values(CHECKSUM_EXTENSIONS).map((extension) => entry.path + extension), entry.path + SIGNATURE_EXTENSION);
  }
  return paths;
}

async function existingSizes(target: Transport, paths: readonly string[]): Promise<number[]> {
  const sizes: number[] = [];
  for (const path of paths) {
    const info = await target.stat(path);
    if (info?.type === "file") sizes.push(info.size);
  }
  return sizes;
}
