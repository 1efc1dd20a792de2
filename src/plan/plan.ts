// The plan phase: everything is read (the stage, the target's matching metadata and versions),
// nothing is written. Expected failures are collected as problems in the plan, so that one run
// reports every one of them; only configuration errors throw.
import type { Problem } from "../errors.js";
import { CHECKSUM_EXTENSIONS, type DigestAlgorithm } from "../integrity/digests.js";
import type { Signer, TrustedKeys } from "../integrity/pgp.js";
import type { MetadataMode } from "../maven/metadata-merge.js";
import { SIGNATURE_EXTENSION, dirname } from "../maven/repository-path.js";
import { DEFAULT_MAX_XML_BYTES } from "../maven/xml-tree.js";
import { withReadAhead } from "../transport/read-many.js";
import type { Transport } from "../transport/transport.js";
import type { Policy } from "../policy/policy.js";
import { inspectStage } from "./inspect-stage.js";
import type { ParentPomSource } from "../policy/central-rules.js";
import { parsePomDescription } from "../maven/pom.js";
import { metadataPathsOf, planMetadata } from "./plan-metadata.js";
import { PLAN_FORMAT, type MetadataPlan, type Plan, type UploadPlan } from "./plan-types.js";
import { planVersions } from "./plan-versions.js";
import { freeSpaceWarning } from "./free-space-warning.js";
import { mavenTimestamp, newPromotionId } from "./promotion-id.js";
import type { classifyStagedFiles } from "./staging-layout.js";

export interface PlanInput {
  /** The staging repository's local directory (an SFTP stage is fetched here first). */
  stagingDirectory: string;
  /** How the staging repository was named by the user, for the report. */
  source?: string;
  target: Transport;
  mode?: MetadataMode;
  /** Checksums written for merged metadata and for staged artifacts that have none (md5 and sha1 always). */
  checksums?: readonly DigestAlgorithm[];
  signer?: Signer;
  trustedKeys?: TrustedKeys;
  requireSignatures?: boolean;
  requireMetadataSignatures?: boolean;
  /** Extra rules the stage must meet (--policy; default: none). */
  policy?: Policy;
  maxMetadataBytes?: number;
  /** Told how many of the staged bytes are digested so far (for a progress display). */
  onDigestProgress?: (loaded: number, total: number) => void;
  /** The promotion's start time (tests pin it). */
  now?: Date;
  id?: string;
}

/** The checksums a plan gives every artifact: md5 and sha1 always, and those asked for. */
export function planChecksums(asked: readonly DigestAlgorithm[] = []): DigestAlgorithm[] {
  return [...new Set<DigestAlgorithm>(["md5", "sha1", ...asked])];
}

export async function createPlan(input: PlanInput): Promise<Plan> {
  const now = input.now ?? new Date();
  const lastUpdated = mavenTimestamp(now);
  const checksums = planChecksums(input.checksums);
  const problems: Problem[] = [];

  // Everything the plan will ask the target, asked at once (a few round trips for any release),
  // and as soon as the stage's paths are known: while the digests are made.
  const maxMetadataBytes = input.maxMetadataBytes ?? DEFAULT_MAX_XML_BYTES;
  const ahead = withReadAhead(input.target);
  let prefetched: Promise<void> | undefined;
  const stage = await inspectStage({
    onScanned: (layout, files) => {
      prefetched = ahead.prefetch(targetPathsOf(layout, files.map((file) => file.path), maxMetadataBytes));
      prefetched.catch(() => undefined); // awaited below, once the stage is inspected
    },
    stagingDirectory: input.stagingDirectory,
    checksums,
    ...(input.source === undefined ? {} : { source: input.source }),
    ...(input.trustedKeys === undefined ? {} : { trustedKeys: input.trustedKeys }),
    ...(input.requireSignatures === undefined ? {} : { requireSignatures: input.requireSignatures }),
    ...(input.policy === undefined ? {} : { policy: input.policy }),
    findParent: parentPomsOn(input.target),
    ...(input.onDigestProgress === undefined ? {} : { onDigestProgress: input.onDigestProgress }),
  });
  problems.push(...stage.problems);
  const { layout, digests } = stage;

  await (prefetched ?? ahead.prefetch(targetPathsOf(layout, stage.files.map((file) => file.path), maxMetadataBytes)));
  const target = ahead.transport;

  const versions = await planVersions(layout, digests, stage.generated, target);
  problems.push(...versions.problems);
  const metadata = await planMetadata({
    layout,
    target,
    mode: input.mode ?? "computed",
    lastUpdated,
    checksums,
    signer: input.signer,
    requireMetadataSignatures: input.requireMetadataSignatures ?? false,
    maxMetadataBytes,
  });
  problems.push(...metadata.problems);

  const uploads = [...versions.uploads, ...metadata.metadata.flatMap(metadataUploads)];
  const tooFull = await freeSpaceWarning(target, uploads, metadata.metadata);
  return {
    format: PLAN_FORMAT,
    id: input.id ?? newPromotionId(now),
    createdAt: now.toISOString(),
    lastUpdated,
    source: input.source ?? input.stagingDirectory,
    target: input.target.location,
    mode: input.mode ?? "computed",
    ok: problems.length === 0,
    errors: sortProblems(problems),
    warnings: [...stage.warnings, ...metadata.warnings, ...(tooFull === undefined ? [] : [tooFull])],
    metadata: metadata.metadata,
    versions: versions.versions,
    uploads,
    removals: metadata.removals,
    createdDirectories: await directoriesToCreate(target, uploads.map((upload) => upload.path)),
    skipped: versions.skipped,
    signatures: {
      verified: input.trustedKeys === undefined ? 0 : [...layout.sidecars.values()].filter((sidecars) => sidecars.signature).length,
      metadataSigned: input.signer !== undefined,
      signingKey: input.signer?.fingerprint ?? null,
    },
  };
}

/** A parent POM the stage does not hold, read from the target (released parents are usually there already). */
function parentPomsOn(target: Transport): ParentPomSource {
  return async ({ groupId, artifactId, version }) => {
    if (![groupId, artifactId, version].every((part) => /^[A-Za-z0-9._~+-]+$/.test(part) && part !== "." && part !== "..")) return undefined;
    const path = `${groupId.replace(/\./g, "/")}/${artifactId}/${version}/${artifactId}-${version}.pom`;
    const bytes = await target.readFile(path, DEFAULT_MAX_XML_BYTES).catch(() => undefined);
    if (bytes === undefined) return undefined;
    try {
      return parsePomDescription(bytes, `target ${path}`);
    } catch {
      return undefined; // a parent that does not parse settles nothing
    }
  };
}

/**
 * What planning reads of the target: each staged version directory and every directory above a
 * staged file (stat), each metadata file and its checksum files (read), its signature (stat).
 */
function targetPathsOf(layout: ReturnType<typeof classifyStagedFiles>, stagedPaths: readonly string[], maxBytes: number) {
  const stat = new Set<string>([...layout.versions.values()].map((version) => version.path));
  for (const path of stagedPaths) for (let directory = dirname(path); directory !== ""; directory = dirname(directory)) stat.add(directory);
  const read: string[] = [];
  for (const path of metadataPathsOf(layout)) {
    read.push(path, ...Object.values(CHECKSUM_EXTENSIONS).map((extension) => path + extension));
    stat.add(path + SIGNATURE_EXTENSION);
  }
  return { stat: [...stat], read, maxBytes };
}

/** A changed metadata file goes up with its checksums and, when signing, its signature. */
function metadataUploads(plan: MetadataPlan): UploadPlan[] {
  if (!plan.changed) return [];
  const uploads: UploadPlan[] = [{ path: plan.path, size: plan.size, kind: "metadata", origin: "merged", content: plan.content }];
  for (const algorithm of plan.checksums) {
    const content = plan.digests[algorithm]!;
    uploads.push({ path: plan.path + CHECKSUM_EXTENSIONS[algorithm], size: content.length, kind: "checksum", origin: "merged", content });
  }
  if (plan.signatureContent !== undefined) {
    uploads.push({ path: plan.path + SIGNATURE_EXTENSION, size: Buffer.byteLength(plan.signatureContent), kind: "signature", origin: "merged", content: plan.signatureContent });
  }
  return uploads;
}

/**
 * The directories above the uploads that the target lacks: rollback and a withdrawn upload
 * remove them again (when empty), so that the target ends as it began.
 */
async function directoriesToCreate(target: Transport, paths: readonly string[]): Promise<string[]> {
  const known = new Map<string, boolean>();
  const exists = async (directory: string): Promise<boolean> => {
    if (!known.has(directory)) known.set(directory, (await target.stat(directory)) !== undefined);
    return known.get(directory)!;
  };
  const created = new Set<string>();
  for (const path of paths) {
    for (let directory = dirname(path); directory !== "" && !(await exists(directory)); directory = dirname(directory)) created.add(directory);
  }
  return [...created].sort((a, b) => b.split("/").length - a.split("/").length || (a < b ? -1 : 1));
}

function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
