// settings.xml <server> lookup: the user file wins over the global one per id, ${env.NAME} and
// ${user.home} are interpolated (an unset variable stays as written), and bad files are one line.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { isPromoteError } from "../../../src/errors.js";
import { findServer } from "../../../src/connect/maven-settings.js";
import { encryptedPart } from "../../../src/connect/settings-cipher.js";
import { makeTempDir, removeTempDirs } from "../../helpers/temp-repos.js";

function write(xml: string): string {
  const path = join(makeTempDir(), "settings.xml");
  writeFileSync(path, xml);
  return path;
}

const servers = (...entries: string[]) => `<settings><servers>${entries.join("")}</servers></settings>`;

describe("findServer (settings.xml)", () => {
  afterEach(removeTempDirs);

  it("the user file's entry wins per id; the global one fills in ids the user file lacks", () => {
    const user = write(servers("<server><id>a</id><username>user-a</username></server>"));
    const global = write(servers("<server><id>a</id><username>global-a</username><password>g</password></server><server><id>b</id><username>global-b</username></server>"));
    const a = findServer("a", "--server-id", { settings: user, globalSettings: global }, {});
    assert.deepEqual(a, { id: "a", file: user, username: "user-a" }, "the whole entry comes from the user file");
    assert.equal(findServer("b", "--server-id", { settings: user, globalSettings: global }, {}).username, "global-b");
  });

  it("interpolates ${env.NAME} and ${user.home}; leaves an unset variable as written", () => {
    const file = write(servers("<server><id>x</id><username>${env.DEPLOYER}</username><privateKey>${user.home}/.ssh/k</privateKey><password>${env.UNSET_VAR_XYZ}</password></server>"));
    const server = findServer("x", "--server-id", { settings: file }, { DEPLOYER: "ops" });
    assert.equal(server.username, "ops");
    assert.equal(server.privateKey, `${homedir()}/.ssh/k`);
    assert.equal(server.password, "${env.UNSET_VAR_XYZ}");
  });

  it("a plain value or an escaped brace is not encrypted", () => {
    assert.equal(encryptedPart("plain"), undefined);
    assert.equal(encryptedPart("\\{notEncrypted\\}"), undefined);
    assert.equal(encryptedPart("note {QUJD} note"), "QUJD");
  });

  it("a malformed file, a missing --settings file and a second <password> are one line naming the file", () => {
    const message = (settings: string): string => {
      try {
        findServer("x", "--server-id", { settings }, {});
      } catch (error) {
        assert.ok(isPromoteError(error));
        return error.message;
      }
      return "no error";
    };
    const broken = write("<settings><servers><server>");
    assert.match(message(broken), new RegExp(`^${broken}: `));
    const missing = join(makeTempDir(), "missing.xml");
    assert.match(message(missing), new RegExp(`^${missing}: cannot read the Maven settings \\(ENOENT\\)$`));
    const twice = write(servers("<server><id>x</id><password>a</password><password>b</password></server>"));
    assert.equal(message(twice), `${twice}: <server> has 2 <password> elements`);
  });
});
