// What a target's metadata looks like now, against what a promotion's plan expects of it.
import { createHash } from "node:crypto";
import { probeMany } from "../transport/read-many.js";
import type { Transport } from "../transport/transport.js";
import type { Plan } from "../plan/plan-types.js";

const MAX_METADATA_READ = 64 * 1024 * 1024;

/** sha256 of a (metadata) file on the target, or null when there is none. */
export async function sha256OnTarget(target: Transport, path: string): Promise<string | null> {
  return (await sha256sOnTarget(target, [path])).get(path)!;
}

/** sha256 of many (metadata) files, read at once (src/transport/read-many.ts); null for none. */
export async function sha256sOnTarget(target: Transport, paths: readonly string[]): Promise<Map<string, string | null>> {
  const found = await probeMany(target, { stat: [], read: paths, maxBytes: MAX_METADATA_READ });
  const digests = new Map<string, string | null>();
  for (const path of paths) {
    const entry = found.get(path);
    // A file too large to fetch with the others is read on its own, and refused there.
    const bytes = entry?.stat?.type !== "file" ? undefined : (entry.content ?? (await target.readFile(path, MAX_METADATA_READ)));
    digests.set(path, bytes === undefined ? null : createHash("sha256").update(bytes).digest("hex"));
  }
  return digests;
}

/**
 * The first metadata file the plan writes that is now neither the file it replaces nor the one
 * it writes: someone else changed it (a writer that ignored the lock, or a later promotion).
 * Committing over it, or rolling back to before it, would drop that writer's versions.
 */
export async function metadataChangedBehindPlan(target: Transport, plan: Plan): Promise<string | undefined> {
  const changed = plan.metadata.filter((candidate) => candidate.changed);
  const now = await sha256sOnTarget(target, changed.map((entry) => entry.path));
  return changed.find((entry) => now.get(entry.path) !== entry.targetSha256 && now.get(entry.path) !== entry.digests.sha256)?.path;
}
