import { randomBytes } from "node:crypto";

/** UTC yyyyMMddHHmmss, the form of Maven's <lastUpdated>. */
export function mavenTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

/** A promotion id: UTC timestamp plus a random suffix, e.g. 20261121T101500Z-7f3a. */
export function newPromotionId(date: Date): string {
  const stamp = mavenTimestamp(date);
  return `${stamp.slice(0, 8)}T${stamp.slice(8)}Z-${randomBytes(2).toString("hex")}`;
}
