// `maven-promote status`, `cleanup` and `unlock`: what is on record on a target, removing what
// promotions left behind, and breaking a stale lock on request.
import type { Command } from "commander";
import { cleanup, status, unlock } from "../api.js";
import { PromoteError } from "../errors.js";
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

export function registerAdminCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  targetCommand(program, "status", "show the target's lock and the promotions on record").action(async (values: TargetValues) => {
    const result = await status({ to: values.to, ssh: sshSettingsFrom(values, io.env) });
    if (values.json) io.stdout(JSON.stringify(result, null, 2) + "\n");
    else {
      const lines = [result.lock === null ? "Lock: free" : `Lock: held by ${describeLock(result.lock)}${result.lock.expired ? " (expired: stale?)" : ""}`];
      lines.push("", result.promotions.length === 0 ? "No promotions on record." : `Promotions (${result.promotions.length}):`);
      for (const promotion of result.promotions) {
        lines.push(`  ${promotion.id}  ${promotion.state.padEnd(11)}  ${promotion.createdAt}  ${promotion.user}@${promotion.host}  ${promotion.versions.join(", ") || "(no new versions)"}`);
        if (promotion.error !== undefined) lines.push(`      ${promotion.error}`);
      }
      for (const path of result.unreadable) lines.push(`  ${path}: no readable journal`);
      io.stdout(lines.join("\n") + "\n");
    }
    setExit(EXIT.ok);
  });

  targetCommand(program, "cleanup", "remove stale .rip items, bundles and finished promotion records")
    .option("--older-than <duration>", "keep what is younger than this", "24h")
    .option("--dry-run", "list what would be removed; remove nothing")
    .option("--scan", "also walk the whole target for .rip names no journal names")
    .action(async (values: TargetValues & { olderThan: string; dryRun?: boolean; scan?: boolean }) => {
      const result = await cleanup({
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

  targetCommand(program, "unlock", "break the target's lock (a promotion whose process is gone); needs --force")
    .option("--force", "really break it")
    .action(async (values: TargetValues & { force?: boolean }) => {
      if (!values.force) {
        throw new PromoteError("ERR_USAGE", "unlock breaks another promotion's lock: add --force if its process is really gone (resume/rollback need no unlock)", { path: "--force" });
      }
      const holder = await unlock({ to: values.to, ssh: sshSettingsFrom(values, io.env) });
      if (values.json) io.stdout(JSON.stringify({ ok: true, broken: holder ?? null }, null, 2) + "\n");
      else io.stdout(holder === undefined ? "The target was not locked.\n" : `Broke the lock of ${describeLock(holder)}.\n`);
      setExit(EXIT.ok);
    });
}
