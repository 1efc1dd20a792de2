import { createHash } from "node:crypto";
import type { Transport } from "../transport/transport.js";

/** sha256 of a (metadata) file on the target, or null when there is none. */
export async function sha256OnTarget(target: Transport, path: string): Promise<string | null> {
  const bytes = await target.readFile(path, 64 * 1024 * 1024);
  return bytes === undefined ? null : createHash("sha256").update(bytes).digest("hex");
}
