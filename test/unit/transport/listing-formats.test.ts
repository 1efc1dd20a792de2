// The listing parsers on pages in the formats of Nexus 2, Artifactory and Nexus 3's asset API
// (test/fixtures/listings/), and the Nexus 3 asset list turned into a directory tree.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseHtmlListing } from "../../../src/transport/http-source.js";
import { assetsPageUrl, assetTree, nexus3RepositoryOf, parseAssetsPage } from "../../../src/transport/nexus3-assets.js";
import { fixturesDir } from "../../helpers/paths.js";

const listing = (name: string) => readFileSync(join(fixturesDir, "listings", name), "utf8");
const coreDirectory = [
  { name: "1.0", type: "directory" },
  { name: "1.1", type: "directory" },
  { name: "maven-metadata.xml", type: "file" },
  { name: "maven-metadata.xml.sha1", type: "file" },
];

describe("unit: repository managers' listings", () => {
  it("Nexus 2: absolute links below the directory; the parent, icons and stylesheets are not entries", () => {
    const directory = new URL("https://repo.example.org/nexus/content/repositories/releases/org/example/core/");
    assert.deepEqual(parseHtmlListing(listing("nexus2.html"), directory), coreDirectory);
  });

  it("Nexus 2 reached under another host name than its own base URL: nothing is followed off the host", () => {
    const directory = new URL("https://mirror.example.net/nexus/content/repositories/releases/org/example/core/");
    assert.deepEqual(parseHtmlListing(listing("nexus2.html"), directory), []);
  });

  it("Artifactory: relative links in a <pre>; ../ is not an entry", () => {
    const directory = new URL("https://repo.example.org/artifactory/libs-release-local/org/example/core/");
    assert.deepEqual(parseHtmlListing(listing("artifactory.html"), directory), coreDirectory);
  });

  it("Nexus 3: a repository URL is recognised, with the path below it as the stage's prefix", () => {
    const repository = nexus3RepositoryOf(new URL("https://repo.example.org/nexus/repository/releases/org/example/"))!;
    assert.equal(repository.assetsUrl.href, "https://repo.example.org/nexus/service/rest/v1/assets");
    assert.equal(repository.name, "releases");
    assert.equal(repository.prefix, "org/example/");
    assert.equal(assetsPageUrl(repository, "a b&c").href, "https://repo.example.org/nexus/service/rest/v1/assets?repository=releases&continuationToken=a+b%26c");
    assert.equal(nexus3RepositoryOf(new URL("https://repo.example.org/artifactory/libs-release-local/")), undefined);
  });

  it("Nexus 3: a page of the asset list gives its paths (with or without a leading /) and the next token", () => {
    const url = new URL("https://repo.example.org/service/rest/v1/assets?repository=releases");
    const page = parseAssetsPage(listing("nexus3-assets.json"), url);
    assert.deepEqual(page.paths, ["/org/example/core/1.1/core-1.1.pom", "org/example/core/1.1/core-1.1.pom.sha1", "/org/example/core/maven-metadata.xml"]);
    assert.equal(page.continuationToken, "88491cd1d185dd136f143f20c4e7d50c");
    assert.equal(parseAssetsPage(`{"items":[],"continuationToken":null}`, url).continuationToken, undefined);
  });

  it("Nexus 3: a malformed page is one line naming the URL", () => {
    const url = new URL("https://repo.example.org/service/rest/v1/assets?repository=releases");
    for (const [body, message] of [
      ["<html>", "is not valid JSON"],
      [`{"things":[]}`, `has no "items" array`],
      [`{"items":[{"name":"x"}]}`, `a Nexus 3 asset has no "path"`],
      [`{"items":[],"continuationToken":7}`, "continuationToken is not a string"],
    ]) {
      assert.throws(() => parseAssetsPage(body!, url), (error: Error) => error.message.startsWith(url.href) && error.message.includes(message!));
    }
  });

  it("Nexus 3: the asset paths become a directory tree under the prefix; others are left out", () => {
    const tree = assetTree(["/org/example/core/1.1/core-1.1.pom", "org/example/core/maven-metadata.xml", "/com/other/x/1/x-1.pom"], "org/example/");
    assert.deepEqual(tree.get(""), [{ name: "core", type: "directory" }]);
    assert.deepEqual(tree.get("core"), [
      { name: "1.1", type: "directory" },
      { name: "maven-metadata.xml", type: "file" },
    ]);
    assert.deepEqual(tree.get("core/1.1"), [{ name: "core-1.1.pom", type: "file" }]);
    assert.equal(tree.get("com"), undefined);
  });

  it("Nexus 3: an empty segment, or a name both file and directory, is refused", () => {
    assert.throws(() => assetTree(["org//x.pom"], ""), /org\/\/x\.pom: a Nexus 3 asset path with an empty segment/);
    assert.throws(() => assetTree(["org/x", "org/x/y.pom"], ""), /org\/x: Nexus 3 lists it both as a file and as a directory/);
  });
});
