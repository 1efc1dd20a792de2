// The library's public functions. They never print and never exit: they return results and
// report progress through an optional event callback. The CLI is one caller; tests are another.
import { PromoteError } from "./errors.js";
import type { DigestAlgorithm } from "./integrity/digests.js";
import type { Signer, TrustedKeys } from "./integrity/pgp.js";
import type { MetadataMode } from "./maven/metadata-merge.js";
import { createPlan } from "./promotion/plan.js";
import type { Plan } from "./promotion/plan-types.js";
import { LocalTransport } from "./transport/local-transport.js";
import { parseLocation } from "./transport/location.js";
import type { Transport } from "./transport/transport.js";

export type PromoteEvent = { type: "phase:start"; phase: string } | { type: "phase:end"; phase: string };

export interface PlanOptions {
  /** The staging repository: a path or file:// URL. */
  from: string;
  /** The target repository: a path or file:// URL. */
  to: string;
  metadataMode?: MetadataMode;
  checksums?: readonly DigestAlgorithm[];
  signer?: Signer;
  trustedKeys?: TrustedKeys;
  requireSignatures?: boolean;
  requireMetadataSignatures?: boolean;
  now?: Date;
  onEvent?: (event: PromoteEvent) => void;
}

/** Computes what promoting `from` into `to` would do. Reads both repositories; writes nothing. */
export async function plan(options: PlanOptions): Promise<Plan> {
  const source = parseLocation(options.from, "--from");
  if (source.kind !== "local") {
    throw new PromoteError("ERR_CONFIG", `--from ${options.from}: only local staging repositories are supported so far`, { path: "--from" });
  }
  const target = await openTarget(options.to);
  try {
    options.onEvent?.({ type: "phase:start", phase: "plan" });
    const result = await createPlan({
      stagingDirectory: source.path,
      source: options.from,
      target,
      ...(options.metadataMode === undefined ? {} : { mode: options.metadataMode }),
      ...(options.checksums === undefined ? {} : { checksums: options.checksums }),
      ...(options.signer === undefined ? {} : { signer: options.signer }),
      ...(options.trustedKeys === undefined ? {} : { trustedKeys: options.trustedKeys }),
      requireSignatures: options.requireSignatures ?? false,
      requireMetadataSignatures: options.requireMetadataSignatures ?? false,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    options.onEvent?.({ type: "phase:end", phase: "plan" });
    return result;
  } finally {
    await target.close();
  }
}

async function openTarget(text: string): Promise<Transport> {
  const location = parseLocation(text, "--to");
  if (location.kind !== "local") {
    throw new PromoteError("ERR_CONFIG", `--to ${text}: only local target repositories are supported so far`, { path: "--to" });
  }
  const transport = new LocalTransport(location.path, text);
  if ((await transport.stat(""))?.type !== "directory") {
    throw new PromoteError("ERR_REPOSITORY_NOT_FOUND", `--to ${text}: target repository ${location.path} is not a directory`, { path: "--to" });
  }
  return transport;
}
