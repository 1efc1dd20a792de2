// `maven-promote verify`: check a target repository the way a client would rely on it.
import type { Command } from "commander";
import { verify } from "../api.js";
import { EXIT } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { plural } from "./format.js";
import { loadTrustedKeysOption } from "./shared-options.js";
import { addSshOptions, sshSettingsFrom, type SshOptionValues } from "./ssh-options.js";

interface VerifyOptionValues extends SshOptionValues {
  to: string;
  path?: string[];
  trustedKeys?: string;
  json?: boolean;
}

export function registerVerifyCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addSshOptions(
    program
      .command("verify")
      .description("check every maven-metadata.xml of a repository against its checksums, signature and listed versions")
      .requiredOption("--to <repo>", "the repository: a path, file:///path or sftp://user@host[:port]/path")
      .option("--path <prefix>", "check only below this path (repeatable)", (value: string, previous: string[] = []) => [...previous, value])
      .option("--trusted-keys <file>", "armored public keys: every metadata .asc must verify against them")
      .option("--json", "print one JSON object on stdout"),
  ).action(async (values: VerifyOptionValues) => {
    const trustedKeys = await loadTrustedKeysOption(values);
    const result = await verify({
      to: values.to,
      ssh: sshSettingsFrom(values, io.env),
      ...(values.path === undefined ? {} : { paths: values.path }),
      ...(trustedKeys === undefined ? {} : { trustedKeys }),
    });
    if (values.json) io.stdout(JSON.stringify(result, null, 2) + "\n");
    else {
      for (const problem of result.problems) io.stdout(`${problem.message}\n`);
      const summary = `${plural(result.metadataFiles, "metadata file")}, ${plural(result.versionsChecked, "listed version")} checked`;
      io.stdout(result.ok ? `OK: ${summary}.\n` : `FAILED: ${plural(result.problems.length, "problem")}; ${summary}.\n`);
    }
    setExit(result.ok ? EXIT.ok : EXIT.failed);
  });
}
