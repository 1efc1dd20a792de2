// The --public-url check's judgement, with answers made here (the real nginx cache is in
// test/integration/public-url.test.ts): what counts as stale, as a checksum that breaks builds,
// as another file; how long it waits between reads; which files it reads.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { checkPublic, expectationsFromPlan, pollDelay, waitUntilPublic, type PublicExpectation, type PublicFileReport } from "../../../src/promotion/public-check.js";
import type { PublicAnswer } from "../../../src/transport/http-source.js";
import type { Plan } from "../../../src/plan/plan-types.js";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
const sha1 = (text: string): string => createHash("sha1").update(text).digest("hex");
const METADATA = "org/example/hello/maven-metadata.xml";
const OLD = "<metadata>old</metadata>";
const NEW = "<metadata>new</metadata>";

const expectations: PublicExpectation[] = [
  { path: METADATA, kind: "metadata", sha256: sha256(NEW), oldSha256: sha256(OLD) },
  { path: `${METADATA}.sha1`, kind: "checksum", checksum: sha1(NEW), of: METADATA },
];

/** A server whose answers are the texts given, by path (absent: 404). */
function served(files: Record<string, string>, headers: PublicAnswer["headers"] = {}): (path: string) => Promise<PublicAnswer> {
  return async (path) => {
    const text = files[path];
    return text === undefined ? { status: 404, headers } : { status: 200, sha256: sha256(text), text, headers };
  };
}

const verdicts = (reports: PublicFileReport[]): string[] => reports.map((report) => `${report.path.split("/").pop()} ${report.verdict}`);

describe("public check: what users download", () => {
  it("is ok when the metadata and its checksum are served as written", async () => {
    const reports = await checkPublic("http://cdn", expectations, served({ [METADATA]: NEW, [`${METADATA}.sha1`]: `${sha1(NEW)}\n` }));
    assert.deepEqual(verdicts(reports), ["maven-metadata.xml ok", "maven-metadata.xml.sha1 ok"]);
  });

  it("calls metadata served as before the promotion stale, and names the caching headers", async () => {
    const reports = await checkPublic("http://cdn", expectations, served({ [METADATA]: OLD, [`${METADATA}.sha1`]: sha1(OLD) }, { "x-cache": "HIT", "cache-control": "max-age=60" }));
    assert.deepEqual(verdicts(reports), ["maven-metadata.xml stale", "maven-metadata.xml.sha1 stale"]);
    assert.match(reports[0]!.message!, /^http:\/\/cdn\/org\/example\/hello\/maven-metadata\.xml: served as it was before the promotion.*\(cache-control: max-age=60; x-cache: HIT\)$/);
  });

  it("names new metadata beside an old checksum as the error that breaks checksumPolicy=fail", async () => {
    const reports = await checkPublic("http://cdn", expectations, served({ [METADATA]: NEW, [`${METADATA}.sha1`]: sha1(OLD) }));
    assert.deepEqual(verdicts(reports), ["maven-metadata.xml ok", "maven-metadata.xml.sha1 checksum-mismatch"]);
    assert.match(reports[1]!.message!, /checksumPolicy=fail/);
  });

  it("calls a 404 stale (not visible yet) and an artifact with other bytes different", async () => {
    const artifact: PublicExpectation = { path: "org/example/hello/1.2.0/hello-1.2.0.jar", kind: "artifact", sha256: sha256("jar") };
    const reports = await checkPublic("http://cdn", [...expectations, artifact], served({ [artifact.path]: "not the jar" }));
    assert.deepEqual(verdicts(reports), ["maven-metadata.xml stale", "maven-metadata.xml.sha1 stale", "hello-1.2.0.jar different"]);
  });

  it("waits what max-age less Age asks for, within bounds, and 5 s where no answer says", () => {
    const report = (headers: PublicFileReport["headers"]): PublicFileReport => ({ path: "p", url: "u", kind: "metadata", verdict: "stale", status: 200, headers });
    assert.equal(pollDelay([report({ "cache-control": "public, max-age=30", age: "12" })]), 18_000);
    assert.equal(pollDelay([report({ "cache-control": "s-maxage=5" }), report({ "cache-control": "max-age=9" })]), 9_000);
    assert.equal(pollDelay([report({ "cache-control": "max-age=3600" })]), 60_000);
    assert.equal(pollDelay([report({ "cache-control": "max-age=0" })]), 500);
    assert.equal(pollDelay([report({})]), 5_000);
  });

  it("reads again, only what was wrong (and the metadata beside a checksum), until it is right", async () => {
    let clock = 0;
    const files: Record<string, string> = { [METADATA]: OLD, [`${METADATA}.sha1`]: sha1(OLD) };
    const reads: string[] = [];
    const sleeps: number[] = [];
    const report = await waitUntilPublic("http://cdn", expectations, async (path) => (reads.push(path), served(files, { "cache-control": "max-age=2" })(path)), {
      waitMs: 60_000,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
        // The cache lets go of the metadata first, then of its checksum.
        if (sleeps.length === 1) files[METADATA] = NEW;
        else files[`${METADATA}.sha1`] = sha1(NEW);
      },
    });
    assert.equal(report.ok, true);
    assert.equal(report.attempts, 3);
    assert.deepEqual(sleeps, [2_000, 2_000]);
    assert.equal(report.waitedMs, 4_000);
    assert.deepEqual(reads.map((path) => path.split("/").pop()), ["maven-metadata.xml", "maven-metadata.xml.sha1", "maven-metadata.xml", "maven-metadata.xml.sha1", "maven-metadata.xml", "maven-metadata.xml.sha1"]);
  });

  it("gives up when the wait runs out, and at once when the URL serves other files (waiting cannot help)", async () => {
    let clock = 0;
    const stale = await waitUntilPublic("http://cdn", expectations, served({ [METADATA]: OLD }), { waitMs: 7_000, now: () => clock, sleep: async (ms) => void (clock += ms) });
    assert.equal(stale.ok, false);
    assert.equal(stale.attempts, 3); // at 0, 5 and 7 s (the last wait cut to what was left)
    assert.equal(stale.waitedMs, 7_000);
    const artifact: PublicExpectation = { path: "a.jar", kind: "artifact", sha256: sha256("jar") };
    const other = await waitUntilPublic("http://cdn", [artifact], served({ "a.jar": "other" }), { waitMs: 60_000, sleep: async () => assert.fail("no wait") });
    assert.deepEqual(verdicts(other.problems), ["a.jar different"]);
  });

  it("expects every changed metadata file with its checksums, each new checksum file and the three smallest artifacts", async () => {
    const plan = {
      metadata: [
        { path: METADATA, changed: true, checksums: ["md5", "sha1"], digests: { md5: "m", sha1: "s", sha256: "h" }, targetSha256: "old" },
        { path: "org/example/other/maven-metadata.xml", changed: false, checksums: [], digests: {}, targetSha256: "x" },
      ],
      uploads: [
        { path: METADATA, kind: "metadata", origin: "merged", size: 10, content: NEW },
        { path: "g/a/1/a-1.jar", kind: "artifact", origin: "staged", size: 400, sha256: "j" },
        { path: "g/a/1/a-1.jar.sha1", kind: "checksum", origin: "staged", size: 40, content: `${sha1("jar")}  a-1.jar\n` },
        { path: "g/a/1/a-1.pom", kind: "artifact", origin: "staged", size: 100, sha256: "p" },
        { path: "g/a/1/a-1-sources.jar", kind: "artifact", origin: "staged", size: 300, sha256: "s" },
        { path: "g/a/1/a-1-javadoc.jar", kind: "artifact", origin: "staged", size: 200, sha256: "d" },
      ],
    } as unknown as Plan;
    const expected = await expectationsFromPlan(plan);
    assert.deepEqual(
      expected.map((expectation) => `${expectation.kind} ${expectation.path} ${expectation.sha256 ?? expectation.checksum}`),
      [
        `metadata ${METADATA} h`,
        `checksum ${METADATA}.md5 m`,
        `checksum ${METADATA}.sha1 s`,
        `checksum g/a/1/a-1.jar.sha1 ${sha1("jar")}`,
        "artifact g/a/1/a-1.pom p",
        "artifact g/a/1/a-1-javadoc.jar d",
        "artifact g/a/1/a-1-sources.jar s",
      ],
    );
  });
});
