// What a target's metadata looks like now, against what a promotion's plan expects of it.
import { createHash } from "node:crypto";
import type { Transport } from "../transport/transport.js";
import type { Plan } from "../plan/plan-types.js";

/** sha256 of a (metadata) file on the target, or null when there is none. */
export async function sha256OnTarget(target: Transport, path: string): Promise<string | null> {
  const bytes = await target.readFile(path, 64 * 1024 * 1024);
  return bytes === undefined ? null : createHash("sha256").update(bytes).digest("hex");
}

/**
 * The first metadata file the plan writes that is now neither the file it replaces nor the one
 * it writes: someone else changed it (a writer that ignored the lock, or a later promotion).
 * Committing over it, or rolling back to before it, would drop that writer's versions.
 */
export async function metadataChangedBehindPlan(target: Transport, plan: Plan): Promise<string | undefined> {
  for (const entry of plan.metadata.filter((candidate) => candidate.changed)) {
    const now = await sha256OnTarget(target, entry.path);
    if (now !== entry.targetSha256 && now !== entry.digests.sha256) return entry.path;
  }
  return undefined;
}
