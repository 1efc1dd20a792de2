// A port of Apache Maven 3.9.x's org.apache.maven.artifact.versioning.ComparableVersion and of
// ArtifactUtils.isSnapshot, as shipped in maven-artifact 3.9.6 (apache/maven source at commit
// 1a3de98ee168954d6400ad4331b905baec59a2ce, checked against the 3.9.6 jar). Maven's rules, in short:
//
// - '.' and '-' separate items; so does a change from letters to digits or back:
//   "1.0alpha1" parses as [1, [alpha, [1]]].
// - '-' (and a letter/digit change) opens a nested sub-list; a qualifier at the very end that
//   follows a '.' is treated like one after a '-' (MNG-7644: 2.0.X == 2-X, 1.0.0.X1 < 1.0.0-X2).
// - Numbers are compared as numbers, of any length; leading zeros do not count.
// - Qualifiers are case-insensitive; the known ones are ordered
//   alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp,
//   and all others come after them, in lexical order.
// - Trailing "null" items (0, "", empty list) are removed: 1 == 1.0 == 1-0 == 1.0.0-ga.
// - Comparing different kinds: number > list > string (1.1 > 1-1 > 1-sp).
//
// Known quirks of 3.9.x that this port keeps on purpose (a faithful port, not a fix):
// - Maven sizes numbers by their digit count after stripping ASCII '0's and stores them as int
//   (≤ 9 digits), long (≤ 18) or BigInteger; a smaller kind is always less than a bigger kind.
//   A run of only zeros is not stripped, so "0000000000.1" (a 10-digit "long" zero) is greater
//   than "0.1" although both have the canonical form "0.1".
// - Digits are what Java's Character.isDigit(char) says: any Unicode decimal digit (Nd) in the
//   BMP, not only 0-9 (MNG-8240/MNG-8241, changed on master only).
// - Equal canonical forms do not always mean equal versions ("1-ga-1" < "1-1", both "1-1").
// One known difference remains: Java lower-cases a final Greek capital sigma by word boundaries,
// JavaScript by the Unicode Final_Sigma rule, so a version with 'Σ' may differ in σ/ς.

type NumberKind = 0 | 1 | 2; // Maven's IntItem, LongItem, BigIntegerItem
type Item =
  | { readonly type: "number"; readonly kind: NumberKind; readonly value: bigint }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "list"; readonly items: Item[] };
type ListItem = Extract<Item, { type: "list" }>;

// StringItem.QUALIFIERS, in order; "" is the release (no qualifier).
const QUALIFIERS = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
// StringItem.ALIASES.
const ALIASES = new Map([["ga", ""], ["final", ""], ["release", ""], ["cr", "rc"]]);
// StringItem.RELEASE_VERSION_INDEX.
const RELEASE_VERSION_INDEX = String(QUALIFIERS.indexOf(""));

const ND = /^\p{Nd}$/u;
/** Java's Character.isDigit(char): one UTF-16 code unit of general category Nd. */
const isDigitChar = (c: string): boolean => ND.test(c);

/** Java's Character.digit(c, 10) for an Nd code unit (Nd digits come in runs of ten, 0 to 9). */
function digitValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  let start = code;
  while (isDigitChar(String.fromCharCode(start - 1))) start--;
  return (code - start) % 10;
}

/** Java's String.compareTo, reduced to its sign (both compare UTF-16 code units). */
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** StringItem.comparableQualifier: the index of a known qualifier, else "7-" + qualifier. */
function comparableQualifier(qualifier: string): string {
  const i = QUALIFIERS.indexOf(qualifier);
  return i === -1 ? `${QUALIFIERS.length}-${qualifier}` : String(i);
}

/** new StringItem(value, followedByDigit): a1 = alpha-1, b1 = beta-1, m1 = milestone-1; then aliases. */
function stringItem(value: string, followedByDigit: boolean): Item {
  if (followedByDigit && value.length === 1) {
    if (value === "a") value = "alpha";
    else if (value === "b") value = "beta";
    else if (value === "m") value = "milestone";
  }
  return { type: "string", value: ALIASES.get(value) ?? value };
}

const ZERO: Item = { type: "number", kind: 0, value: 0n }; // IntItem.ZERO

/** ComparableVersion.parseItem: a number sized by its digit count (MNG-6572), or a qualifier. */
function parseItem(isDigit: boolean, buf: string): Item {
  if (!isDigit) return stringItem(buf, false);
  // stripLeadingZeroes: strips ASCII '0's only, and leaves a string of only zeros as it is.
  const firstNonZero = buf.search(/[^0]/);
  if (firstNonZero > 0) buf = buf.slice(firstNonZero);
  let value = 0n;
  for (let i = 0; i < buf.length; i++) value = value * 10n + BigInt(digitValue(buf[i]!));
  const kind: NumberKind = buf.length <= 9 ? 0 : buf.length <= 18 ? 1 : 2;
  return { type: "number", kind, value };
}

/** Item.isNull: 0, "" (the release qualifier) or an empty list. */
function isNull(item: Item): boolean {
  if (item.type === "number") return item.value === 0n;
  if (item.type === "string") return item.value === "";
  return item.items.length === 0;
}

/** ListItem.normalize: drop trailing null items, looking through (but keeping) trailing lists. */
function normalize(list: ListItem): void {
  for (let i = list.items.length - 1; i >= 0; i--) {
    const item = list.items[i]!;
    if (isNull(item)) list.items.splice(i, 1);
    else if (item.type !== "list") break;
  }
}

/** Item.compareTo(other), where other === null means "missing" (the shorter side of a list). */
function compareItems(a: Item, b: Item | null): number {
  switch (a.type) {
    case "number":
      if (b === null) return a.value === 0n ? 0 : 1; // 1.0 == 1, 1.1 > 1
      if (b.type !== "number") return 1; // 1.1 > 1-sp, 1.1 > 1-1
      if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1; // int < long < BigInteger
      return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    case "string":
      if (b === null) return compareStrings(comparableQualifier(a.value), RELEASE_VERSION_INDEX); // 1-rc < 1, 1-sp > 1
      if (b.type !== "string") return -1; // 1.any < 1.1, 1.any < 1-1
      return compareStrings(comparableQualifier(a.value), comparableQualifier(b.value));
    case "list":
      if (b === null) {
        // Compare every item with null, not just the first one (MNG-6964).
        for (const item of a.items) {
          const result = compareItems(item, null);
          if (result !== 0) return result;
        }
        return 0; // 1-0 = 1- (normalize) = 1
      }
      if (b.type === "number") return -1; // 1-1 < 1.0.x
      if (b.type === "string") return 1; // 1-1 > 1-sp
      for (let i = 0; i < Math.max(a.items.length, b.items.length); i++) {
        const l = a.items[i] ?? null;
        const r = b.items[i] ?? null;
        // If this list is the shorter one, compare the other way round and invert.
        const result = l === null ? (r === null ? 0 : 0 - compareItems(r, null)) : compareItems(l, r);
        if (result !== 0) return result;
      }
      return 0;
  }
}

/** The items' equals(): same structure, same number kind and value, same qualifier. */
function itemsEqual(a: Item, b: Item): boolean {
  if (a.type === "number") return b.type === "number" && a.kind === b.kind && a.value === b.value;
  if (a.type === "string") return b.type === "string" && a.value === b.value;
  return b.type === "list" && a.items.length === b.items.length && a.items.every((item, i) => itemsEqual(item, b.items[i]!));
}

/** Item.toString: a list joins its items with '-' before a sub-list and '.' before anything else. */
function itemToString(item: Item): string {
  if (item.type === "number") return item.value.toString();
  if (item.type === "string") return item.value;
  let buffer = "";
  for (const child of item.items) {
    if (buffer.length > 0) buffer += child.type === "list" ? "-" : ".";
    buffer += itemToString(child);
  }
  return buffer;
}

/** ComparableVersion.parseVersion. */
function parseVersion(version: string): ListItem {
  const items: ListItem = { type: "list", items: [] };
  // toLowerCase(Locale.ENGLISH): JavaScript's toLowerCase is locale-independent too.
  version = version.toLowerCase();
  let list = items;
  const stack: ListItem[] = [list];
  const openList = (): void => {
    const child: ListItem = { type: "list", items: [] };
    list.items.push(child);
    list = child;
    stack.push(list);
  };
  let isDigit = false;
  let startIndex = 0;
  for (let i = 0; i < version.length; i++) {
    const c = version[i]!; // a UTF-16 code unit, like Java's charAt
    if (c === "." || c === "-") {
      // An empty item (leading, doubled or trailing separator) counts as 0.
      list.items.push(i === startIndex ? ZERO : parseItem(isDigit, version.slice(startIndex, i)));
      startIndex = i + 1;
      if (c === "-") openList(); // '-' opens a sub-list
    } else if (isDigitChar(c)) {
      if (!isDigit && i > startIndex) {
        // Letters then digits: 1.0.0.X1 < 1.0.0-X2, so treat .X as -X for any qualifier X.
        if (list.items.length > 0) openList();
        list.items.push(stringItem(version.slice(startIndex, i), true));
        startIndex = i;
        openList();
      }
      isDigit = true;
    } else {
      if (isDigit && i > startIndex) {
        // Digits then letters: the letters go into a sub-list (1a == 1-a).
        list.items.push(parseItem(true, version.slice(startIndex, i)));
        startIndex = i;
        openList();
      }
      isDigit = false;
    }
  }
  if (version.length > startIndex) {
    // A final qualifier after '.' is treated like one after '-' (MNG-7644).
    if (!isDigit && list.items.length > 0) openList();
    list.items.push(parseItem(isDigit, version.slice(startIndex)));
  }
  // Normalize the innermost lists first (Maven pops its stack).
  while (stack.length > 0) normalize(stack.pop()!);
  return items;
}

/** Maven's generic version order: org.apache.maven.artifact.versioning.ComparableVersion. */
export class ComparableVersion {
  /** The version string as given. */
  readonly value: string;
  /** Maven's getCanonical(): the parsed items written back out. */
  readonly canonical: string;
  readonly #items: ListItem;

  constructor(version: string) {
    this.value = version;
    this.#items = parseVersion(version);
    this.canonical = itemToString(this.#items);
  }

  /** Negative, zero or positive (always -1, 0 or 1) as this version is lower, equal or higher. */
  compareTo(other: ComparableVersion): number {
    return compareItems(this.#items, other.#items);
  }

  /** Maven's equals(): the parsed items are the same. */
  equals(other: ComparableVersion): boolean {
    return itemsEqual(this.#items, other.#items);
  }

  toString(): string {
    return this.value;
  }
}

export function compareVersions(a: string, b: string): number {
  return new ComparableVersion(a).compareTo(new ComparableVersion(b));
}

/** The versions in ascending Maven order, as a new array (stable: equal versions keep their order). */
export function sortVersions(versions: readonly string[]): string[] {
  return versions
    .map((value) => ({ value, version: new ComparableVersion(value) }))
    .sort((a, b) => a.version.compareTo(b.version))
    .map((entry) => entry.value);
}

/** The highest version (the first of equal ones) that passes the predicate, or undefined. */
export function maxVersion(versions: readonly string[], predicate?: (v: string) => boolean): string | undefined {
  let best: ComparableVersion | undefined;
  for (const value of versions) {
    if (predicate && !predicate(value)) continue;
    const version = new ComparableVersion(value);
    if (best === undefined || version.compareTo(best) > 0) best = version;
  }
  return best?.value;
}

// Artifact.VERSION_FILE_PATTERN, ^(.*)-(\d{8}\.\d{6})-(\d+)$ : a timestamped snapshot.
// Java's '.' excludes the same line terminators as below; its \d is ASCII-only, like JavaScript's.
const VERSION_FILE_PATTERN = /^([^\n\r\u0085\u2028\u2029]*)-(\d{8}\.\d{6})-(\d+)$/;

/** Java's Character.toUpperCase(char) for one code unit, approximated by JavaScript's mapping. */
const upperChar = (c: string): string => {
  const upper = c.toUpperCase();
  return upper.length === 1 ? upper : c;
};

/**
 * ArtifactUtils.isSnapshot: the version ends with "SNAPSHOT", ignoring case (Java's
 * regionMatches(true, ...)), or is a timestamped snapshot such as 1.0-20200101.120000-1.
 */
export function isSnapshotVersion(version: string): boolean {
  const suffix = "SNAPSHOT";
  const tail = version.slice(version.length - suffix.length);
  if (version.length >= suffix.length) {
    const matches = [...suffix].every((s, i) => {
      const u = upperChar(tail[i]!);
      return u === s || u.toLowerCase() === s.toLowerCase();
    });
    if (matches) return true;
  }
  return VERSION_FILE_PATTERN.test(version);
}
