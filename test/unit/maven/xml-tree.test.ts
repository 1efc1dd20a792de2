// The safe XML reader: encodings, refusals, and the limits that keep hostile files harmless.
import assert from "node:assert/strict";
import { isPromoteError } from "../../../src/errors.js";
import { parseXml, serializeXml, textOf, childElements } from "../../../src/maven/xml-tree.js";

function refuses(bytes: Uint8Array, pattern: RegExp, maxBytes?: number): void {
  assert.throws(
    () => parseXml(bytes, { path: "g/a/maven-metadata.xml", ...(maxBytes === undefined ? {} : { maxBytes }) }),
    (error: unknown) => {
      assert.ok(isPromoteError(error));
      assert.equal(error.code, "ERR_METADATA_PARSE");
      assert.match(error.message, /^g\/a\/maven-metadata\.xml: /);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe("xml-tree", () => {
  it("decodes UTF-8 with a BOM, UTF-16 with a BOM, and ISO-8859-1 by declaration", () => {
    const text = '<?xml version="1.0" encoding="UTF-8"?><m><n>Jürgen</n></m>';
    const utf8Bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace("UTF-8", "UTF-16"), "utf16le")]);
    const latin1 = Buffer.from(text.replace("UTF-8", "ISO-8859-1"), "latin1");
    for (const bytes of [utf8Bom, utf16, latin1]) {
      assert.equal(textOf(childElements(parseXml(bytes, { path: "x" }), "n")[0]!), "Jürgen");
    }
  });

  it("decodes the predefined entities and character references in values", () => {
    const root = parseXml(Buffer.from("<m><n>a &amp; b &lt;c&gt; &#65;&#x42;</n></m>"), { path: "x" });
    assert.equal(textOf(childElements(root, "n")[0]!), "a & b <c> AB");
  });

  it("keeps unknown text escaped, so it round-trips exactly", () => {
    const root = parseXml(Buffer.from('<m a="x &amp; y"><n>a &amp; b</n></m>'), { path: "x" });
    assert.equal(serializeXml(root), '<?xml version="1.0" encoding="UTF-8"?>\n<m a="x &amp; y">\n  <n>a &amp; b</n>\n</m>\n');
  });

  it("refuses invalid bytes for the declared encoding", () => refuses(Buffer.from([0x3c, 0x6d, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x6d, 0x3e]), /not valid UTF-8/));
  it("refuses an unknown encoding", () => refuses(Buffer.from('<?xml version="1.0" encoding="EBCDIC-XYZ"?><m/>'), /unsupported encoding "EBCDIC-XYZ"/));
  it("refuses NUL bytes", () => refuses(Buffer.alloc(100), /NUL bytes/));
  it("refuses an empty file", () => refuses(Buffer.alloc(0), /empty/));
  it("refuses a file over the size limit before parsing it", () => refuses(Buffer.from("<m>" + "x".repeat(2000) + "</m>"), /over the 1024-byte limit/, 1024));
  it("refuses a DOCTYPE, so no entity is ever expanded", () => refuses(Buffer.from('<!DOCTYPE m [<!ENTITY a "aaaa">]><m>&a;</m>'), /DOCTYPE and ENTITY declarations are not allowed/));
  it("refuses a document with two roots", () => refuses(Buffer.from("<m/><n/>"), /malformed XML|one root element/));
  it("refuses unclosed elements with a line and column", () => refuses(Buffer.from("<m>\n  <n>\n</m>"), /malformed XML at line \d+, column \d+/));
});
