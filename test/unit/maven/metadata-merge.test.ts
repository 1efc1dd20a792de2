// Golden tests of the metadata merge: each directory in test/fixtures/merge holds target.xml
// (absent: nothing on the target), staged.xml, and either expected.xml (computed mode) and
// expected-maven.xml (maven mode), or error.json naming the error the merge must stop with.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isPromoteError } from "../../../src/errors.js";
import { mergeMetadataDocuments, type MetadataMode } from "../../../src/maven/metadata-merge.js";
import { parseMetadata } from "../../../src/maven/metadata.js";
import { fixturesDir } from "../../helpers/paths.js";

const MERGE_FIXTURES = join(fixturesDir, "merge");
const LAST_UPDATED = "20261122101500";
// MAVEN_PROMOTE_UPDATE_GOLDEN=1 rewrites the expected files; review every diff before committing.
const UPDATE = process.env.MAVEN_PROMOTE_UPDATE_GOLDEN === "1";

interface ErrorSpec {
  code: string;
  message: string;
  side?: "target" | "staged";
  modes?: MetadataMode[];
}

function runMerge(dir: string, mode: MetadataMode) {
  const path = "org/example/demo/maven-metadata.xml";
  const targetFile = join(dir, "target.xml");
  const target = existsSync(targetFile) ? parseMetadata(readFileSync(targetFile), `target ${path}`) : undefined;
  const staged = parseMetadata(readFileSync(join(dir, "staged.xml")), `staged ${path}`);
  return mergeMetadataDocuments({ target, staged, mode, lastUpdated: LAST_UPDATED });
}

describe("metadata merge (golden files)", () => {
  for (const name of readdirSync(MERGE_FIXTURES).sort()) {
    const dir = join(MERGE_FIXTURES, name);
    const errorFile = join(dir, "error.json");
    if (existsSync(errorFile)) {
      const spec = JSON.parse(readFileSync(errorFile, "utf8")) as ErrorSpec;
      for (const mode of spec.modes ?? (["computed", "maven"] as MetadataMode[])) {
        it(`${name} (${mode}): stops with ${spec.code}`, () => {
          assert.throws(
            () => runMerge(dir, mode),
            (error: unknown) => {
              assert.ok(isPromoteError(error), `expected a PromoteError, got ${String(error)}`);
              assert.equal(error.code, spec.code);
              assert.match(error.message, new RegExp(spec.message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
              if (spec.side !== undefined) assert.match(error.message, new RegExp(`^${spec.side} `), "the message names the file");
              assert.doesNotMatch(error.message, /\n/, "one line");
              return true;
            },
          );
        });
      }
      continue;
    }
    for (const mode of ["computed", "maven"] as MetadataMode[]) {
      const expectedFile = join(dir, mode === "computed" ? "expected.xml" : "expected-maven.xml");
      it(`${name} (${mode})`, () => {
        const result = runMerge(dir, mode);
        if (UPDATE) writeFileSync(expectedFile, result.xml);
        assert.equal(result.xml, readFileSync(expectedFile, "utf8"));
        // The written file parses back to the model that produced it.
        assert.deepEqual(parseMetadata(Buffer.from(result.xml), "round trip").metadata, result.metadata);
      });
    }
  }
});
