// The GitHub Action's entry (action.yml runs it): its inputs, as the runner passes them in
// INPUT_* variables, become a `maven-promote promote` (or `check`) command line. Keys given as
// secrets are written to files only this user can read, for the run only; every secret is
// masked first. Outputs, annotations and the job summary are the CLI's own (github-actions.ts).
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { maskSecrets } from "../cli/github-actions.js";
import type { CliIo } from "../cli/io.js";
import { runCli } from "../cli/program.js";

/** The inputs action.yml declares; test/integration/github-actions.test.ts checks the two agree. */
export const ACTION_INPUTS = [
  "command", "from", "to", "ssh-key", "ssh-key-passphrase", "known-hosts", "sign-key", "sign-key-passphrase",
  "trusted-keys", "policy", "dry-run", "server-id", "settings", "checksums", "args",
] as const;

type Input = (typeof ACTION_INPUTS)[number];

/** `INPUT_SSH-KEY`, as the runner names it (spaces become _, the rest stays, upper case). */
export function inputVariable(name: Input): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

export async function runAction(io: CliIo): Promise<number> {
  const input = (name: Input): string => (io.env[inputVariable(name)] ?? "").trim();
  maskSecrets(io, [input("ssh-key"), input("ssh-key-passphrase"), input("sign-key"), input("sign-key-passphrase")]);
  const work = await mkdtemp(join(tmpdir(), "maven-promote-action-"));
  try {
    const secretFile = async (name: string, content: string): Promise<string> => {
      const path = join(work, name);
      await writeFile(path, content.endsWith("\n") ? content : `${content}\n`, { mode: 0o600 });
      await chmod(path, 0o600);
      return path;
    };
    const command = input("command") || "promote";
    if (command !== "promote" && command !== "check" && command !== "plan") {
      io.stderr(`maven-promote: the action's input command is "${command}": expected promote, plan or check [ERR_USAGE]\n`);
      return 2;
    }
    const args: string[] = [command, "--from", input("from")];
    if (command !== "check") args.push("--to", input("to"));
    const env: NodeJS.ProcessEnv = { ...io.env };
    if (input("ssh-key") !== "") {
      args.push("--identity", await secretFile("ssh-key", input("ssh-key")));
      if (input("ssh-key-passphrase") !== "") args.push("--identity-passphrase-env", inputVariable("ssh-key-passphrase"));
    }
    if (input("known-hosts") !== "") args.push("--known-hosts", await secretFile("known_hosts", input("known-hosts")));
    if (input("sign-key") !== "" && command !== "check") {
      args.push("--sign-key", await secretFile("sign-key.asc", input("sign-key")));
      if (input("sign-key-passphrase") !== "") args.push("--sign-passphrase-env", inputVariable("sign-key-passphrase"));
    }
    for (const [name, option] of [["trusted-keys", "--trusted-keys"], ["policy", "--policy"], ["server-id", "--server-id"], ["settings", "--settings"], ["checksums", "--checksums"]] as const) {
      if (input(name) !== "" && !(command === "check" && (name === "server-id" || name === "checksums"))) args.push(option, input(name));
    }
    if (input("dry-run") === "true" && command === "promote") args.push("--dry-run");
    if (input("args") !== "") args.push(...splitArgs(input("args")));
    return await runCli(args, { ...io, env });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Extra arguments, split on white space; "…" and '…' keep spaces. */
export function splitArgs(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3]!);
}
