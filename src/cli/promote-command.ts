// `maven-promote promote`: make the staged release live in the target, nearly atomically.
import { Option, type Command } from "commander";
import { plan, promote, promoteGroup, type PromoteEvent } from "../api.js";
import { PromoteError } from "../errors.js";
import { ON_PARTIAL, type OnPartial } from "../promotion/group.js";
import { groupExit, groupToJson, renderGroupError, renderGroupReport } from "./render-group.js";
import { formatDuration, parseDuration } from "../util/duration.js";
import { plural } from "./format.js";
import { publicExit, renderPublicRefusal } from "./render-public.js";
import { inPieces, prettyJson } from "../util/pretty-json.js";
import { EXIT } from "./exit-codes.js";
import { HOOK_KINDS, hookCallbacks, parseHookSpecs } from "./hooks.js";
import { writePieces, type CliIo } from "./io.js";
import { phaseProgress, progressModeFor } from "./progress.js";
import { promoteResultToJson, renderPromoteReport } from "./render-promote.js";
import { settingSources } from "./project-config.js";
import { planToJson, renderPlanReport, renderProblemsForStderr } from "./render-plan.js";
import { addPlanOptions, collectTargets, connectionSources, planOptionsFrom, secretsRead, targetsOf, type SharedOptionValues } from "./shared-options.js";
import { annotateProblems, groupSummary, maskSecrets, promotionSummary, writeStepOutputs, writeSummary } from "./github-actions.js";

interface PromoteOptionValues extends SharedOptionValues {
  dryRun?: boolean;
  wait: string;
  executor: "auto" | "shell" | "transport";
  commitRunner: "auto" | "perl" | "sh";
  unpack: "auto" | "tar" | "zip";
  quiet?: boolean;
  hook?: string[];
  hookTimeout: string;
  summary?: string;
  /** Several with a group: one after each --to. */
  publicUrl?: string | string[];
  publicWait: string;
  onPartial: OnPartial;
}

function singlePublicUrl(value: string | string[]): string {
  const urls = targetsOf(value);
  if (urls.length > 1) throw new PromoteError("ERR_USAGE", `--public-url is given ${urls.length} times for one --to`, { path: "--public-url" });
  return urls[0]!;
}

/** promote --to A --to B …: one promotion into every target, all or none (group.ts). */
async function promoteGroupCommand(values: PromoteOptionValues, io: CliIo, setExit: (code: number) => void, onEvent: (event: PromoteEvent) => void): Promise<void> {
  const targets = targetsOf(values.to);
  const unsupported = (["hook"] as const).find((key) => values[key] !== undefined);
  if (unsupported !== undefined) {
    const flag = `--${unsupported.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    throw new PromoteError("ERR_USAGE", `${flag} is not yet available with several --to targets (a group promotion)`, { path: flag });
  }
  const publicUrls = values.publicUrl === undefined ? undefined : targetsOf(values.publicUrl);
  if (publicUrls !== undefined && publicUrls.length !== targets.length) {
    throw new PromoteError("ERR_USAGE", `--public-url is given ${publicUrls.length === 1 ? "once" : `${publicUrls.length} times`} for ${targets.length} --to targets: give one after each --to`, { path: "--public-url" });
  }
  const { to: _first, ...planOptions } = await planOptionsFrom({ ...values, to: targets[0]! }, io, "promote");
  maskSecrets(io, secretsRead(values, planOptions, io.env));
  if (values.dryRun) {
    // Each target's plan, in the group's order; nothing is written anywhere.
    const plans = [];
    for (const to of [...targets].sort()) plans.push({ to, plan: await plan({ ...planOptions, to }) });
    if (values.json) io.stdout(JSON.stringify({ dryRun: true, ok: plans.every((entry) => entry.plan.ok), targets: plans.map(({ to, plan: made }) => ({ to, ...planToJson(made) })) }, null, 2) + "\n");
    else io.stdout(plans.map(({ to, plan: made }) => `== ${to}\n${renderPlanReport(made)}`).join("\n"));
    for (const { plan: made } of plans) if (!made.ok) io.stderr(renderProblemsForStderr(made.errors));
    return setExit(plans.every((entry) => entry.plan.ok) ? EXIT.ok : EXIT.refused);
  }
  const result = await promoteGroup({
    ...planOptions,
    targets,
    onPartial: values.onPartial,
    ...(publicUrls === undefined ? {} : { publicUrls: Object.fromEntries(targets.map((to, index) => [to, publicUrls[index]!])), publicWaitMs: parseDuration(values.publicWait, "--public-wait") }),
    waitMs: parseDuration(values.wait, "--wait"),
    executor: values.sftpOnly ? "transport" : values.executor,
    commitRunner: values.commitRunner,
    unpack: values.unpack,
    onEvent,
  });
  if (values.json) io.stdout(JSON.stringify(groupToJson(result, values.onPartial), null, 2) + "\n");
  else io.stdout(renderGroupReport(result));
  const refused = result.members.find((member) => member.result?.plan.ok === false);
  if (refused !== undefined) io.stderr(renderProblemsForStderr(refused.result!.plan.errors));
  io.stderr(renderGroupError(result));
  await writeSummary(io, values.summary, groupSummary(result));
  const unseen = result.members.filter((member) => member.public !== undefined && !member.public.ok);
  for (const member of unseen) io.stderr(renderPublicRefusal(member.public!, `the group is live on ${member.to}`));
  setExit(result.state === "committed" && unseen.length > 0 ? Math.max(...unseen.map((member) => publicExit(member.public!))) : groupExit(result));
}

export function registerPromoteCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = addPlanOptions(program.command("promote").description("promote the staged release in --from into --to"))
    .option("--dry-run", "stop after planning: show the plan, change nothing")
    .option("--wait <duration>", "wait this long for another promotion's lock (e.g. 30s, 10m); then exit 75", "0")
    .option(
      "--hook <kind=command>",
      `run a command at a point of the promotion (repeatable); kind: ${HOOK_KINDS.join(", ")}; a failing before-* hook stops the promotion cleanly`,
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option("--hook-timeout <duration>", "stop a hook that runs longer than this (it then counts as failed)", "10m")
    .option("--public-url <url>", "after the commit, read the release back through this URL as users download it (a cache or CDN in front included) and compare it with what was written (a group: one after each --to)", collectTargets)
    .option("--public-wait <duration>", "with --public-url: read again, honouring Cache-Control max-age, until users get the release or this runs out (e.g. 10m); then exit 75", "0")
    .option("--summary <file>", "write a Markdown summary of the promotion there (under GitHub Actions it also goes to the job summary)")
    .option("--quiet", "no progress on stderr (a bar on a terminal, a line every 10 s otherwise)")
    .addOption(
      new Option("--executor <kind>", "how the renames run: shell (a script over SSH), transport (fs or SFTP renames), auto")
        .choices(["auto", "shell", "transport"])
        .default("auto"),
    )
    .addOption(
      new Option("--commit-runner <kind>", "with the shell executor, what runs the rename list on the server: perl (one process), sh (a process per step), auto (perl where present)")
        .choices(["auto", "perl", "sh"])
        .default("auto"),
    )
    .addOption(
      new Option("--unpack <how>", "with the shell executor, how the bundle reaches the server's disk: tar (streamed into tar -x, unpacked as it arrives), zip (uploaded whole, then unzip), auto (tar where the server has GNU tar or bsdtar, else zip)")
        .choices(["auto", "tar", "zip"])
        .default("auto"),
    );
  command.addOption(new Option("--on-partial <what>", "with several --to: when a commit fails after others succeeded, roll every target back (rollback) or keep the committed ones (keep)").choices([...ON_PARTIAL]).default("rollback"));
  command.action(async (values: PromoteOptionValues, self: Command) => {
    const progress = phaseProgress(io, progressModeFor(io, values.quiet));
    const stopAt = stopAtEvent(io.env.MAVEN_PROMOTE_STOP_AT);
    if (targetsOf(values.to).length > 1) return promoteGroupCommand(values, io, setExit, (event) => {
      if (io.env.MAVEN_PROMOTE_EVENTS === "1") io.stderr(JSON.stringify(event) + "\n");
      stopAt(event);
      if (event.type === "upload:progress") progress.update("uploading", event.loaded, event.total);
      if (event.type === "phase:end") progress.done();
    });
    const planOptions = await planOptionsFrom(values, io, "promote");
    maskSecrets(io, secretsRead(values, planOptions, io.env));
    const hooks = hookCallbacks(parseHookSpecs(values.hook ?? []), { target: planOptions.to, timeoutMs: parseDuration(values.hookTimeout, "--hook-timeout"), io });
    let result;
    try {
      result = await promote({
        ...planOptions,
        dryRun: values.dryRun ?? false,
        waitMs: parseDuration(values.wait, "--wait"),
        ...(values.publicUrl === undefined ? {} : { publicUrl: singlePublicUrl(values.publicUrl), publicWaitMs: parseDuration(values.publicWait, "--public-wait") }),
        executor: values.sftpOnly ? "transport" : values.executor,
        commitRunner: values.commitRunner,
        unpack: values.unpack,
        beforePhase: hooks.beforePhase,
        afterPhase: hooks.afterPhase,
        onFailure: hooks.onFailure,
        onEvent: (event) => {
          // For tools that watch a promotion (the crash tests): every event as one JSON line.
          if (io.env.MAVEN_PROMOTE_EVENTS === "1") io.stderr(JSON.stringify(event) + "\n");
          stopAt(event);
          if (event.type === "digest:progress") progress.update("digesting", event.loaded, event.total);
          if (event.type === "upload:progress") progress.update("uploading", event.loaded, event.total);
          if (event.type === "phase:end") progress.done();
          if (event.type === "public:poll" && !values.quiet) {
            io.stderr(`maven-promote: ${plural(event.problems, "file")} not yet served as written at --public-url; reading again in ${formatDuration(event.nextPollMs)}\n`);
          }
          if (event.type === "connection:lost") {
            io.stderr(`maven-promote: ${event.reason}; connecting again and carrying on with the ${event.phase} (${event.attempt} of ${event.of})\n`);
          }
        },
      });
    } finally {
      await hooks.close();
    }
    // The report holds the plan: written a piece at a time, never as one string (issue 18, part 4).
    if (!values.json) io.stdout(renderPromoteReport(result, values.dryRun ?? false));
    else await writePieces(io, inPieces(prettyJson({ ...promoteResultToJson(result), settings: settingSources(self), connections: connectionSources(planOptions, io.env) })));
    if (!result.plan.ok) io.stderr(renderProblemsForStderr(result.plan.errors));
    annotateProblems(io, result.plan.errors, result.plan.warnings);
    await writeSummary(io, values.summary, promotionSummary(result, values.dryRun ?? false));
    await writeStepOutputs(io, result);
    if (result.stoppedBy !== undefined) {
      const { hook, reason } = result.stoppedBy;
      io.stderr(`maven-promote: promotion ${result.plan.id} stopped by the ${hook} hook (${reason}); nothing was promoted [ERR_HOOK_STOPPED]\n`);
    }
    for (const failure of result.hookFailures ?? []) {
      io.stderr(`maven-promote: the ${failure.hook} hook of promotion ${result.plan.id} failed (${failure.reason}); nothing was undone [ERR_HOOK_FAILED]\n`);
    }
    const hookTrouble = result.stoppedBy !== undefined || (result.hookFailures?.length ?? 0) > 0;
    if (result.public !== undefined && !result.public.ok) io.stderr(renderPublicRefusal(result.public));
    setExit(!result.plan.ok ? EXIT.refused : hookTrouble ? EXIT.failed : result.public !== undefined && !result.public.ok ? publicExit(result.public) : EXIT.ok);
  });
}

/**
 * MAVEN_PROMOTE_STOP_AT=TYPE[:KEY]: the process stops itself (SIGSTOP) right after that event,
 * so that crash tests can kill it, or keep it alive, at an exact step. KEY is the phase for
 * phase events, the step's index for `commit:step`, and the count so far for other events
 * (`upload:progress:3` is the third); `#N` is the N-th event of any type. It stops at the first match only. Unset, it does nothing.
 */
function stopAtEvent(spec: string | undefined): (event: PromoteEvent) => void {
  if (spec === undefined || spec === "") return () => {};
  const counts = new Map<string, number>();
  let stopped = false;
  let all = 0;
  return (event) => {
    const count = (counts.get(event.type) ?? 0) + 1;
    counts.set(event.type, count);
    all++;
    const key = "phase" in event ? event.phase : event.type === "commit:step" ? String(event.index) : String(count);
    // Once only: a step run again after a reconnection emits its event again. `#N`: the N-th event of any type.
    if (!stopped && (spec === event.type || spec === `${event.type}:${key}` || spec === `#${all}`)) {
      stopped = true;
      process.kill(process.pid, "SIGSTOP");
    }
  };
}
