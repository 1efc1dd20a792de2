// `maven-promote status`, `cleanup` and `unlock`: what is on record on a target, removing what
// promotions left behind, and breaking a stale lock on request.
import type { Command } from "commander";
import { cleanup, status, unlock } from "../api.js";
import { PromoteError } from "../errors.js";
import { describeActivity } from "../promotion/activity.js";
import { describeLock } from "../promotion/lock.js";
import { parseDuration } from "../util/duration.js";
import { EXIT } from "./exit-codes.js";
import { plural } from "./format.js";
import type { CliIo } from "./io.js";
import { addSshOptions, sshSettingsFrom, type SshOptionValues } from "./ssh-options.js";

interface TargetValues extends SshOptionValues {
  to: string;
  json?: boolean;
}

function targetCommand(program: Command, name: string, description: string): Command {
  return addSshOptions(
    program
      .command(name)
      .description(description)
      .requiredOption("--to <repo>", "the target repository: a path, file:///path or sftp://user@host[:port]/path")
      .option("--json", "print one JSON object on stdout"),
  );
}

interface StopValues {
  wait: string;
  stop?: boolean;
}

/** A promotion's work that still runs is waited for (--wait) or stopped (--stop); else refused. */
function addStopOptions(command: Command): Command {
  return command
    .option("--wait <duration>", "wait this long for a promotion's work still running to end (e.g. 30s, 10m)", "0")
    .option("--stop", "stop a promotion's work still running (SIGTERM, then SIGKILL) instead of waiting for it");
}

function holderState(lock: { expired: boolean; alive: boolean | null }): string {
  const notes = [];
  if (lock.alive === true) notes.push("its process is running");
  if (lock.alive === false) notes.push("its process is gone");
  if (lock.expired) notes.push("expired: stale?");
  return notes.length === 0 ? "" : ` (${notes.join("; ")})`;
}

export function registerAdminCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  targetCommand(program, "status", "show the target's lock and the promotions on record").action(async (values: TargetValues) => {
    const result = await status({ to: values.to, ssh: sshSettingsFrom(values, io.env) });
    if (values.json) io.stdout(JSON.stringify(result, null, 2) + "\n");
    else {
      const lines = [result.lock === null ? "Lock: free" : `Lock: held by ${describeLock(result.lock)}${holderState(result.lock)}`];
      lines.push("", result.promotions.length === 0 ? "No promotions on record." : `Promotions (${result.promotions.length}):`);
      for (const promotion of result.promotions) {
        lines.push(`  ${promotion.id}  ${promotion.state.padEnd(11)}  ${promotion.createdAt}  ${promotion.user}@${promotion.host}  ${promotion.versions.join(", ") || "(no new versions)"}`);
        if (promotion.stoppedBy !== undefined) {
          const { hook, exitCode, reason } = promotion.stoppedBy;
          lines.push(`      stopped by the ${hook} hook${exitCode === null ? "" : ` (exit ${exitCode})`}: ${reason}`);
        } else if (promotion.error !== undefined) lines.push(`      ${promotion.error}`);
        if (promotion.group !== undefined) {
          const open = promotion.state !== "committed" && promotion.state !== "rolled-back";
          lines.push(`      one of a group promotion into ${promotion.group.members.join(", ")}${open ? ": resume or roll it back with that --to list" : ""}`);
        }
        if (promotion.remote) lines.push(`      still running on the server: ${describeActivity({ kind: "remote", ...promotion.remote })}`);
      }
      for (const path of result.unreadable) lines.push(`  ${path}: no readable journal`);
      lines.push(
        "",
        result.sync === null
          ? "Durability: none: the server offers no fsync@openssh.com, so after a power loss of the server a commit's renames may reach its disk out of order."
          : `Durability: a commit's renames reach the disk (${result.sync}) before its metadata flips, and those before it is recorded.`,
      );
      io.stdout(lines.join("\n") + "\n");
    }
    setExit(EXIT.ok);
  });

  addStopOptions(targetCommand(program, "cleanup", "remove stale .rip items, bundles and finished promotion records"))
    .option("--older-than <duration>", "keep what is younger than this", "24h")
    .option("--dry-run", "list what would be removed; remove nothing")
    .option("--scan", "also walk the whole target for .rip names no journal names")
    .action(async (values: TargetValues & StopValues & { olderThan: string; dryRun?: boolean; scan?: boolean }) => {
      const result = await cleanup({
        waitMs: parseDuration(values.wait, "--wait"),
        stop: values.stop ?? false,
        to: values.to,
        ssh: sshSettingsFrom(values, io.env),
        olderThanMs: parseDuration(values.olderThan, "--older-than"),
        dryRun: values.dryRun ?? false,
        scan: values.scan ?? false,
      });
      if (values.json) io.stdout(JSON.stringify(result, null, 2) + "\n");
      else {
        const verb = result.dryRun ? "Would remove" : "Removed";
        const lines = [result.actions.length === 0 ? "Nothing to clean up." : `${verb} ${plural(result.actions.length, "item")}:`];
        for (const action of result.actions) lines.push(`  ${action.path}  (${action.what}${action.id === undefined ? "" : ` of ${action.id}`})`);
        for (const kept of result.kept) lines.push(`Kept ${kept.id}: ${kept.reason}`);
        io.stdout(lines.join("\n") + "\n");
      }
      setExit(EXIT.ok);
    });

  addStopOptions(targetCommand(program, "unlock", "break the target's lock (a promotion whose process is gone); needs --force"))
    .option("--force", "really break it")
    .action(async (values: TargetValues & StopValues & { force?: boolean }) => {
      if (!values.force) {
        throw new PromoteError("ERR_USAGE", "unlock breaks another promotion's lock: add --force if its process is really gone (resume/rollback need no unlock)", { path: "--force" });
      }
      const holder = await unlock({ to: values.to, ssh: sshSettingsFrom(values, io.env), waitMs: parseDuration(values.wait, "--wait"), stop: values.stop ?? false });
      if (values.json) io.stdout(JSON.stringify({ ok: true, broken: holder ?? null }, null, 2) + "\n");
      else io.stdout(holder === undefined ? "The target was not locked.\n" : `Broke the lock of ${describeLock(holder)}.\n`);
      setExit(EXIT.ok);
    });
}
