// Everything known about a stage without asking the target: its files sorted into Maven's
// layout, their digests, the checks every stage passes (checksums and signatures that are
// present, each POM's coordinates) and the policy's rules. `check` stops here; a plan goes on
// to the target.
import type { Problem } from "../errors.js";
import type { DigestAlgorithm, DigestResult } from "../integrity/digests.js";
import type { TrustedKeys } from "../integrity/pgp.js";
import { applyPolicy } from "../policy/apply-policy.js";
import type { ParentPomSource } from "../policy/central-rules.js";
import { builtInPolicy, type Policy } from "../policy/policy.js";
import { checkStagedChecksums, checkStagedPoms, checkStagedSignatures, digestStagedFiles, type GeneratedChecksum } from "./check-staged.js";
import { classifyStagedFiles, type StagedLayout } from "./staging-layout.js";
import { takeWarmStage } from "./stage-warmup.js";
import { scanStagingDirectory, type StagedFile } from "./staging-scan.js";

export interface InspectStageInput {
  stagingDirectory: string;
  source?: string;
  /** Checksums every artifact is to have (those the stage lacks are generated). */
  checksums: readonly DigestAlgorithm[];
  trustedKeys?: TrustedKeys;
  requireSignatures?: boolean;
  policy?: Policy;
  /** Where a parent POM that is not staged is looked for (the target, for plan and promote). */
  findParent?: ParentPomSource;
  onDigestProgress?: (loaded: number, total: number) => void;
  /** Told the stage's layout as soon as it is scanned, before the digests (to ask the target meanwhile). */
  onScanned?: (layout: StagedLayout, files: readonly StagedFile[]) => void;
}

export interface StageInspection {
  files: StagedFile[];
  layout: StagedLayout;
  digests: Map<string, DigestResult>;
  generated: GeneratedChecksum[];
  problems: Problem[];
  warnings: Array<{ path: string; message: string; rule?: string }>;
}

export async function inspectStage(input: InspectStageInput): Promise<StageInspection> {
  const problems: Problem[] = [];
  // Begun while the target's connection was opened, where it was (stage-warmup.ts).
  const warm = takeWarmStage(input.stagingDirectory, input.checksums, input.onDigestProgress);
  const scan = warm === undefined ? await scanStagingDirectory(input.stagingDirectory) : (await warm).scan;
  problems.push(...scan.problems);
  const layout = classifyStagedFiles(scan.files);
  problems.push(...layout.problems);
  if (scan.files.length === 0 && scan.problems.length === 0) {
    problems.push({ code: "ERR_EMPTY_STAGING", path: input.source ?? input.stagingDirectory, message: `${input.source ?? input.stagingDirectory}: the staging repository holds no files` });
  }
  input.onScanned?.(layout, scan.files);
  // What needs no digest (signatures, POMs) is checked while the workers make the digests.
  const [digests, signatureProblems, pomProblems] = await Promise.all([
    warm === undefined ? digestStagedFiles(scan.files, input.checksums, input.onDigestProgress) : warm.then((stage) => stage.digests),
    checkStagedSignatures(layout, input.trustedKeys, input.requireSignatures ?? false),
    checkStagedPoms(layout),
  ]);
  const checked = await checkStagedChecksums(layout, digests, input.checksums);
  problems.push(...checked.problems, ...signatureProblems, ...pomProblems);
  const policy = await applyPolicy(layout, input.policy ?? builtInPolicy("default"), input.findParent);
  problems.push(...policy.errors);
  return { files: scan.files, layout, digests, generated: checked.generated, problems, warnings: policy.warnings };
}
