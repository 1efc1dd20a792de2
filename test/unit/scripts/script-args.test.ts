// The project's own scripts (bench, crash-test, fault-test) answer --help with their usage and a
// misspelt option or a bad number with one line and exit 2: a misspelt --kills must never start
// a run of the default 300 kills.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "../../helpers/paths.js";

function runScript(script: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(projectRoot, "dist", "scripts", `${script}.js`), ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the scripts' options", () => {
  for (const script of ["bench", "crash-test", "fault-test"]) {
    it(`${script} --help prints its usage and exits 0`, () => {
      const { code, stdout, stderr } = runScript(script, ["--help"]);
      assert.equal(code, 0, stderr);
      assert.match(stdout, new RegExp(`^usage: npm run ${script} -- `));
    });

    it(`${script} with a misspelt option says so in one line and exits 2, starting nothing`, () => {
      const { code, stdout, stderr } = runScript(script, ["--kils", "3"]);
      assert.equal(code, 2);
      assert.equal(stdout, "");
      assert.equal(stderr.split("\n")[0], `${script}: Unknown option '--kils'`);
    });
  }

  it("crash-test and fault-test refuse a count that is not a whole number", () => {
    assert.match(runScript("crash-test", ["--kills", "many"]).stderr, /^crash-test: --kills wants a whole number of at least 1, not 'many'\n/);
    assert.match(runScript("fault-test", ["--concurrency", "0"]).stderr, /^fault-test: --concurrency wants a whole number of at least 1, not '0'\n/);
    assert.match(runScript("crash-test", ["--executors", "shell,ftp"]).stderr, /^crash-test: --executors: unknown executor ftp /);
  });
});
