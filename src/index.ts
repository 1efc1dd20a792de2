// maven-promote as a library. See docs/library.md.
export {
  plan,
  promote,
  verify,
  resume,
  rollback,
  status,
  cleanup,
  unlock,
  check,
  type CheckOptions,
  type CheckResult,
  type PlanOptions,
  type PromoteOptions,
  type VerifyOptions,
  type RecoveryOptions,
  type CleanupOptions,
  type PromoteEvent,
} from "./api.js";
export { PromoteError, ERROR_TABLE, type ErrorCode, type Problem } from "./errors.js";
export type { Plan, MetadataPlan, UploadPlan, VersionPlan, Warning } from "./plan/plan-types.js";
export { loadSigningKey, loadTrustedKeys, verifyDetachedSignature, type Signer, type TrustedKeys } from "./integrity/pgp.js";
export { digestFile, digestBytes, type DigestAlgorithm } from "./integrity/digests.js";
export { ComparableVersion, compareVersions, sortVersions } from "./maven/comparable-version.js";
export { parseMetadata, type Metadata, type MetadataDocument } from "./maven/metadata.js";
export { mergeMetadataDocuments, type MetadataMode } from "./maven/metadata-merge.js";
export type { PromoteResult, BeforePhaseDecision } from "./promotion/promote.js";
export type { HookStop } from "./promotion/journal.js";
export { loadPolicy, builtInPolicy, type Policy, type Severity } from "./policy/policy.js";
export type { VerifyRepositoryResult, RepositoryProblem } from "./promotion/verify-repository.js";
export type { SshSettings } from "./connect/open-transport.js";
export type { RollbackResult } from "./promotion/recovery.js";
export type { TargetStatus, PromotionRecord } from "./promotion/history.js";
export type { CleanupResult, CleanupAction } from "./promotion/cleanup.js";
export type { LockInfo } from "./promotion/lock.js";
