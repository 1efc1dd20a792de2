// The Plan: plain, serialisable data that says everything a promotion will do, computed with
// reads only (DESIGN.md, "plan first, then act"). `maven-promote plan` prints it; later phases
// execute it. Bump PLAN_FORMAT when a field changes meaning.
import type { Problem } from "../errors.js";
import type { DigestAlgorithm } from "../integrity/digests.js";
import type { BeforeAfter, MetadataMode } from "../maven/metadata-merge.js";
import type { MetadataKind, Plugin } from "../maven/metadata.js";

export const PLAN_FORMAT = 1;

export interface Warning {
  path: string;
  message: string;
  /** The policy rule that found it, for a policy's warnings. */
  rule?: string;
}

export interface Plan {
  format: typeof PLAN_FORMAT;
  /** UTC timestamp plus a random suffix, e.g. 20261121T101500Z-7f3a. */
  id: string;
  createdAt: string;
  /** `lastUpdated` of every metadata file this promotion writes (computed mode). */
  lastUpdated: string;
  source: string;
  target: string;
  mode: MetadataMode;
  /** True when nothing stands in the way: the promotion could proceed. */
  ok: boolean;
  errors: Problem[];
  warnings: Warning[];
  metadata: MetadataPlan[];
  versions: VersionPlan[];
  /** Every file the promotion writes, under its final name. */
  uploads: UploadPlan[];
  /** Target files the promotion removes (a stale `.asc` beside changed metadata). */
  removals: string[];
  /** Directories the promotion creates (none of them exists on the target when planned), deepest first. */
  createdDirectories: string[];
  /** Staged files that are already on the target, byte for byte, and are not uploaded. */
  skipped: Array<{ path: string; reason: string }>;
  signatures: { verified: number; metadataSigned: boolean; signingKey: string | null };
}

export interface MetadataPlan {
  path: string;
  kind: MetadataKind;
  groupId: string | null;
  artifactId: string | null;
  version: string | null;
  /** Added to `<versions>`, ascending in Maven order. */
  versionsAdded: string[];
  latest: BeforeAfter;
  release: BeforeAfter;
  /** A release was added without raising `release`. */
  backport: boolean;
  pluginsAdded: Array<Pick<Plugin, "prefix" | "artifactId"> & { name?: string }>;
  targetExists: boolean;
  /** sha256 of the target's file when planned (null: none): a commit or rollback checks it. */
  targetSha256: string | null;
  /** False when the merge leaves the target's file as it is: nothing is written. */
  changed: boolean;
  /** Checksum files written beside the merged file. */
  checksums: DigestAlgorithm[];
  /** `sign`: a fresh .asc; `remove`: the target's .asc is removed; `none`: no .asc either way. */
  signature: "sign" | "remove" | "none";
  size: number;
  /** The merged file, as it will be written. */
  content: string;
  digests: Partial<Record<DigestAlgorithm, string>>;
  /** The detached armored signature of `content`, when signing. */
  signatureContent?: string;
}

export interface VersionPlan {
  path: string;
  groupId: string;
  artifactId: string;
  version: string;
  snapshot: boolean;
  /** `new`: a new directory; `identical`: already on the target, skipped; `update`: files added to an existing SNAPSHOT. */
  state: "new" | "identical" | "update";
  files: number;
  size: number;
}

export interface UploadPlan {
  path: string;
  size: number;
  kind: "artifact" | "checksum" | "signature" | "metadata";
  /** `staged`: copied from the stage; `generated`: a checksum made here; `merged`: metadata and its sidecars. */
  origin: "staged" | "generated" | "merged";
  sha256?: string;
  /** Where the bytes are on this machine (staged files). */
  localPath?: string;
  /** The bytes themselves (generated and merged files, which are small). */
  content?: string;
  /** Whether the upload replaces a file that exists on the target (only in a SNAPSHOT update). */
  replaces?: boolean;
}
