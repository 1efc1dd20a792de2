// JSON.stringify(value, null, 2), a piece at a time: every array and object is written an entry
// at a time, so no string of the whole is ever made. A promotion's journal and its --json report
// hold the whole plan (25 MB of JSON at 3,000 artifacts, 85 MB at 10,000), and one string of
// it, with its bytes, cost more memory than the plan itself (issue 18, part 4).

/** The pieces, small; with a newline at the end, as `JSON.stringify(value, null, 2) + "\n"`. */
export function* prettyJson(value: unknown, indent = ""): Generator<string> {
  yield* jsonValue(value, indent);
  yield "\n";
}

/**
 * A list written as its items' projections, each made only as it is written: a plan's 45,000
 * uploads, less their local paths, need no second copy of 45,000 objects. JSON.stringify sees
 * the projected array.
 */
export class ProjectedList<T> {
  constructor(
    readonly items: readonly T[],
    readonly project: (item: T) => unknown,
  ) {}

  toJSON(): unknown[] {
    return this.items.map((item) => this.project(item));
  }
}

function* jsonValue(value: unknown, indent: string): Generator<string> {
  if (value instanceof ProjectedList) {
    if (value.items.length === 0) return yield "[]";
    const inner = indent + "  ";
    for (const [index, item] of value.items.entries()) {
      yield index === 0 ? `[\n${inner}` : `,\n${inner}`;
      const projected = value.project(item);
      yield* jsonValue(projected === undefined || typeof projected === "function" || typeof projected === "symbol" ? null : projected, inner);
    }
    return yield `\n${indent}]`;
  }
  if (value === null || typeof value !== "object" || typeof (value as { toJSON?: unknown }).toJSON === "function") {
    yield JSON.stringify(value) ?? "null";
    return;
  }
  // What holds no long list is written by JSON.stringify itself (in C++, several times faster
  // than walking it here), its lines indented to where it stands.
  if (!holdsLongList(value)) {
    const text = JSON.stringify(value, null, 2);
    yield indent === "" ? text : text.replaceAll("\n", "\n" + indent);
    return;
  }
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      yield index === 0 ? `[\n${inner}` : `,\n${inner}`;
      yield* jsonValue(item === undefined || typeof item === "function" || typeof item === "symbol" ? null : item, inner);
    }
    return yield `\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, item]) => item !== undefined && typeof item !== "function" && typeof item !== "symbol");
  for (const [index, [key, item]] of entries.entries()) {
    yield `${index === 0 ? "{" : ","}\n${inner}${JSON.stringify(key)}: `;
    yield* jsonValue(item, inner);
  }
  yield `\n${indent}}`;
}

/** A list of more than LONG entries, here or one or two levels down (a plan's uploads, a barrier's paths). */
function holdsLongList(value: object, depth = 0): boolean {
  if (value instanceof ProjectedList) return true;
  if (Array.isArray(value)) return value.length > LONG || (depth < 2 && value.some((item) => item !== null && typeof item === "object" && holdsLongList(item, depth + 1)));
  return depth < 2 && Object.values(value).some((item) => item !== null && typeof item === "object" && holdsLongList(item, depth + 1));
}

const LONG = 64;

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
