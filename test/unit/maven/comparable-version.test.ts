// Tests for the port of Maven 3.9.x's ComparableVersion.
//
// The first part transcribes Maven 3.9.x's ComparableVersionTest
// (maven-artifact/src/test/java/org/apache/maven/artifact/versioning/ComparableVersionTest.java),
// checked the way Maven checks it. The later parts add cases from Maven's master branch that
// hold for 3.9.x too, the places where 3.9.x and master differ, and property tests. Every expected
// value that is not transcribed from Maven was checked against maven-artifact-3.9.6.jar.

import assert from "node:assert/strict";
import fc from "fast-check";
import { propertyRuns } from "../../helpers/property-runs.js";
import {
  ComparableVersion,
  compareVersions,
  isSnapshotVersion,
  maxVersion,
  sortVersions,
} from "../../../src/maven/comparable-version.js";

// ---- Maven's helpers ------------------------------------------------------------------------

/** newComparable: parsing the canonical form again gives the same canonical form. */
function newComparable(version: string): ComparableVersion {
  const ret = new ComparableVersion(version);
  const canonical = ret.canonical;
  const parsedCanonical = new ComparableVersion(canonical).canonical;
  assert.equal(parsedCanonical, canonical, `canonical( ${version} ) = ${canonical} -> canonical: ${parsedCanonical}`);
  return ret;
}

/** checkVersionsOrder(String[]): every earlier version is lower than every later one. */
function checkVersionsArrayOrder(versions: readonly string[]): void {
  const c = versions.map(newComparable);
  for (let i = 1; i < versions.length; i++) {
    const low = c[i - 1]!;
    for (let j = i; j < versions.length; j++) {
      const high = c[j]!;
      assert.ok(low.compareTo(high) < 0, `expected ${low} < ${high}`);
      assert.ok(high.compareTo(low) > 0, `expected ${high} > ${low}`);
    }
  }
}

/** checkVersionsOrder(String, String). */
function checkVersionsOrder(v1: string, v2: string): void {
  const c1 = newComparable(v1);
  const c2 = newComparable(v2);
  assert.ok(c1.compareTo(c2) < 0, `expected ${v1} < ${v2}`);
  assert.ok(c2.compareTo(c1) > 0, `expected ${v2} > ${v1}`);
}

/** checkVersionsEqual: compareTo is 0 and equals holds, both ways (and so the canonical forms match). */
function checkVersionsEqual(v1: string, v2: string): void {
  const c1 = newComparable(v1);
  const c2 = newComparable(v2);
  assert.equal(c1.compareTo(c2), 0, `expected ${v1} == ${v2}`);
  assert.equal(c2.compareTo(c1), 0, `expected ${v2} == ${v1}`);
  assert.ok(c1.equals(c2), `expected ${v1}.equals( ${v2} )`);
  assert.ok(c2.equals(c1), `expected ${v2}.equals( ${v1} )`);
  // Maven checks hashCode() here; equal items have the same canonical form.
  assert.equal(c1.canonical, c2.canonical, `expected the same canonical form for ${v1} and ${v2}`);
}

/** checkVersionsArrayEqual: compare against each other (including itself). */
function checkVersionsArrayEqual(array: readonly string[]): void {
  for (let i = 0; i < array.length; ++i) {
    for (let j = i; j < array.length; ++j) checkVersionsEqual(array[i]!, array[j]!);
  }
}

// ---- Maven 3.9.x ComparableVersionTest --------------------------------------------------------

const VERSIONS_QUALIFIER = [
  "1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11", "1-rc", "1-cr2",
  "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1", "1-1-snapshot",
  "1-1", "1-2", "1-123",
];

const VERSIONS_NUMBER = [
  "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1", "2.1.0.1", "2.2",
  "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m",
];

describe("ComparableVersion: Maven 3.9.x ComparableVersionTest", () => {
  it("testVersionsQualifier", () => {
    checkVersionsArrayOrder(VERSIONS_QUALIFIER);
  });

  it("testVersionsNumber", () => {
    checkVersionsArrayOrder(VERSIONS_NUMBER);
  });

  it("testVersionsEqual", () => {
    newComparable("1.0-alpha");
    checkVersionsEqual("1", "1");
    checkVersionsEqual("1", "1.0");
    checkVersionsEqual("1", "1.0.0");
    checkVersionsEqual("1.0", "1.0.0");
    checkVersionsEqual("1", "1-0");
    checkVersionsEqual("1", "1.0-0");
    checkVersionsEqual("1.0", "1.0-0");
    // no separator between number and character
    checkVersionsEqual("1a", "1-a");
    checkVersionsEqual("1a", "1.0-a");
    checkVersionsEqual("1a", "1.0.0-a");
    checkVersionsEqual("1.0a", "1-a");
    checkVersionsEqual("1.0.0a", "1-a");
    checkVersionsEqual("1x", "1-x");
    checkVersionsEqual("1x", "1.0-x");
    checkVersionsEqual("1x", "1.0.0-x");
    checkVersionsEqual("1.0x", "1-x");
    checkVersionsEqual("1.0.0x", "1-x");

    // aliases
    checkVersionsEqual("1ga", "1");
    checkVersionsEqual("1release", "1");
    checkVersionsEqual("1final", "1");
    checkVersionsEqual("1cr", "1rc");

    // special "aliases" a, b and m for alpha, beta and milestone
    checkVersionsEqual("1a1", "1-alpha-1");
    checkVersionsEqual("1b2", "1-beta-2");
    checkVersionsEqual("1m3", "1-milestone-3");

    // case insensitive
    checkVersionsEqual("1X", "1x");
    checkVersionsEqual("1A", "1a");
    checkVersionsEqual("1B", "1b");
    checkVersionsEqual("1M", "1m");
    checkVersionsEqual("1Ga", "1");
    checkVersionsEqual("1GA", "1");
    checkVersionsEqual("1RELEASE", "1");
    checkVersionsEqual("1release", "1");
    checkVersionsEqual("1RELeaSE", "1");
    checkVersionsEqual("1Final", "1");
    checkVersionsEqual("1FinaL", "1");
    checkVersionsEqual("1FINAL", "1");
    checkVersionsEqual("1Cr", "1Rc");
    checkVersionsEqual("1cR", "1rC");
    checkVersionsEqual("1m3", "1Milestone3");
    checkVersionsEqual("1m3", "1MileStone3");
    checkVersionsEqual("1m3", "1MILESTONE3");
  });

  it("testVersionComparing", () => {
    checkVersionsOrder("1", "2");
    checkVersionsOrder("1.5", "2");
    checkVersionsOrder("1", "2.5");
    checkVersionsOrder("1.0", "1.1");
    checkVersionsOrder("1.1", "1.2");
    checkVersionsOrder("1.0.0", "1.1");
    checkVersionsOrder("1.0.1", "1.1");
    checkVersionsOrder("1.1", "1.2.0");

    checkVersionsOrder("1.0-alpha-1", "1.0");
    checkVersionsOrder("1.0-alpha-1", "1.0-alpha-2");
    checkVersionsOrder("1.0-alpha-1", "1.0-beta-1");

    checkVersionsOrder("1.0-beta-1", "1.0-SNAPSHOT");
    checkVersionsOrder("1.0-SNAPSHOT", "1.0");
    checkVersionsOrder("1.0-alpha-1-SNAPSHOT", "1.0-alpha-1");

    checkVersionsOrder("1.0", "1.0-1");
    checkVersionsOrder("1.0-1", "1.0-2");
    checkVersionsOrder("1.0.0", "1.0-1");

    checkVersionsOrder("2.0-1", "2.0.1");
    checkVersionsOrder("2.0.1-klm", "2.0.1-lmn");
    checkVersionsOrder("2.0.1", "2.0.1-xyz");

    checkVersionsOrder("2.0.1", "2.0.1-123");
    checkVersionsOrder("2.0.1-xyz", "2.0.1-123");
  });

  it("testLeadingZeroes", () => {
    checkVersionsOrder("0.7", "2");
    checkVersionsOrder("0.2", "1.0.7");
  });

  it("testGetCanonical (MNG-7700)", () => {
    newComparable("0.x");
    newComparable("0-x");
    newComparable("0.rc");
    newComparable("0-1");

    assert.equal(new ComparableVersion("0.x").canonical, "x");
    assert.equal(new ComparableVersion("0.2").canonical, "0.2");
  });

  it("testMng5568: transitive consistency with 6.1H.5-beta", () => {
    const a = "6.1.0";
    const b = "6.1.0rc3";
    const c = "6.1H.5-beta"; // this is the unusual version string, with 'H' in the middle

    checkVersionsOrder(b, a); // classical
    checkVersionsOrder(b, c); // now b < c, but before MNG-5568, we had b > c
    checkVersionsOrder(a, c);
  });

  it("testMng6572: int, long and BigInteger items", () => {
    const a = "20190126.230843"; // resembles a SNAPSHOT
    const b = "1234567890.12345"; // 10 digit number
    const c = "123456789012345.1H.5-beta"; // 15 digit number
    const d = "12345678901234567890.1H.5-beta"; // 20 digit number

    checkVersionsOrder(a, b);
    checkVersionsOrder(b, c);
    checkVersionsOrder(a, c);
    checkVersionsOrder(c, d);
    checkVersionsOrder(b, d);
    checkVersionsOrder(a, d);
  });

  it("testVersionEqualWithLeadingZeroes", () => {
    // versions with string lengths from 1 to 19
    checkVersionsArrayEqual([
      "0000000000000000001", "000000000000000001", "00000000000000001", "0000000000000001",
      "000000000000001", "00000000000001", "0000000000001", "000000000001", "00000000001", "0000000001",
      "000000001", "00000001", "0000001", "000001", "00001", "0001", "001", "01", "1",
    ]);
  });

  it("testVersionZeroEqualWithLeadingZeroes", () => {
    // versions with string lengths from 1 to 19
    checkVersionsArrayEqual([
      "0000000000000000000", "000000000000000000", "00000000000000000", "0000000000000000",
      "000000000000000", "00000000000000", "0000000000000", "000000000000", "00000000000", "0000000000",
      "000000000", "00000000", "0000000", "000000", "00000", "0000", "000", "00", "0",
    ]);
  });

  it("testMng6964: qualifiers that start with -0.", () => {
    const a = "1-0.alpha";
    const b = "1-0.beta";
    const c = "1";

    checkVersionsOrder(a, c); // Now a < c, but before MNG-6964 they were equal
    checkVersionsOrder(b, c); // Now b < c, but before MNG-6964 they were equal
    checkVersionsOrder(a, b); // Should still be true
  });

  it("testLocaleIndependent", () => {
    // Maven repeats this under the English and Turkish default locales; JavaScript's
    // toLowerCase does not depend on a default locale.
    checkVersionsEqual("1-abcdefghijklmnopqrstuvwxyz", "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  });

  it("testReuse", () => {
    // Maven re-parses an instance with parseVersion("2"); this port's instances are immutable,
    // so a second instance stands in for the re-parsed one.
    const c1 = new ComparableVersion("2");
    const c2 = newComparable("2");
    assert.ok(c1.equals(c2), "reused instance should be equivalent to new instance");
  });

  it("testMng7644: 1.0.0.X1 < 1.0.0-X2 and 2.0.X == 2-X == 2.0.0.X for any string X", () => {
    for (const x of ["abc", "alpha", "a", "beta", "b", "def", "milestone", "m", "RC"]) {
      // 1.0.0.X1 < 1.0.0-X2 for any string x
      checkVersionsOrder(`1.0.0.${x}1`, `1.0.0-${x}2`);
      // 2.0.X == 2-X == 2.0.0.X for any string x
      checkVersionsEqual(`2-${x}`, `2.0.${x}`); // previously ordered, now equals
      checkVersionsEqual(`2-${x}`, `2.0.0.${x}`); // previously ordered, now equals
      checkVersionsEqual(`2.0.${x}`, `2.0.0.${x}`); // previously ordered, now equals
    }
  });
});

// ---- Maven master's tests that hold for 3.9.x as well ------------------------------------------

describe("ComparableVersion: Maven master's characterization tests that hold for 3.9.x", () => {
  const greater = (high: string, low: string): void => {
    const h = new ComparableVersion(high);
    const l = new ComparableVersion(low);
    assert.ok(h.compareTo(l) > 0, `expected ${high} > ${low}`);
    assert.ok(l.compareTo(h) < 0, `expected ${low} < ${high}`);
  };
  const same = (a: string, b: string): void => {
    assert.equal(new ComparableVersion(a).compareTo(new ComparableVersion(b)), 0, `expected ${a} == ${b}`);
    assert.equal(new ComparableVersion(b).compareTo(new ComparableVersion(a)), 0, `expected ${b} == ${a}`);
  };

  it("testDigitGreaterThanNonAscii", () => greater("1", "é"));

  it("testDigitGreaterThanNonBmpCharacters", () => greater("1", "\uD835\uDFE4")); // MATHEMATICAL SANS-SERIF DIGIT TWO

  it("testLexicographicASCIISortOrder: case-insensitive, unlike Semver 1.0", () => same("1.0.0-ALPHA1", "1.0.0-alpha1"));

  it("testCompareLowerCaseToUpperCaseASCII", () => same("1.A", "1.a"));

  it("testCompareLowerCaseToUpperCaseNonASCII", () => same("1.É", "1.é"));

  it("testCompareDigitToLetter: digits are greater than letters", () => {
    greater("7", "J");
    greater("7", "c");
  });

  it("testLexicographicOrder", () => {
    greater("zebra", "aardvark");
    greater("ζέβρα", "zebra"); // Greek zebra
  });
});

// ---- Where 3.9.x differs from master (expected values from maven-artifact-3.9.6.jar) -----------

describe("ComparableVersion: 3.9.x behaviour that master changed", () => {
  it("MNG-7714 is not in 3.9.x: final is an alias of the release, so 1.0.final-redhat > 1.0-sp1-redhat", () => {
    for (const sp of ["1.0-sp1-redhat", "1.0-sp-1-redhat", "1.0-sp.1-redhat"]) {
      assert.ok(compareVersions("1.0.final-redhat", sp) > 0, `expected 1.0.final-redhat > ${sp}`);
    }
  });

  it("Unicode decimal digits are digits (Character.isDigit), so ٨ (Arabic-Indic eight) is 8", () => {
    assert.equal(new ComparableVersion("\u0668").canonical, "8");
    checkVersionsOrder("1", "\u0668");
    checkVersionsOrder("\u0668", "9");
  });

  it("a run of ten zeros is a 'long' zero, greater than an 'int' zero, with the same canonical form", () => {
    checkVersionsOrder("0.1", "0000000000.1");
    assert.equal(new ComparableVersion("0000000000.1").canonical, "0.1");
  });

  it("a zero dropped before a sub-list changes the order but not the canonical form", () => {
    checkVersionsOrder("1-0-1", "1-1");
    checkVersionsOrder("1-ga-1", "1-1");
    checkVersionsOrder("x", "0.x");
    assert.equal(new ComparableVersion("1-0-1").canonical, "1-1");
    assert.equal(new ComparableVersion("1-ga-1").canonical, "1-1");
  });
});

// ---- The helpers ---------------------------------------------------------------------------

describe("compareVersions, sortVersions, maxVersion, isSnapshotVersion", () => {
  it("compareVersions returns -1, 0 or 1", () => {
    assert.equal(compareVersions("1.0", "1.0.1"), -1);
    assert.equal(compareVersions("1.0.0", "1"), 0);
    assert.equal(compareVersions("1.0-sp", "1.0"), 1);
  });

  it("toString and value give the original string", () => {
    const v = new ComparableVersion("1.0.0-FINAL");
    assert.equal(v.toString(), "1.0.0-FINAL");
    assert.equal(v.value, "1.0.0-FINAL");
    assert.equal(v.canonical, "1");
  });

  it("sortVersions sorts ascending into a new array, keeping equal versions in input order", () => {
    const input = ["1.0", "1.0-SNAPSHOT", "1.0.0", "0.9", "1.0-alpha-1", "1-0", "1.0-1"];
    const copy = [...input];
    assert.deepEqual(sortVersions(input), ["0.9", "1.0-alpha-1", "1.0-SNAPSHOT", "1.0", "1.0.0", "1-0", "1.0-1"]);
    assert.deepEqual(input, copy);
  });

  it("maxVersion returns the highest version passing the predicate, or undefined", () => {
    const versions = ["1.0", "2.0-SNAPSHOT", "1.10", "1.9", "2.0-beta-1"];
    assert.equal(maxVersion(versions), "2.0-SNAPSHOT");
    assert.equal(maxVersion(versions, (v) => !isSnapshotVersion(v)), "2.0-beta-1");
    assert.equal(maxVersion(versions, (v) => v.startsWith("1.")), "1.10");
    assert.equal(maxVersion(["1", "1.0", "1.0.0"]), "1");
    assert.equal(maxVersion([]), undefined);
    assert.equal(maxVersion(versions, () => false), undefined);
  });

  it("isSnapshotVersion follows ArtifactUtils.isSnapshot", () => {
    for (const v of ["1.0-SNAPSHOT", "1.0-snapshot", "1.0.SNAPSHOT", "1.0SNAPSHOT", "SNAPSHOT",
      "1.0-20200101.120000-1", "1.0-20200101.120000-12", "-20200101.120000-1"]) {
      assert.ok(isSnapshotVersion(v), v);
    }
    for (const v of ["1.0", "SNAPSHO", "1.0-SNAPSHOT-1", "1.0-SNAPSHOT\n", "20200101.120000-1",
      "1.0-20200101.1200-1", "1.0-20200101.120000-", "1.0-20200101-120000-1", "1.0-20200101.120000-1a"]) {
      assert.ok(!isSnapshotVersion(v), v);
    }
  });
});

// ---- Properties ----------------------------------------------------------------------------

const RUNS = propertyRuns(500);

/** Upper-cases the letters of word picked by the bits of mask. */
const mixCase = (word: string, mask: number): string =>
  [...word].map((c, i) => ((mask >> i) & 1 ? c.toUpperCase() : c)).join("");

const KNOWN = ["alpha", "a", "beta", "b", "milestone", "m", "rc", "cr", "snapshot", "sp"];
const RELEASE_ALIASES = ["ga", "final", "release"];

/** A qualifier: a known one, a release alias (unless excluded) or a random word, in mixed case. */
const qualifier = (withReleaseAliases: boolean): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.oneof(
        fc.constantFrom(...KNOWN, ...(withReleaseAliases ? RELEASE_ALIASES : [])),
        // A random word may spell an alias too ("ga"): excluded when aliases are.
        fc.stringMatching(/^[a-z]{1,6}$/).filter((word) => withReleaseAliases || !RELEASE_ALIASES.includes(word)),
      ),
      fc.nat(),
    )
    .map(([word, mask]) => mixCase(word, mask));

/** A number, possibly with leading zeros or longer than a Java long; zero only if allowed. */
const number = (withZero: boolean): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.oneof(fc.bigInt({ min: 0n, max: 20n }), fc.bigInt({ min: 0n, max: 10n ** 30n })),
      fc.nat({ max: 12 }),
    )
    .filter(([n]) => withZero || n > 0n)
    .map(([n, zeros]) => "0".repeat(zeros) + n.toString());

/** A version: a number, then pieces each after '.', '-' or nothing (a letter/digit transition). */
const version = (opts: { withZero: boolean; withReleaseAliases: boolean }): fc.Arbitrary<string> =>
  fc
    .tuple(
      number(opts.withZero),
      fc.array(
        fc.tuple(fc.constantFrom(".", "-", ""), fc.oneof(number(opts.withZero), qualifier(opts.withReleaseAliases))),
        { maxLength: 5 },
      ),
    )
    .map(([first, rest]) => first + rest.map(([sep, piece]) => sep + piece).join(""));

const anyVersion = version({ withZero: true, withReleaseAliases: true });
/** Versions whose canonical form is faithful in 3.9.x: no zeros and no ga/final/release to drop. */
const plainVersion = version({ withZero: false, withReleaseAliases: false });
/** A release: numbers only, separated by '.' or '-'. */
const releaseVersion = fc
  .tuple(number(true), fc.array(fc.tuple(fc.constantFrom(".", "-"), number(true)), { maxLength: 5 }))
  .map(([first, rest]) => first + rest.map(([sep, n]) => sep + n).join(""));

/** Two versions that are often close: the same, re-cased, re-separated, or unrelated. */
const versionPair = (arb: fc.Arbitrary<string>): fc.Arbitrary<[string, string]> =>
  fc.tuple(arb, fc.nat({ max: 4 }), arb).map(([a, how, b]): [string, string] => {
    if (how === 0) return [a, a.toUpperCase()];
    if (how === 1) return [a, a.replace(/\./g, "-")];
    if (how === 2) return [a, a.replace(/-/g, ".")];
    if (how === 3) return [a, a.replace(/alpha/gi, "a").replace(/rc/gi, "cr")];
    return [a, b];
  });

const cmp = (a: string, b: string): number => compareVersions(a, b);

describe("ComparableVersion properties", () => {
  it("is reflexive", () => {
    fc.assert(
      fc.property(anyVersion, (v) => {
        assert.equal(cmp(v, v), 0);
        assert.ok(new ComparableVersion(v).equals(new ComparableVersion(v)));
      }),
      RUNS,
    );
  });

  it("is antisymmetric: sign(cmp(a, b)) = -sign(cmp(b, a))", () => {
    fc.assert(
      fc.property(versionPair(anyVersion), ([a, b]) => {
        assert.equal(Math.sign(cmp(a, b)), -Math.sign(cmp(b, a)) || 0);
      }),
      RUNS,
    );
  });

  it("is transitive", () => {
    fc.assert(
      fc.property(fc.tuple(anyVersion, anyVersion, anyVersion), fc.nat({ max: 3 }), ([a, b, c], shared) => {
        // Share a prefix now and then, so that the three are often close.
        if (shared > 0) [b, c] = [a + b.slice(0, shared), a + c.slice(0, shared)];
        const [x, y, z] = [a, b, c].sort(cmp) as [string, string, string];
        assert.ok(cmp(x, y) <= 0 && cmp(y, z) <= 0, `not sorted: ${x}, ${y}, ${z}`);
        if (cmp(x, y) < 0 || cmp(y, z) < 0) assert.ok(cmp(x, z) < 0, `${x} < ${z}`);
        else assert.equal(cmp(x, z), 0, `${x} == ${z}`);
      }),
      RUNS,
    );
  });

  it("compares equal exactly when equals holds, and equal versions have the same canonical form", () => {
    fc.assert(
      fc.property(versionPair(anyVersion), ([a, b]) => {
        const va = new ComparableVersion(a);
        const vb = new ComparableVersion(b);
        assert.equal(va.compareTo(vb) === 0, va.equals(vb));
        if (va.equals(vb)) assert.equal(va.canonical, vb.canonical);
      }),
      RUNS,
    );
  });

  it("compares equal exactly when the canonical forms are equal (versions without zeros or ga/final/release)", () => {
    // Not true of every 3.9.x version: "1-0-1" < "1-1" and "0000000000.1" > "0.1", with the same canonical forms.
    fc.assert(
      fc.property(versionPair(plainVersion), ([a, b]) => {
        const va = newComparable(a);
        const vb = newComparable(b);
        assert.equal(va.compareTo(vb) === 0, va.canonical === vb.canonical, `${a} vs ${b}`);
      }),
      RUNS,
    );
  });

  it("pads releases with zeros: 1 = 1.0 = 1.0.0 = 1-0", () => {
    fc.assert(
      fc.property(releaseVersion, fc.constantFrom(".0", "-0", ".0.0", "-0.0", ".00"), (v, padding) => {
        checkVersionsEqual(v, v + padding);
      }),
      RUNS,
    );
  });

  it("sortVersions returns a sorted permutation, stable for equal versions", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(anyVersion, releaseVersion), { maxLength: 12 }), (versions) => {
        const input = [...versions];
        const sorted = sortVersions(versions);
        assert.deepEqual(versions, input, "input not modified");
        const byIndex = versions
          .map((v, i) => ({ v, i }))
          .sort((p, q) => cmp(p.v, q.v) || p.i - q.i)
          .map((p) => p.v);
        assert.deepEqual(sorted, byIndex);
        for (let i = 1; i < sorted.length; i++) assert.ok(cmp(sorted[i - 1]!, sorted[i]!) <= 0);
      }),
      RUNS,
    );
  });

  it("maxVersion is the first of the highest versions", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(anyVersion, releaseVersion), { maxLength: 12 }), (versions) => {
        const max = maxVersion(versions);
        if (versions.length === 0) return assert.equal(max, undefined);
        assert.ok(max !== undefined);
        for (const v of versions) assert.ok(cmp(v, max) <= 0);
        assert.equal(max, versions.find((v) => cmp(v, max) === 0));
      }),
      RUNS,
    );
  });
});
