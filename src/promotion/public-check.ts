// What users actually download (issue 19, part 2): after a commit, the changed metadata, its
// checksum files and each new artifact's checksum files (plus a few artifacts in full) are read
// back through the repository's public URL, as a user's Maven would, and compared with what was
// written. A cache or CDN in front may still serve the old metadata (users do not see the
// release yet) or, worse, new metadata beside an old checksum (checksumPolicy=fail then breaks
// users' builds): both are reported with the headers that explain them, and --public-wait polls
// until the answers are right, honouring Cache-Control: max-age.
import { readFile } from "node:fs/promises";
import { parseChecksumFile } from "../integrity/checksum-file.js";
import { algorithmOfChecksumFile, CHECKSUM_EXTENSIONS, digestBytes, type DigestAlgorithm } from "../integrity/digests.js";
import type { Plan } from "../plan/plan-types.js";
import { CACHE_HEADERS, type CacheHeader, type PublicAnswer } from "../transport/http-source.js";
import { mapLimit } from "../util/map-limit.js";
import { SIGNATURE_EXTENSION } from "../maven/repository-path.js";

/** One file users should now get, and how its answer is judged. */
export interface PublicExpectation {
  path: string;
  kind: "metadata" | "checksum" | "signature" | "artifact";
  /** sha256 of the bytes users should get (metadata, signatures, artifacts). */
  sha256?: string;
  /** sha256 of the file the target held before (metadata): an answer with it is stale, not wrong. */
  oldSha256?: string | null;
  /** The hex digest a checksum file should carry. */
  checksum?: string;
  /** For a checksum or signature file: the file it is of. */
  of?: string;
}

/** Reads one path below the public URL as a user's client would (no cache-busting headers). */
export type PublicFetch = (path: string) => Promise<PublicAnswer>;

/**
 * How one answer compares: `stale` (the file before the promotion, or a 404: users do not see
 * the release yet), `checksum-mismatch` (metadata served new, its checksum not: builds with
 * checksumPolicy=fail break), `different` (neither old nor new: a wrong URL, or a server that
 * changes what it serves).
 */
export type PublicVerdict = "ok" | "stale" | "checksum-mismatch" | "different";

export interface PublicFileReport {
  path: string;
  url: string;
  kind: PublicExpectation["kind"];
  verdict: PublicVerdict;
  status: number;
  headers: Partial<Record<CacheHeader, string>>;
  message?: string;
}

export interface PublicCheckReport {
  url: string;
  /** True when every file checked is served as written. */
  ok: boolean;
  checked: number;
  /** How many times the files were read (more than 1 with --public-wait). */
  attempts: number;
  waitedMs: number;
  /** The files not served as written, at the last attempt. */
  problems: PublicFileReport[];
  /** Why the URL could not be read at all (then problems is empty). */
  error?: string;
}

/** Artifacts read back whole besides the checksum files: the smallest few. */
const FULL_ARTIFACTS = 3;
/** Reads in flight at once. */
const READS_IN_FLIGHT = 8;
/** Between polls when no answer carries max-age; the bounds of a poll's wait. */
const DEFAULT_POLL_MS = 5_000;
const MIN_POLL_MS = 500;
const MAX_POLL_MS = 60_000;

/** What users should now download, from a committed promotion's plan. */
export async function expectationsFromPlan(plan: Plan): Promise<PublicExpectation[]> {
  const expectations: PublicExpectation[] = [];
  for (const metadata of plan.metadata) {
    if (!metadata.changed) continue;
    expectations.push({ path: metadata.path, kind: "metadata", sha256: metadata.digests.sha256!, oldSha256: metadata.targetSha256 });
    for (const algorithm of metadata.checksums) {
      const checksum = metadata.digests[algorithm];
      if (checksum !== undefined) expectations.push({ path: metadata.path + CHECKSUM_EXTENSIONS[algorithm], kind: "checksum", checksum, of: metadata.path });
    }
    if (metadata.signatureContent !== undefined) {
      expectations.push({ path: metadata.path + SIGNATURE_EXTENSION, kind: "signature", sha256: await sha256Of(Buffer.from(metadata.signatureContent)), of: metadata.path });
    }
  }
  for (const upload of plan.uploads) {
    if (upload.origin === "merged" || upload.kind !== "checksum") continue;
    const algorithm = algorithmOfChecksumFile(upload.path)!;
    const bytes = upload.content !== undefined ? Buffer.from(upload.content) : await readFile(upload.localPath!);
    expectations.push({ path: upload.path, kind: "checksum", checksum: parseChecksumFile(bytes.toString("utf8"), algorithm, upload.path), of: upload.path.slice(0, -CHECKSUM_EXTENSIONS[algorithm].length) });
  }
  const artifacts = plan.uploads.filter((upload) => upload.kind === "artifact" && upload.sha256 !== undefined);
  artifacts.sort((a, b) => a.size - b.size || (a.path < b.path ? -1 : 1));
  for (const artifact of artifacts.slice(0, FULL_ARTIFACTS)) expectations.push({ path: artifact.path, kind: "artifact", sha256: artifact.sha256! });
  return expectations;
}

/** Reads every expected file once through `fetch`, and judges each answer. */
export async function checkPublic(url: string, expectations: readonly PublicExpectation[], fetch: PublicFetch): Promise<PublicFileReport[]> {
  const answers = await mapLimit(expectations, READS_IN_FLIGHT, (expectation) => fetch(expectation.path));
  // A checksum is judged beside its file as served: new metadata with an old checksum breaks builds.
  const servedAsWritten = new Set(expectations.filter((expectation, index) => expectation.sha256 !== undefined && answers[index]!.sha256 === expectation.sha256).map((expectation) => expectation.path));
  return expectations.map((expectation, index) => judge(url, expectation, answers[index]!, servedAsWritten));
}

/**
 * checkPublic, again and again until every file is served as written or `waitMs` has passed:
 * each time only the files still wrong are read, after the longest max-age (less Age) of their
 * answers, or DEFAULT_POLL_MS where none says.
 */
export async function waitUntilPublic(
  url: string,
  expectations: readonly PublicExpectation[],
  fetch: PublicFetch,
  options: { waitMs: number; sleep?: (ms: number) => Promise<void>; now?: () => number; onPoll?: (poll: { attempt: number; problems: number; nextPollMs: number }) => void },
): Promise<PublicCheckReport> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = now();
  let pending = [...expectations];
  let problems: PublicFileReport[] = [];
  let attempts = 0;
  for (;;) {
    attempts++;
    const reports = await checkPublic(url, pending, fetch);
    problems = reports.filter((report) => report.verdict !== "ok");
    const left = options.waitMs - (now() - started);
    if (problems.length === 0 || left <= 0 || problems.every((problem) => problem.verdict === "different")) break;
    const failing = new Set(problems.map((problem) => problem.path));
    // A checksum is judged beside its metadata: the metadata is read again with it.
    const besideFailing = new Set(expectations.filter((expectation) => failing.has(expectation.path) && expectation.of !== undefined).map((expectation) => expectation.of));
    pending = expectations.filter((expectation) => failing.has(expectation.path) || (expectation.kind === "metadata" && besideFailing.has(expectation.path)));
    const nextPollMs = Math.min(left, pollDelay(problems));
    options.onPoll?.({ attempt: attempts, problems: problems.length, nextPollMs });
    await sleep(nextPollMs);
  }
  return { url, ok: problems.length === 0, checked: expectations.length, attempts, waitedMs: now() - started, problems };
}

function judge(url: string, expectation: PublicExpectation, answer: PublicAnswer, servedAsWritten: ReadonlySet<string>): PublicFileReport {
  const report = (verdict: PublicVerdict, message?: string): PublicFileReport => ({
    path: expectation.path,
    url: publicUrlOf(url, expectation.path),
    kind: expectation.kind,
    verdict,
    status: answer.status,
    headers: answer.headers,
    ...(message === undefined ? {} : { message: `${publicUrlOf(url, expectation.path)}: ${message}${headerNote(answer.headers)}` }),
  });
  if (answer.status === 404) return report("stale", "404 Not Found: users do not get it yet");
  if (answer.status !== 200) return report("stale", `${answer.status}: users do not get it`);
  if (expectation.kind === "checksum") {
    const algorithm = algorithmOfChecksumFile(expectation.path) as DigestAlgorithm;
    let value: string | undefined;
    try {
      value = parseChecksumFile(answer.text ?? "", algorithm, expectation.path);
    } catch {
      value = undefined;
    }
    if (value === expectation.checksum) return report("ok");
    if (expectation.of !== undefined && isMetadataPath(expectation.of) && servedAsWritten.has(expectation.of)) {
      return report("checksum-mismatch", `served ${value ?? "no checksum"} beside a ${basenameOf(expectation.of!)} served new (${expectation.checksum}): Maven with checksumPolicy=fail breaks users' builds until the cache lets go of it`);
    }
    return report("stale", `served ${value ?? "no checksum"}, written ${expectation.checksum}: users get the file from before the promotion`);
  }
  if (answer.sha256 === expectation.sha256) return report("ok");
  if (expectation.oldSha256 !== undefined && expectation.oldSha256 !== null && answer.sha256 === expectation.oldSha256) {
    return report("stale", "served as it was before the promotion: users do not see the release yet");
  }
  // Metadata changes with every release: a copy that is neither is an older one, kept by a cache.
  if (expectation.kind === "metadata") return report("stale", `served another copy (sha256 ${answer.sha256}) than the one written (${expectation.sha256}): a cache in front keeps an older one`);
  return report("different", `served bytes (sha256 ${answer.sha256}) that are not what was written (${expectation.sha256})`);
}

/** The longest wait the failing answers ask for (max-age less Age), bounded. */
export function pollDelay(problems: readonly PublicFileReport[]): number {
  let longest: number | undefined;
  for (const problem of problems) {
    const maxAge = /(?:^|,)\s*(?:s-)?max-age\s*=\s*(\d+)/i.exec(problem.headers["cache-control"] ?? "");
    if (maxAge === null) continue;
    const left = (Number(maxAge[1]) - Number(problem.headers.age ?? 0)) * 1000;
    longest = Math.max(longest ?? 0, left);
  }
  return Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, longest ?? DEFAULT_POLL_MS));
}

function headerNote(headers: PublicFileReport["headers"]): string {
  const present = CACHE_HEADERS.filter((name) => headers[name] !== undefined).map((name) => `${name}: ${headers[name]}`);
  return present.length === 0 ? "" : ` (${present.join("; ")})`;
}

export function publicUrlOf(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

function isMetadataPath(path: string): boolean {
  return basenameOf(path) === "maven-metadata.xml";
}

function basenameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

async function sha256Of(bytes: Buffer): Promise<string> {
  return (await digestBytes(bytes, ["sha256"])).digests.sha256!;
}
