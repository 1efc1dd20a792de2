// ~/.netrc parsing as curl reads it: machine entries on one line or several, the first match,
// `default` for other hosts, `macdef` blocks skipped, no file meaning no credentials.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { netrcCredentials } from "../../../src/connect/netrc.js";
import { makeTempDir, removeTempDirs } from "../../helpers/temp-repos.js";

describe("netrcCredentials", () => {
  afterEach(removeTempDirs);

  it("the first matching machine, else default; macdef blocks are skipped", () => {
    const path = join(makeTempDir(), "netrc");
    writeFileSync(
      path,
      "macdef init\ncd /pub\nmachine trap.example login evil password evil\n\nmachine repo.example login ci password p1\nmachine repo.example login second password p2\ndefault\n  login anon\n  password guest\n",
    );
    const env = { NETRC: path };
    assert.deepEqual(netrcCredentials("REPO.example", env), { login: "ci", password: "p1" });
    assert.deepEqual(netrcCredentials("trap.example", env), { login: "anon", password: "guest" }, "a macro's body is not an entry");
    assert.deepEqual(netrcCredentials("other.example", env), { login: "anon", password: "guest" });
    assert.equal(netrcCredentials("x", { NETRC: join(makeTempDir(), "absent") }), undefined);
  });
});
