// A server slowed down the way a real one is under load, and observable step by step: wrappers
// for `mv`, `unzip` and `tar -x` put first on the sshd sessions' PATH (sshd_config `SetEnv PATH=...`),
// and for the perl rename script a module loaded through PERL5OPT that overrides perl's
// rename() (CORE::GLOBAL), so that rename.pl is slowed and traced without a hook of its own.
// Each wrapper appends a line to a trace file as it starts ("mv <args>", "unzip start",
// "unzip end", "tar start", "tar end"; tar's other uses, the probes' `tar -c`, pass untraced),
// waits while its gate is closed, lingers a configurable delay, then does the real work. Tests and the crash harness wait on trace lines (inotify, never a sleep) to kill a
// promotion exactly while the server is inside a step, and close a gate to keep the server busy
// for as long as a test needs.
import { existsSync, mkdirSync, readFileSync, rmSync, watch, writeFileSync, type FSWatcher } from "node:fs";
import { join } from "node:path";

export interface SlowServerOptions {
  /** Seconds each `mv` lingers before it moves (default 0.15, as a loaded server). */
  mvDelay?: number;
  /** Seconds `unzip` and `tar -x` linger before they unpack and after (default 0.3). */
  unzipDelay?: number;
}

export interface SlowServer {
  /** The directory to put first on PATH. */
  bin: string;
  /** sshd_config lines that give the sessions that PATH. */
  sshdConfig: string[];
  /** Environment for a local shell executor (LocalShellTransport) that should use the wrappers. */
  path: string;
  /** Every trace line so far. */
  lines(): string[];
  /** Resolves with the index of the first line from `from` on that matches. */
  waitFor(predicate: (line: string) => boolean, options?: { from?: number; timeoutMs?: number }): Promise<number>;
  /**
   * While closed, the wrapper for `command` waits before it does anything (it still traces);
   * with `when`, only the calls whose arguments contain that string wait.
   */
  closeGate(command: "mv" | "unzip" | "tar", when?: string): void;
  openGate(command: "mv" | "unzip" | "tar"): void;
  /** Forgets the trace (between runs). */
  reset(): void;
  close(): void;
}

function realCommand(name: string): string {
  for (const directory of ["/usr/bin", "/bin"]) if (existsSync(join(directory, name))) return join(directory, name);
  throw new Error(`slow-server: no ${name} in /usr/bin or /bin`);
}

export function createSlowServer(directory: string, options: SlowServerOptions = {}): SlowServer {
  const bin = join(directory, "bin");
  const gates = join(directory, "gates");
  const trace = join(directory, "trace");
  mkdirSync(bin, { recursive: true });
  mkdirSync(gates, { recursive: true });
  writeFileSync(trace, "");
  const mvDelay = options.mvDelay ?? 0.15;
  const unzipDelay = options.unzipDelay ?? 0.3;
  // Closed for every call (gates/NAME), or only for calls whose arguments hold a string (gates/NAME.when).
  const waitGate = (name: string) =>
    `while [ -e '${gates}/${name}' ] || { [ -e '${gates}/${name}.when' ] && printf '%s\\n' "$*" | grep -q -F -f '${gates}/${name}.when'; }; do sleep 0.02; done`;
  writeFileSync(
    join(bin, "mv"),
    ["#!/bin/sh", `printf 'mv %s\\n' "$*" >> '${trace}'`, waitGate("mv"), `sleep ${mvDelay}`, `exec ${realCommand("mv")} "$@"`, ""].join("\n"),
    { mode: 0o755 },
  );
  // unzip, and tar -x (the streamed bundle; every other tar, the probes' tar -c, untouched): traced
  // at start and end, gated, lingering before and after. A stream waits in the pipe while the
  // gate is closed, as behind a slow disk.
  const unpacker = (name: "unzip" | "tar", passThrough: string[]): void =>
    writeFileSync(
      join(bin, name),
      [
        "#!/bin/sh",
        ...passThrough,
        `printf '${name} start\\n' >> '${trace}'`,
        waitGate(name),
        `sleep ${unzipDelay}`,
        `${realCommand(name)} "$@"`,
        "code=$?",
        `printf '${name} end\\n' >> '${trace}'`,
        `sleep ${unzipDelay}`,
        'exit "$code"',
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
  unpacker("unzip", []);
  unpacker("tar", [`case " $* " in *" -x "*) ;; *) exec ${realCommand("tar")} "$@" ;; esac`]);
  // rename.pl's renames, traced and gated as the mv wrapper's: "mv -- FROM TO".
  writeFileSync(
    join(bin, "MavenPromoteSlowRename.pm"),
    [
      "package MavenPromoteSlowRename;",
      "BEGIN {",
      "  *CORE::GLOBAL::rename = sub {",
      "    my ($from, $to) = @_;",
      "    my $args = \"-- $from $to\";",
      `    if (open(my $trace, '>>', '${trace}')) { print {$trace} "mv $args\\n"; close($trace); }`,
      "    while (1) {",
      `      my $held = -e '${gates}/mv';`,
      `      if (!$held && open(my $when, '<', '${gates}/mv.when')) { while (my $pattern = <$when>) { chomp $pattern; $held = 1 if $pattern ne '' && index($args, $pattern) >= 0; } close($when); }`,
      "      last if !$held;",
      "      select(undef, undef, undef, 0.02);",
      "    }",
      `    select(undef, undef, undef, ${mvDelay});`,
      "    return CORE::rename($from, $to);",
      "  };",
      "}",
      "1;",
      "",
    ].join("\n"),
  );
  const path = `${bin}:/usr/local/bin:/usr/bin:/bin`;
  const lines = (): string[] => {
    try {
      return readFileSync(trace, "utf8").split("\n").filter((line) => line !== "");
    } catch {
      return []; // closed and removed
    }
  };
  let watcher: FSWatcher | undefined;
  const waiting = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const ensureWatcher = (): void => {
    watcher ??= watch(trace, () => {
      for (const check of [...waiting]) check();
    });
  };
  return {
    bin,
    path,
    sshdConfig: [`SetEnv PATH=${path} PERL5LIB=${bin} PERL5OPT=-MMavenPromoteSlowRename`],
    lines,
    waitFor(predicate, { from = 0, timeoutMs = 60_000 } = {}) {
      ensureWatcher();
      return new Promise<number>((resolve, reject) => {
        const check = (): void => {
          const index = lines().findIndex((line, at) => at >= from && predicate(line));
          if (index < 0) return;
          waiting.delete(check);
          clearTimeout(timer);
          timers.delete(timer);
          resolve(index);
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          timers.delete(timer);
          reject(new Error(`slow-server: no matching trace line within ${timeoutMs} ms (trace: ${lines().slice(-5).join(" | ")})`));
        }, timeoutMs);
        timer.unref();
        timers.add(timer);
        waiting.add(check);
        check();
      });
    },
    closeGate: (command, when) => (when === undefined ? writeFileSync(join(gates, command), "") : writeFileSync(join(gates, `${command}.when`), `${when}\n`)),
    openGate(command) {
      rmSync(join(gates, command), { force: true });
      rmSync(join(gates, `${command}.when`), { force: true });
    },
    reset: () => writeFileSync(trace, ""),
    close() {
      watcher?.close();
      watcher = undefined;
      waiting.clear();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const name of ["mv", "unzip", "tar", "mv.when", "unzip.when", "tar.when"]) rmSync(join(gates, name), { force: true });
    },
  };
}
