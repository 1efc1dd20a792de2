// How a --public-url check reads: a line in the report, and on stderr what users of the URL get
// wrong, each file with the caching headers that explain it.
import type { PublicCheckReport } from "../promotion/public-check.js";
import { formatDuration } from "../util/duration.js";
import { ERROR_TABLE, type ErrorCode } from "../errors.js";
import { plural } from "./format.js";

/** Files listed on stderr at most; the rest are counted (--json has them all). */
const LISTED = 20;

/** The report's line: what users of the public URL get. */
export function renderPublicLine(report: PublicCheckReport): string {
  const waited = report.attempts > 1 ? `, after ${formatDuration(report.waitedMs)} and ${plural(report.attempts, "read")}` : "";
  if (report.ok) return `Public URL ${report.url}: users get the release (${plural(report.checked, "file")} read back as written${waited}).`;
  if (report.error !== undefined) return `Public URL ${report.url}: could not be read (${report.error}).`;
  return `Public URL ${report.url}: ${plural(report.problems.length, "file")} of ${report.checked} not served as written${waited}.`;
}

/** stderr: each file users get wrong, then one line with the error's code. */
export function renderPublicRefusal(report: PublicCheckReport, state = "the promotion is live on the target"): string {
  const lines = report.problems.slice(0, LISTED).map((problem) => `maven-promote: ${problem.message ?? problem.url}`);
  if (report.problems.length > LISTED) lines.push(`maven-promote: … and ${report.problems.length - LISTED} more (--json lists them all)`);
  lines.push(`maven-promote: ${state}, but ${publicSummary(report)} [${publicErrorCode(report)}]`);
  return lines.map((line) => `${line}\n`).join("");
}

function publicSummary(report: PublicCheckReport): string {
  if (report.error !== undefined) return `--public-url ${report.url} could not be read: ${report.error}`;
  const different = report.problems.filter((problem) => problem.verdict === "different").length;
  if (different > 0) return `${plural(different, "file")} at --public-url ${report.url} are not what was written (does it serve this target?)`;
  const mismatched = report.problems.filter((problem) => problem.verdict === "checksum-mismatch").length;
  if (mismatched > 0) return `${plural(mismatched, "checksum file")} at --public-url ${report.url} disagree with the metadata served beside them: builds with checksumPolicy=fail break until the cache lets go`;
  const waited = report.attempts > 1 ? ` after waiting ${formatDuration(report.waitedMs)}` : " (give --public-wait to wait for the cache)";
  return `users of --public-url ${report.url} do not get it yet${waited}`;
}

export function publicErrorCode(report: PublicCheckReport): ErrorCode {
  if (report.error !== undefined) return "ERR_PUBLIC_UNREADABLE";
  if (report.problems.some((problem) => problem.verdict === "different")) return "ERR_PUBLIC_DIFFERENT";
  if (report.problems.some((problem) => problem.verdict === "checksum-mismatch")) return "ERR_PUBLIC_CHECKSUM_MISMATCH";
  return "ERR_PUBLIC_STALE";
}

/** 75 where waiting longer may pass (a cache); 1 where the URL serves something else (a human should look). */
export function publicExit(report: PublicCheckReport): number {
  return ERROR_TABLE[publicErrorCode(report)].exit;
}
