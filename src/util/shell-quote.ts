// The one function that puts a value into generated shell text (DESIGN.md invariant 8: a
// hostile name can never reach the shell unquoted). Single quotes make everything literal;
// a single quote itself is closed, escaped and reopened. NUL cannot be passed at all.
import { PromoteError } from "../errors.js";

export function shellQuote(value: string): string {
  if (value.includes("\0")) {
    throw new PromoteError("ERR_UNSAFE_PATH", `${JSON.stringify(value)}: contains a NUL byte, which no shell word can hold`, { path: value });
  }
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
