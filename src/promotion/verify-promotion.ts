// After a commit, read back what the promotion changed and check invariants 1-3 of DESIGN.md:
// metadata and its checksums agree and are what the plan wrote, a removed signature is gone,
// and every file of every added version is on the target byte for byte.
import { CHECKSUM_EXTENSIONS } from "../integrity/digests.js";
import { parseChecksumFile } from "../integrity/checksum-file.js";
import { SIGNATURE_EXTENSION } from "../maven/repository-path.js";
import { probeMany } from "../transport/read-many.js";
import type { Transport } from "../transport/transport.js";
import { mapLimit } from "../util/map-limit.js";
import type { MetadataPlan, Plan, UploadPlan } from "../plan/plan-types.js";
import type { DigestResult } from "../integrity/digests.js";

export async function verifyPromotion(plan: Plan, target: Transport): Promise<string[]> {
  const problems: string[] = [];
  const changed = plan.metadata.filter((candidate) => candidate.changed);
  for (let start = 0; start < changed.length; start += METADATA_BATCH) {
    problems.push(...(await metadataProblems(changed.slice(start, start + METADATA_BATCH), target)));
  }
  const files = plan.uploads.filter((upload) => upload.origin !== "merged");
  // A batch at a time, each file checked against its digest and the digest let go of: the
  // digests of all 36,000 staged files of 3,000 artifacts at once, with a map to find them,
  // were ~7 MiB of the heap in the verify of an --sftp-only promotion, its peak (a heap
  // snapshot; issue 18, part 4); hashed on the server, the 150,000 files of 10,000 artifacts
  // were 25 MB of sha256sum output and a map of 150,000 digests at once, the shell executor's
  // peak. A batch is twice the widest window of reads (sftp-upload-many.ts MAX_WINDOW), so the
  // reads stop only for the tail of each batch; hashed on the server, it is a few commands at
  // once, enough to keep the server's cores busy.
  for (let start = 0; start < files.length; start += VERIFY_BATCH) {
    const batch = files.slice(start, start + VERIFY_BATCH);
    // Hashing on the server saves downloading the whole release again; a server without a
    // shell (or sha256sum) gets every file read back instead.
    const onServer = await target.sha256OnServer?.(batch.map((upload) => upload.path));
    const notHashed = batch.filter((upload) => onServer?.get(upload.path) === undefined || upload.sha256 === undefined);
    const digests = await digestsOf(target, notHashed);
    for (const upload of batch) {
      const problem = fileProblem(upload, onServer?.get(upload.path), digests.get(upload.path));
      if (problem !== undefined) problems.push(problem);
    }
  }
  return problems;
}

/** Files whose digests are held at once while a verify reads them back. */
const VERIFY_BATCH = 8192;

/**
 * Metadata files read back at once, each with its checksums. All of them at once was 50 MB of
 * tar output for the 10,000 metadata files (and 40,000 checksums) of 10,000 artifacts, the
 * verify's peak; a batch is a handful of round trips.
 */
const METADATA_BATCH = 2048;

/** Each metadata file, its checksums and its signature, read back and compared with what the plan wrote. */
async function metadataProblems(changed: readonly MetadataPlan[], target: Transport): Promise<string[]> {
  const problems: string[] = [];
  // Every metadata file, checksum and signature read back at once (a few round trips).
  const found = await probeMany(target, {
    stat: changed.map((entry) => entry.path + SIGNATURE_EXTENSION),
    read: changed.flatMap((entry) => [entry.path, ...entry.checksums.map((algorithm) => entry.path + CHECKSUM_EXTENSIONS[algorithm])]),
    maxBytes: Math.max(4096, ...changed.map((entry) => entry.size)),
  });
  const readBack = async (path: string, maxBytes?: number): Promise<Buffer | undefined> => {
    const entry = found.get(path);
    if (entry !== undefined && entry.stat?.type !== "file") return undefined;
    return entry?.content ?? target.readFile(path, maxBytes);
  };
  for (const entry of changed) {
    const bytes = await readBack(entry.path);
    if (bytes === undefined) {
      problems.push(`${entry.path}: missing after the commit`);
      continue;
    }
    if (bytes.toString("utf8") !== entry.content) problems.push(`${entry.path}: differs from the merged file the plan wrote`);
    for (const algorithm of entry.checksums) {
      const path = entry.path + CHECKSUM_EXTENSIONS[algorithm];
      const text = (await readBack(path, 4096))?.toString("latin1");
      if (text === undefined) problems.push(`${path}: missing after the commit`);
      else if (safeParse(text, algorithm, path) !== entry.digests[algorithm]) problems.push(`${path}: does not match ${entry.path}`);
    }
    const signature = found.get(entry.path + SIGNATURE_EXTENSION)?.stat;
    if (entry.signature === "sign" && signature === undefined) problems.push(`${entry.path}${SIGNATURE_EXTENSION}: missing after the commit`);
    if (entry.signature === "remove" && signature !== undefined) problems.push(`${entry.path}${SIGNATURE_EXTENSION}: stale signature still present`);
  }
  return problems;
}

/** What is wrong with an uploaded file on the target, given its sha256 there (hashed on the server) or its digest (read back). */
function fileProblem(upload: UploadPlan, remote: string | undefined, digest: DigestResult | undefined): string | undefined {
  if (remote !== undefined && upload.sha256 !== undefined) {
    return remote === upload.sha256 ? undefined : `${upload.path}: content differs from the staged file`;
  }
  if (digest === undefined) return `${upload.path}: missing after the commit`;
  if (digest.size !== upload.size) return `${upload.path}: ${digest.size} bytes on the target, ${upload.size} staged`;
  if (upload.sha256 !== undefined && digest.digests.sha256 !== upload.sha256) return `${upload.path}: content differs from the staged file`;
  if (upload.content !== undefined && digest.size !== Buffer.byteLength(upload.content)) return `${upload.path}: content differs from the generated file`;
  return undefined;
}

/**
 * sha256 of each file as the target has it: over SFTP, every file's reads in one window
 * (digestMany: round trips grow with the files over the server's handles, and a few MiB are
 * held); elsewhere 64 files at once, each with its own window of reads.
 */
async function digestsOf(target: Transport, files: readonly UploadPlan[]): Promise<Map<string, DigestResult | undefined>> {
  const digests =
    target.digestMany !== undefined
      ? await target.digestMany(files.map(({ path, size }) => ({ path, size })), ["sha256"])
      : await mapLimit(files, 64, (upload) => target.digest(upload.path, ["sha256"]));
  return new Map(files.map((upload, index) => [upload.path, digests[index]]));
}

function safeParse(text: string, algorithm: keyof typeof CHECKSUM_EXTENSIONS, path: string): string | undefined {
  try {
    return parseChecksumFile(text, algorithm, path);
  } catch {
    return undefined;
  }
}
