// maven-promote as a library. See README.md, "Library".
export { plan, type PlanOptions, type PromoteEvent } from "./api.js";
export { PromoteError, ERROR_TABLE, type ErrorCode, type Problem } from "./errors.js";
export type { Plan, MetadataPlan, UploadPlan, VersionPlan, Warning } from "./promotion/plan-types.js";
export { loadSigningKey, loadTrustedKeys, verifyDetachedSignature, type Signer, type TrustedKeys } from "./integrity/pgp.js";
export { digestFile, digestBytes, type DigestAlgorithm } from "./integrity/digests.js";
export { ComparableVersion, compareVersions, sortVersions } from "./maven/comparable-version.js";
export { parseMetadata, type Metadata, type MetadataDocument } from "./maven/metadata.js";
export { mergeMetadataDocuments, type MetadataMode } from "./maven/metadata-merge.js";
