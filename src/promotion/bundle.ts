// The bundle: one zip holding every staged item under its .rip name plus the rename scripts,
// made while it is uploaded in one transfer, and unpacked in the target root with `unzip`.
// Files that are already compressed (jars and friends) are stored, not deflated: deflating them
// again costs time and saves nothing.
import type { Readable } from "node:stream";
import { ZipArchive } from "archiver";
import type { Plan } from "../plan/plan-types.js";
import type { StagedItem } from "./rename-list.js";

const ALREADY_COMPRESSED = /\.(jar|war|ear|aar|apk|zip|nbm|hpi|jpi|kar|gz|tgz|bz2|xz|zst|7z|png|jpe?g|gif|webp)$/i;

export interface BundleEntry {
  name: string;
  localPath?: string;
  content?: string;
}

/** The entries of a bundle: each staged item at its .rip path, then the extra files. */
export function bundleEntries(plan: Plan, items: readonly StagedItem[], extra: readonly BundleEntry[]): BundleEntry[] {
  const uploads = new Map(plan.uploads.map((upload) => [upload.path, upload]));
  const entries: BundleEntry[] = items.map((item) => {
    const upload = uploads.get(item.path)!;
    return upload.localPath !== undefined ? { name: item.ripPath, localPath: upload.localPath } : { name: item.ripPath, content: upload.content ?? "" };
  });
  return [...entries, ...extra];
}

/**
 * The zip as a stream, made while it is read: uploaded as it is zipped, a release is never
 * written to this machine's disk a second time. Errors (an unreadable file) end it with an error.
 */
export function bundleStream(entries: readonly BundleEntry[]): Readable {
  const archive = new ZipArchive({ zlib: { level: 6 } });
  for (const entry of entries) {
    const store = ALREADY_COMPRESSED.test(entry.name.replace(/\.rip$/, ""));
    const data = { name: entry.name, store, mode: 0o644 };
    if (entry.localPath !== undefined) archive.file(entry.localPath, data);
    else archive.append(Buffer.from(entry.content ?? "", "utf8"), data);
  }
  void archive.finalize().catch((error: unknown) => archive.destroy(error as Error));
  return archive;
}

/** What the bundle will weigh, roughly (for progress while it is still being made). */
export function estimatedBundleSize(entries: readonly BundleEntry[], sizeOf: (entry: BundleEntry) => number): number {
  return entries.reduce((sum, entry) => sum + sizeOf(entry) + 2 * (46 + Buffer.byteLength(entry.name)), 22);
}
