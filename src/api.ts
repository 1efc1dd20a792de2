// The library's public functions. They never print and never exit: they return results and
// report progress through an optional event callback. The CLI is one caller; tests are another.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DigestAlgorithm } from "./integrity/digests.js";
import type { Signer, TrustedKeys } from "./integrity/pgp.js";
import type { MetadataMode } from "./maven/metadata-merge.js";
import type { PhaseName } from "./promotion/phases.js";
import { createPlan, type PlanInput } from "./promotion/plan.js";
import type { Plan } from "./promotion/plan-types.js";
import { promote as runPromotion, type PromoteResult, type PromotionEvent } from "./promotion/promote.js";
import { verifyRepository, type VerifyRepositoryResult } from "./promotion/verify-repository.js";
import { downloadTree } from "./transport/download-tree.js";
import { parseLocation } from "./transport/location.js";
import { openTransport, type OpenedTransport, type SshSettings } from "./transport/open-transport.js";

export type PromoteEvent = PromotionEvent | { type: "fetch:done"; files: number };

export interface PlanOptions {
  /** The staging repository: a path, file:// URL or sftp://user@host[:port]/path. */
  from: string;
  /** The target repository: a path, file:// URL or sftp://user@host[:port]/path. */
  to: string;
  metadataMode?: MetadataMode;
  checksums?: readonly DigestAlgorithm[];
  signer?: Signer;
  trustedKeys?: TrustedKeys;
  requireSignatures?: boolean;
  requireMetadataSignatures?: boolean;
  /** SSH settings for sftp:// locations. */
  ssh?: SshSettings;
  now?: Date;
  onEvent?: (event: PromoteEvent) => void;
}

export interface PromoteOptions extends PlanOptions {
  dryRun?: boolean;
  executor?: "auto" | "shell" | "transport";
  beforePhase?: (phase: PhaseName, plan: Plan) => Promise<boolean | void> | boolean | void;
}

/** Computes what promoting `from` into `to` would do. Reads both repositories; writes nothing. */
export async function plan(options: PlanOptions): Promise<Plan> {
  return withRepositories(options, async (stagingDirectory, target) => createPlan(planInput(options, stagingDirectory, target)));
}

/** Promotes `from` into `to`: plan, stage, upload, commit, verify, finish. */
export async function promote(options: PromoteOptions): Promise<PromoteResult> {
  return withRepositories(options, async (stagingDirectory, target) =>
    runPromotion({
      ...planInput(options, stagingDirectory, target),
      remoteRoot: target.root,
      ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
      ...(options.executor === undefined ? {} : { executor: options.executor }),
      ...(options.beforePhase === undefined ? {} : { beforePhase: options.beforePhase }),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    }),
  );
}

export interface VerifyOptions {
  to: string;
  paths?: readonly string[];
  trustedKeys?: TrustedKeys;
  ssh?: SshSettings;
}

/** Checks a target repository's metadata, checksums, signatures and listed versions. */
export async function verify(options: VerifyOptions): Promise<VerifyRepositoryResult> {
  const { transport } = await openTransport(options.to, "--to", options.ssh);
  try {
    return await verifyRepository({
      target: transport,
      ...(options.paths === undefined ? {} : { paths: options.paths }),
      ...(options.trustedKeys === undefined ? {} : { trustedKeys: options.trustedKeys }),
    });
  } finally {
    await transport.close();
  }
}

function planInput(options: PlanOptions, stagingDirectory: string, target: OpenedTransport): PlanInput {
  return {
    stagingDirectory,
    source: options.from,
    target: target.transport,
    ...(options.metadataMode === undefined ? {} : { mode: options.metadataMode }),
    ...(options.checksums === undefined ? {} : { checksums: options.checksums }),
    ...(options.signer === undefined ? {} : { signer: options.signer }),
    ...(options.trustedKeys === undefined ? {} : { trustedKeys: options.trustedKeys }),
    requireSignatures: options.requireSignatures ?? false,
    requireMetadataSignatures: options.requireMetadataSignatures ?? false,
    ...(options.now === undefined ? {} : { now: options.now }),
  };
}

/**
 * Opens the target, and makes the stage a local directory: a local stage is used where it is,
 * an SFTP stage is pulled into a temporary directory first (DESIGN.md, fetch).
 */
async function withRepositories<T>(options: PlanOptions, action: (stagingDirectory: string, target: OpenedTransport) => Promise<T>): Promise<T> {
  const source = parseLocation(options.from, "--from");
  const target = await openTransport(options.to, "--to", options.ssh);
  let fetched: string | undefined;
  try {
    let stagingDirectory: string;
    if (source.kind === "local") {
      stagingDirectory = source.path;
    } else {
      fetched = await mkdtemp(join(tmpdir(), "maven-promote-stage-"));
      stagingDirectory = join(fetched, "stage");
      const remote = await openTransport(options.from, "--from", options.ssh);
      try {
        const files = await downloadTree(remote.transport, stagingDirectory);
        options.onEvent?.({ type: "fetch:done", files });
      } finally {
        await remote.transport.close();
      }
    }
    return await action(stagingDirectory, target);
  } finally {
    await target.transport.close();
    if (fetched !== undefined) await rm(fetched, { recursive: true, force: true });
  }
}
