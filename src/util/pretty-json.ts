// JSON.stringify(value, null, 2), a piece at a time: every array and object is written an entry
// at a time, so no string of the whole is ever made. A promotion's journal and its --json report
// hold the whole plan (25 MB of JSON at 3,000 artifacts, 85 MB at 10,000), and one string of
// it, with its bytes, cost more memory than the plan itself (issue 18, part 4).

/** The pieces, small; with a newline at the end, as `JSON.stringify(value, null, 2) + "\n"`. */
export function* prettyJson(value: unknown, indent = ""): Generator<string> {
  yield* jsonValue(value, indent);
  yield "\n";
}

function* jsonValue(value: unknown, indent: string): Generator<string> {
  if (value === null || typeof value !== "object" || typeof (value as { toJSON?: unknown }).toJSON === "function") {
    yield JSON.stringify(value) ?? "null";
    return;
  }
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    if (value.length === 0) return yield "[]";
    for (const [index, item] of value.entries()) {
      yield index === 0 ? `[\n${inner}` : `,\n${inner}`;
      yield* jsonValue(item === undefined || typeof item === "function" || typeof item === "symbol" ? null : item, inner);
    }
    return yield `\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, item]) => item !== undefined && typeof item !== "function" && typeof item !== "symbol");
  if (entries.length === 0) return yield "{}";
  for (const [index, [key, item]] of entries.entries()) {
    yield `${index === 0 ? "{" : ","}\n${inner}${JSON.stringify(key)}: `;
    yield* jsonValue(item, inner);
  }
  yield `\n${indent}}`;
}

/** Small strings gathered into strings of about `size` characters (one write each). */
export function* inPieces(parts: Iterable<string>, size = 64 * 1024): Generator<string> {
  let gathered: string[] = [];
  let length = 0;
  for (const part of parts) {
    gathered.push(part);
    length += part.length;
    if (length >= size) {
      yield gathered.join("");
      gathered = [];
      length = 0;
    }
  }
  if (length > 0) yield gathered.join("");
}
