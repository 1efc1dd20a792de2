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

/**
 * Whether a string can name a promotion (and so a directory under .maven-promote/, a shell word,
 * a script comment): letters, digits and dashes only. Ids come from users on the command line.
 */
export function isPromotionId(id: string): boolean {
  return /^[0-9A-Za-z-]+$/.test(id);
}
