// `maven-promote verify`: check a target repository the way a client would rely on it.
import type { Command } from "commander";
import { verify } from "../api.js";
import { EXIT } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { plural } from "./format.js";
import { publicExit, renderPublicLine, renderPublicRefusal } from "./render-public.js";
import { formatDuration, parseDuration } from "../util/duration.js";
import { loadTrustedKeysOption } from "./shared-options.js";
import { addSshOptions, sshSettingsFrom, type SshOptionValues } from "./ssh-options.js";

interface VerifyOptionValues extends SshOptionValues {
  to: string;
  path?: string[];
  trustedKeys?: string;
  json?: boolean;
  publicUrl?: string;
  publicWait: string;
}

export function registerVerifyCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addSshOptions(
    program
      .command("verify")
      .description("check every maven-metadata.xml of a repository against its checksums, signature and listed versions")
      .requiredOption("--to <repo>", "the repository: a path, file:///path or sftp://user@host[:port]/path")
      .option("--path <prefix>", "check only below this path (repeatable)", (value: string, previous: string[] = []) => [...previous, value])
      .option("--trusted-keys <file>", "armored public keys: every metadata .asc must verify against them")
      .option("--public-url <url>", "also read every metadata file and its checksums through this URL, as users download them, and compare them with the target's")
      .option("--public-wait <duration>", "with --public-url: read again, honouring Cache-Control max-age, until they are served as the target holds them or this runs out; then exit 75", "0")
      .option("--json", "print one JSON object on stdout"),
  ).action(async (values: VerifyOptionValues) => {
    const trustedKeys = await loadTrustedKeysOption(values);
    const result = await verify({
      to: values.to,
      ssh: sshSettingsFrom(values, io.env),
      ...(values.path === undefined ? {} : { paths: values.path }),
      ...(trustedKeys === undefined ? {} : { trustedKeys }),
      ...(values.publicUrl === undefined ? {} : { publicUrl: values.publicUrl, publicWaitMs: parseDuration(values.publicWait, "--public-wait") }),
      onEvent: (event) => {
        if (event.type === "public:poll") io.stderr(`maven-promote: ${plural(event.problems, "file")} not yet served as written at --public-url; reading again in ${formatDuration(event.nextPollMs)}\n`);
      },
    });
    if (values.json) io.stdout(JSON.stringify(result, null, 2) + "\n");
    else {
      for (const problem of result.problems) io.stdout(`${problem.message}\n`);
      const summary = `${plural(result.metadataFiles, "metadata file")}, ${plural(result.versionsChecked, "listed version")} checked`;
      io.stdout(result.ok ? `OK: ${summary}.\n` : `FAILED: ${plural(result.problems.length, "problem")}; ${summary}.\n`);
      if (result.public !== undefined) io.stdout(`${renderPublicLine(result.public)}\n`);
    }
    if (result.public !== undefined && !result.public.ok) io.stderr(renderPublicRefusal(result.public, "the target is consistent"));
    setExit(!result.ok ? EXIT.failed : result.public !== undefined && !result.public.ok ? publicExit(result.public) : EXIT.ok);
  });
}
