// The group's order of work with members made here (the real servers are in
// test/integration/group.test.ts): every target prepared before any commit, in URL order; what
// is undone, in which order, for a failure at each point; and what each target shows after.
import assert from "node:assert/strict";
import { promoteGroup, type GroupMember } from "../../../src/promotion/group.js";
import type { PromoteResult } from "../../../src/promotion/phase-runners.js";

/** Members that log what is done to them, failing where told. */
function members(names: string[], failures: Partial<Record<string, "prepare" | "refuse" | "hook" | "commit" | "rollback">> = {}): { members: GroupMember[]; log: string[] } {
  const log: string[] = [];
  const result = (state: PromoteResult["state"], ok = true): PromoteResult => ({ plan: { ok, versions: [], errors: [] } as unknown as PromoteResult["plan"], completed: state === "stopped" ? "upload" : null, state, verifyProblems: [], executor: "transport" });
  return {
    log,
    members: names.map((to) => ({
      to,
      prepare: async () => {
        log.push(`prepare ${to}`);
        if (failures[to] === "prepare") throw new Error(`${to}: upload failed`);
        if (failures[to] === "hook") return { ...result("stopped"), completed: "stage", stoppedBy: { hook: "beforePhase", exitCode: null, reason: "no" } };
        return failures[to] === "refuse" ? result("planned", false) : result("stopped");
      },
      commit: async () => {
        log.push(`commit ${to}`);
        if (failures[to] === "commit") throw new Error(`${to}: commit failed`);
        return result("committed");
      },
      rollback: async () => {
        log.push(`rollback ${to}`);
        if (failures[to] === "rollback") throw new Error(`${to}: rollback failed`);
        return { id: "g", from: "uploaded", restored: [], removed: [] };
      },
      release: async () => void log.push(`release ${to}`),
    })),
  };
}

const outcomes = (result: Awaited<ReturnType<typeof promoteGroup>>): string[] => result.members.map((member) => `${member.to} ${member.outcome}`);

describe("group promotion: all or none", () => {
  it("prepares every target in URL order before committing any, then lets go of every lock", async () => {
    const { members: group, log } = members(["sftp://b/r", "/srv/local", "sftp://a/r"]);
    const result = await promoteGroup("g", group);
    assert.deepEqual([result.ok, result.state], [true, "committed"]);
    assert.deepEqual(log, [
      "prepare /srv/local", "prepare sftp://a/r", "prepare sftp://b/r",
      "commit /srv/local", "commit sftp://a/r", "commit sftp://b/r",
      "release /srv/local", "release sftp://a/r", "release sftp://b/r",
    ]);
  });

  it("a failure while preparing withdraws the targets prepared before it, and touches none after", async () => {
    const { members: group, log } = members(["a", "b", "c"], { b: "prepare" });
    const result = await promoteGroup("g", group);
    assert.equal(result.state, "withdrawn");
    assert.match(String(result.error), /b: upload failed/);
    assert.deepEqual(log, ["prepare a", "prepare b", "rollback a"]);
    assert.deepEqual(outcomes(result), ["a withdrawn", "b untouched", "c untouched"]);
  });

  it("a member stopped by a hook is not taken for prepared: the others are withdrawn", async () => {
    const { members: group, log } = members(["a", "b", "c"], { b: "hook" });
    const result = await promoteGroup("g", group);
    assert.equal(result.state, "withdrawn");
    assert.match(String(result.error), /b was stopped by the beforePhase hook \(no\)/);
    assert.deepEqual(log, ["prepare a", "prepare b", "rollback a"]);
  });

  it("a refused plan withdraws what was prepared and is reported as refused", async () => {
    const { members: group, log } = members(["a", "b", "c"], { c: "refuse" });
    const result = await promoteGroup("g", group);
    assert.equal(result.state, "refused");
    assert.deepEqual(log, ["prepare a", "prepare b", "prepare c", "rollback a", "rollback b"]);
  });

  it("a failed commit with --on-partial rollback: the rest withdrawn, the failed one and the committed ones rolled back, newest first", async () => {
    const { members: group, log } = members(["a", "b", "c", "d"], { c: "commit" });
    const result = await promoteGroup("g", group, "rollback");
    assert.equal(result.state, "rolled-back");
    assert.deepEqual(log.slice(4), ["commit a", "commit b", "commit c", "rollback d", "rollback c", "rollback b", "rollback a"]);
    assert.deepEqual(outcomes(result), ["a rolled-back", "b rolled-back", "c rolled-back", "d withdrawn"]);
  });

  it("a rollback that fails leaves the group partial, that target marked failed", async () => {
    const { members: group } = members(["a", "b", "c"], { b: "commit", a: "rollback" });
    const result = await promoteGroup("g", group);
    assert.equal(result.state, "partial");
    assert.deepEqual(outcomes(result), ["a failed", "b rolled-back", "c withdrawn"]);
    assert.match(result.members[0]!.error!, /a: rollback failed/);
  });

  it("a failed commit with --on-partial keep keeps the committed ones (their locks let go), withdraws the rest", async () => {
    const { members: group, log } = members(["a", "b", "c"], { b: "commit" });
    const result = await promoteGroup("g", group, "keep");
    assert.equal(result.state, "partial");
    assert.deepEqual(log.slice(3), ["commit a", "commit b", "rollback c", "release a"]);
    assert.deepEqual(outcomes(result), ["a committed", "b failed", "c withdrawn"]);
  });
});
