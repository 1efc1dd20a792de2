// The pipelined executor (what --sftp-only runs) on a local directory whose transport offers
// applyInOrder: the same tree and the same log as one step at a time, and a failed request in
// the metadata burst stops the commit with a clear error.
import assert from "node:assert/strict";
import { rename, unlink } from "node:fs/promises";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { isPromoteError } from "../../../src/errors.js";
import { readJournal } from "../../../src/promotion/journal.js";
import { promote } from "../../../src/promotion/promote.js";
import { LocalTransport } from "../../../src/transport/local-transport.js";
import type { OrderedOperation } from "../../../src/transport/transport.js";
import { isoNow } from "../../../src/util/iso-now.js";
import { copyRepoFixture, removeTempDirs, treeFingerprint } from "../../helpers/temp-repos.js";

const NOW = new Date("2026-11-22T10:15:00Z");

/** A local directory that answers a burst as an in-order server would; `refuse` fails some. */
class InOrderLocal extends LocalTransport {
  bursts = 0;
  constructor(root: string, private readonly refuse: (operation: OrderedOperation) => boolean = () => false) {
    super(root);
  }
  async applyInOrder(operations: readonly OrderedOperation[]): Promise<Array<{ error?: Error; at: string }>> {
    this.bursts++;
    const answers: Array<{ error?: Error; at: string }> = [];
    for (const operation of operations) {
      try {
        if (this.refuse(operation)) throw new Error("permission denied");
        if (operation.op === "rename") await rename(join(this.root, operation.from), join(this.root, operation.to));
        else await unlink(join(this.root, operation.path)).catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? undefined : Promise.reject(error)));
        answers.push({ at: isoNow() });
      } catch (error) {
        answers.push({ error: error as Error, at: isoNow() });
      }
    }
    return answers;
  }
}

function visible(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeFingerprint(root)).filter(([path]) => !path.startsWith(".maven-promote")));
}

describe("the pipelined executor (--sftp-only's)", function () {
  this.timeout(30_000);
  afterEach(removeTempDirs);

  for (const fixture of ["basic", "snapshot", "plugin"]) {
    it(`${fixture}: the same tree and log as one step at a time, the flips in one burst`, async () => {
      const one = copyRepoFixture(fixture);
      const piped = copyRepoFixture(fixture);
      const oneTarget = new LocalTransport(one.target);
      const pipedTarget = new InOrderLocal(piped.target);
      const a = await promote({ stagingDirectory: one.staging, target: oneTarget, executor: "transport", now: NOW });
      const b = await promote({ stagingDirectory: piped.staging, target: pipedTarget, executor: "transport", now: NOW });
      assert.equal(b.state, "committed");
      assert.deepEqual(b.verifyProblems, []);
      assert.equal(pipedTarget.bursts, 1);
      assert.deepEqual(visible(piped.target), visible(one.target));
      const logOf = async (transport: LocalTransport, id: string) => (await readJournal(transport, `.maven-promote/${id}`))!.log.map((entry) => `${entry.op} ${entry.subject}`);
      assert.deepEqual(await logOf(pipedTarget, b.plan.id), await logOf(oneTarget, a.plan.id));
      assert.ok(b.metadataWindow !== undefined);
    });
  }

  it("a removal refused in the burst stops the commit, naming the file", async () => {
    const dirs = copyRepoFixture("basic");
    writeFileSync(join(dirs.target, "org/example/demo/maven-metadata.xml.asc"), "stale");
    const target = new InOrderLocal(dirs.target, (operation) => operation.op === "remove");
    await assert.rejects(
      promote({ stagingDirectory: dirs.staging, target, executor: "transport", now: NOW }),
      (error: unknown) => isPromoteError(error) && error.code === "ERR_COMMIT_FAILED" && /cannot remove org\/example\/demo\/maven-metadata\.xml\.asc: permission denied/.test(error.message),
    );
  });
});
