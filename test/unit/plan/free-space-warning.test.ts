// The plan's free-space warning: uploads plus the backups of the files the commit replaces,
// against what the target says it has free; nothing where the target cannot tell.
import assert from "node:assert/strict";
import { freeSpaceWarning } from "../../../src/plan/free-space-warning.js";
import type { MetadataPlan, UploadPlan } from "../../../src/plan/plan-types.js";
import type { FreeSpace } from "../../../src/transport/no-space.js";
import type { FileStat, Transport } from "../../../src/transport/transport.js";

const METADATA = "org/x/lib/maven-metadata.xml";
/** The target's files the commit would back up (the .sha256 and .asc are absent). */
const TARGET_FILES: Record<string, number> = { [METADATA]: 400, [`${METADATA}.md5`]: 32, [`${METADATA}.sha1`]: 40 };
const UPLOADS: UploadPlan[] = [
  { path: "org/x/lib/1.0/lib-1.0.jar", size: 900, kind: "artifact", origin: "staged" },
  { path: METADATA, size: 100, kind: "metadata", origin: "merged" },
];
const CHANGED = { path: METADATA, changed: true, targetExists: true } as MetadataPlan;

function targetWith(space: FreeSpace | undefined | "no method"): Transport {
  const stat = async (path: string): Promise<FileStat | undefined> => (path in TARGET_FILES ? { type: "file", size: TARGET_FILES[path]! } : undefined);
  const target = { location: "sftp://h/repo", stat } as unknown as Transport;
  if (space !== "no method") target.freeSpace = async () => space;
  return target;
}

describe("freeSpaceWarning", () => {
  it("warns when the free bytes are below the uploads (1,000) plus the backups (472), naming the target and both", async () => {
    const warning = await freeSpaceWarning(targetWith({ bytes: 1471, inodes: 100 }), UPLOADS, [CHANGED]);
    assert.equal(warning?.message, 'sftp://h/repo: 1471 bytes free, less than the 1472 bytes this promotion writes (uploads 1000 B, backups 472 B); it will stop with "no space left" unless space is freed first');
  });

  it("is quiet when they fit exactly, and counts no backup for metadata that is new or unchanged", async () => {
    assert.equal(await freeSpaceWarning(targetWith({ bytes: 1472, inodes: 100 }), UPLOADS, [CHANGED]), undefined);
    const created = { ...CHANGED, targetExists: false };
    const unchanged = { ...CHANGED, changed: false };
    assert.equal(await freeSpaceWarning(targetWith({ bytes: 1000, inodes: 100 }), UPLOADS, [created, unchanged]), undefined);
  });

  it("warns when the inodes are below the files written (2 uploads + 3 backups)", async () => {
    const warning = await freeSpaceWarning(targetWith({ bytes: 1 << 30, inodes: 4 }), UPLOADS, [CHANGED]);
    assert.match(warning?.message ?? "", /^sftp:\/\/h\/repo: 4 inodes free, less than the 5 files this promotion writes/);
    assert.equal(await freeSpaceWarning(targetWith({ bytes: 1 << 30, inodes: 5 }), UPLOADS, [CHANGED]), undefined);
  });

  it("says nothing where the target cannot tell (no statvfs@openssh.com, or no such method)", async () => {
    assert.equal(await freeSpaceWarning(targetWith(undefined), UPLOADS, [CHANGED]), undefined);
    assert.equal(await freeSpaceWarning(targetWith("no method"), UPLOADS, [CHANGED]), undefined);
  });
});
