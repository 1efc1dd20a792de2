// `maven-promote resume ID` and `maven-promote rollback ID`: recovery of an interrupted
// promotion from its journal on the target.
import type { Command } from "commander";
import { resume, resumeGroup, rollback, rollbackGroup } from "../api.js";
import { collectTargets, targetsOf } from "./shared-options.js";
import type { PromoteEvent } from "../api.js";
import { parseDuration } from "../util/duration.js";
import { EXIT } from "./exit-codes.js";
import { plural } from "./format.js";
import type { CliIo } from "./io.js";
import { phaseProgress, progressModeFor } from "./progress.js";
import { promoteResultToJson, renderPromoteReport } from "./render-promote.js";
import { addSshOptions, sshSettingsFrom, type SshOptionValues } from "./ssh-options.js";

interface RecoveryValues extends SshOptionValues {
  /** Several for a group promotion: the same --to list it was made with. */
  to: string | string[];
  from?: string;
  wait: string;
  stop?: boolean;
  json?: boolean;
  quiet?: boolean;
}

function addRecoveryOptions(command: Command): Command {
  return addSshOptions(
    command
      .requiredOption("--to <repo>", "the target repository: a path, file:///path or sftp://user@host[:port]/path (a group promotion: repeat it, the same list as promote's)", collectTargets)
      .option("--wait <duration>", "wait this long for the promotion's own work still running to end, and for another promotion's lock (e.g. 30s, 10m)", "0")
      .option("--stop", "stop the promotion's work still running (its client on this machine, its unzip or rename script on the server): SIGTERM, then SIGKILL")
      .option("--json", "print one JSON object on stdout"),
  );
}

/** What resume and rollback share: the promotion, the target, and how to treat its running work. */
function recoveryOptionsFrom(id: string, values: RecoveryValues, io: CliIo) {
  return { id, to: targetsOf(values.to)[0]!, ssh: sshSettingsFrom(values, io.env), waitMs: parseDuration(values.wait, "--wait"), stop: values.stop ?? false };
}

/**
 * The events of a recovery: JSON lines for watching tools (MAVEN_PROMOTE_EVENTS=1), and on
 * stderr a notice when the promotion's own work still runs and is waited for or stopped.
 */
function recoveryEvents(io: CliIo, values: RecoveryValues, onOther: (event: PromoteEvent) => void = () => {}): (event: PromoteEvent) => void {
  return (event) => {
    if (io.env.MAVEN_PROMOTE_EVENTS === "1") io.stderr(JSON.stringify(event) + "\n");
    else if (event.type === "recovery:busy") {
      const doing = event.action === "stopping" ? "stopping it (SIGTERM, then SIGKILL)" : `waiting for it (up to ${values.wait})`;
      io.stderr(`maven-promote: promotion ${event.id} is still running: ${event.activity}; ${doing}\n`);
    } else if (event.type === "recovery:idle") {
      io.stderr(`maven-promote: promotion ${event.id} has stopped running; going on\n`);
    }
    onOther(event);
  };
}

export function registerRecoveryCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addRecoveryOptions(
    program
      .command("resume")
      .argument("<id>", "the promotion id (see `maven-promote status`)")
      .description("finish an interrupted promotion from its journal, without uploading again what is there")
      .option("--from <repo>", "the staging repository, if its files are no longer where the promotion read them")
      .option("--quiet", "no progress on stderr (a bar on a terminal, a line every 10 s otherwise)"),
  ).action(async (id: string, values: RecoveryValues) => {
    const progress = phaseProgress(io, progressModeFor(io, values.quiet));
    const targets = targetsOf(values.to);
    if (targets.length > 1) {
      const results = await resumeGroup({
        ...recoveryOptionsFrom(id, values, io),
        targets,
        ...(values.from === undefined ? {} : { from: values.from }),
        onEvent: recoveryEvents(io, values, (event) => event.type === "upload:progress" && progress.update("uploading", event.loaded, event.total)),
      });
      progress.done();
      if (values.json) io.stdout(JSON.stringify({ ok: true, id, targets: results.map(({ to, result }) => ({ to, ...promoteResultToJson(result) })) }, null, 2) + "\n");
      else io.stdout([`Resumed group promotion ${id}: every target shows the new release.`, ...results.map(({ to, result }) => `  ${to}  ${result.state}`)].join("\n") + "\n");
      return setExit(EXIT.ok);
    }
    const result = await resume({
      ...recoveryOptionsFrom(id, values, io),
      ...(values.from === undefined ? {} : { from: values.from }),
      onEvent: recoveryEvents(io, values, (event) => event.type === "upload:progress" && progress.update("uploading", event.loaded, event.total)),
    });
    progress.done();
    if (values.json) io.stdout(JSON.stringify(promoteResultToJson(result), null, 2) + "\n");
    else io.stdout(`Resumed promotion ${id} (it was ${result.state === "committed" && result.completed === "finish" ? "finished" : "interrupted"}).\n\n${renderPromoteReport(result, false)}`);
    setExit(EXIT.ok);
  });

  addRecoveryOptions(
    program
      .command("rollback")
      .argument("<id>", "the promotion id (see `maven-promote status`)")
      .description("return the target to its state before the promotion, byte for byte"),
  ).action(async (id: string, values: RecoveryValues) => {
    const targets = targetsOf(values.to);
    if (targets.length > 1) {
      const results = await rollbackGroup({ ...recoveryOptionsFrom(id, values, io), targets, onEvent: recoveryEvents(io, values) });
      if (values.json) io.stdout(JSON.stringify({ ok: true, id, targets: results.map(({ to, result }) => ({ to, ...(result ?? { from: null, restored: [], removed: [] }) })) }, null, 2) + "\n");
      else {
        const rows = results.map(({ to, result }) => `  ${to}  ${result === undefined ? "never reached: nothing to undo" : `rolled back (it was ${result.from}; ${plural(result.restored.length, "file")} restored, ${plural(result.removed.length, "item")} removed)`}`);
        io.stdout([`Rolled back group promotion ${id}: every target shows the release before it.`, ...rows].join("\n") + "\n");
      }
      return setExit(EXIT.ok);
    }
    const result = await rollback({ ...recoveryOptionsFrom(id, values, io), onEvent: recoveryEvents(io, values) });
    if (values.json) io.stdout(JSON.stringify({ ok: true, ...result }, null, 2) + "\n");
    else {
      const lines = [`Rolled back promotion ${id} (it was ${result.from}).`];
      if (result.restored.length > 0) lines.push(`Restored ${plural(result.restored.length, "file")}:`, ...result.restored.map((path) => `  ${path}`));
      if (result.removed.length > 0) lines.push(`Removed ${plural(result.removed.length, "item")}:`, ...result.removed.map((path) => `  ${path}`));
      io.stdout(lines.join("\n") + "\n");
    }
    setExit(EXIT.ok);
  });
}
