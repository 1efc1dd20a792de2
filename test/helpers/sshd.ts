// A private, throwaway OpenSSH sshd on 127.0.0.1 for integration tests.
//
// startSshd() makes a fresh temporary directory holding an ed25519 host key, an ed25519 client
// key, authorized_keys, sshd_config, a known_hosts file trusting the server, the pid file and the
// log file; starts `/usr/sbin/sshd -D` on a free port as a child of this process; and resolves
// once an ssh2 client can log in as the current user with the client key. stop() ends the server
// and removes the directory. The sshd child is also killed when this process exits: by an 'exit'
// handler, and on Linux by the kernel (started through `setpriv --pdeathsig KILL`) even if this
// process is killed outright. Directories left by killed runs are removed by later starts.
//
// Needs /usr/sbin/sshd (scripts/install-test-deps.sh installs it). Root is only needed for the
// chrootSftpOnly variant (sshd can only chroot when running as root). Its directory is made under
// a root-owned, non-writable parent (/run here), because sshd refuses a ChrootDirectory with a
// group/world-writable path component such as /tmp.

import { spawn, spawnSync, execFile, type ChildProcess } from "node:child_process";
import { existsSync, statSync, mkdirSync, chmodSync, openSync, closeSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Client, type ConnectConfig } from "ssh2";

const SSHD = "/usr/sbin/sshd";
const SSH_KEYGEN = "ssh-keygen";
const SETPRIV = "/usr/bin/setpriv";
const PRIVSEP_DIR = "/run/sshd";
const READY_TIMEOUT_MS = 10_000;
const BIND_ATTEMPTS = 5;
const STALE_AFTER_MS = 10 * 60_000;

export interface SshServer {
  host: "127.0.0.1";
  port: number;
  /** The login name: the user running the tests (os.userInfo().username). */
  user: string;
  /** The temporary directory holding everything; removed by stop(). */
  dir: string;
  /** Unencrypted ed25519 private key (OpenSSH format) authorized for `user`. */
  clientKeyPath: string;
  /** The client public key line, "ssh-ed25519 AAAA... comment". */
  clientPublicKey: string;
  /** The server's host key, "ssh-ed25519 AAAA..." (no comment). */
  hostPublicKeyLine: string;
  /** A known_hosts file trusting this server as [127.0.0.1]:port. */
  knownHostsPath: string;
  /** sshd's log (LogLevel VERBOSE). */
  logPath: string;
  /**
   * chrootSftpOnly only: the absolute path on disk of the writable directory that SFTP clients
   * see as `/repo` (the session is chrooted to its parent directory).
   */
  sftpRoot?: string;
  /** The pid of the listening sshd. */
  pid: number;
  /** The sshd_config in use. */
  configPath: string;
  /** Stops sshd (SIGTERM, SIGKILL after 3 s) and removes `dir`. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface StartSshdOptions {
  /**
   * A server with no shell: every session is chrooted to `<dir>/chroot` and forced to
   * internal-sftp (`ForceCommand internal-sftp`, `DisableForwarding yes`). The writable directory
   * `<dir>/chroot/repo` is what the client sees as `/repo`; its path on disk is `sftpRoot`.
   * Needs root.
   */
  chrootSftpOnly?: boolean;
  /**
   * More sshd_config lines. They are placed before the helper's own settings, so they win
   * (sshd keeps the first value it reads for most keywords); from the first `Match` line on they
   * go at the end of the file.
   */
  extraConfig?: string[];
}

/** Whether an OpenSSH server binary is installed at /usr/sbin/sshd. */
export function sshdAvailable(): boolean {
  return existsSync(SSHD);
}

/** ssh2 connection settings for `server`: its address, user, client key and a pinned host key. */
export async function sshConnectConfig(server: SshServer, readyTimeout = 5_000): Promise<ConnectConfig> {
  const privateKey = await readFile(server.clientKeyPath);
  return {
    host: server.host,
    port: server.port,
    username: server.user,
    privateKey,
    readyTimeout,
    hostVerifier: hostKeyVerifier(server.hostPublicKeyLine),
  };
}

/** An ssh2 hostVerifier accepting exactly the host key in `line` ("ssh-ed25519 AAAA..."). */
export function hostKeyVerifier(line: string): (key: Buffer) => boolean {
  const expected = Buffer.from(line.trim().split(/\s+/)[1] ?? "", "base64");
  return (key: Buffer) => Buffer.isBuffer(key) && key.equals(expected);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(program: string, args: string[]): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    execFile(program, args, { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code === "string") {
        reject(error); // could not start the program at all (ENOENT, ...)
        return;
      }
      const code = error ? ((error as { code?: number | null }).code ?? null) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

let cachedVersion: [number, number] | null | undefined;

/** OpenSSH version of /usr/sbin/sshd, e.g. [9, 2]; null if unknown. */
async function sshdVersion(): Promise<[number, number] | null> {
  if (cachedVersion !== undefined) return cachedVersion;
  // `sshd -V` exists since 9.0; older ones print the version in the usage text after an error.
  const result = await run(SSHD, ["-V"]).catch(() => null);
  const match = result && /OpenSSH_(\d+)\.(\d+)/.exec(result.stderr + result.stdout);
  cachedVersion = match ? [Number(match[1]), Number(match[2])] : null;
  return cachedVersion;
}

/** Whether `path` and every directory above it is root-owned and not group/world-writable. */
function chrootSafe(path: string): boolean {
  let current = resolve(path);
  for (;;) {
    let st;
    try {
      st = statSync(current);
    } catch {
      return false;
    }
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) return false;
    const parent = dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/** Where to make the temporary directory: sshd refuses a chroot below a writable /tmp. */
function baseDir(chroot: boolean): string {
  if (!chroot) return tmpdir();
  for (const candidate of [tmpdir(), "/run", "/var/lib"]) {
    if (chrootSafe(candidate)) return candidate;
  }
  throw new Error("startSshd: found no root-owned, non-writable directory to hold a chroot");
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolvePromise(port) : reject(new Error("no port assigned"))));
    });
  });
}

function tcpAccepts(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function sshLogin(config: ConnectConfig): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const client = new Client();
    client.once("ready", () => {
      client.end();
      resolvePromise();
    });
    client.once("error", (error) => {
      client.end();
      reject(error);
    });
    client.connect(config);
  });
}

async function logTail(logPath: string, lines = 40): Promise<string> {
  const text = await readFile(logPath, "utf8").catch(() => "");
  return text.split("\n").slice(-lines).join("\n").trim();
}

function delay(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}

async function keygen(path: string, comment: string): Promise<void> {
  const result = await run(SSH_KEYGEN, ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path]);
  if (result.code !== 0) throw new Error(`ssh-keygen failed for ${path}: ${result.stderr.trim()}`);
}

function ensurePrivsepDir(): void {
  if (existsSync(PRIVSEP_DIR)) return;
  try {
    mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
    chmodSync(PRIVSEP_DIR, 0o755);
  } catch (error) {
    // Only a root sshd needs it; a non-root one will say so in its log if it does.
    if (process.getuid?.() === 0) throw error;
  }
}

let cachedPdeathsig: boolean | undefined;

/** Whether util-linux `setpriv --pdeathsig` works here (Linux). */
function pdeathsigAvailable(): boolean {
  if (cachedPdeathsig === undefined) {
    cachedPdeathsig =
      process.platform === "linux" &&
      existsSync(SETPRIV) &&
      spawnSync(SETPRIV, ["--pdeathsig", "KILL", "--", "true"], { stdio: "ignore" }).status === 0;
  }
  return cachedPdeathsig;
}

interface Started {
  child: ChildProcess;
  exited: Promise<void>;
  hasExited: () => boolean;
}

function spawnSshd(configPath: string, logPath: string): Started {
  const logFd = openSync(logPath, "a");
  let child: ChildProcess;
  try {
    // -D: stay in the foreground as our child; -e/-E: log to the log file, not syslog. Anything
    // written to stdout/stderr before logging is set up also lands in the log file.
    const args = ["-D", "-e", "-E", logPath, "-f", configPath];
    // Through setpriv, the kernel kills sshd if this process dies in a way that skips the 'exit'
    // handler (SIGKILL, an unhandled SIGTERM). setpriv execs sshd, so child.pid is sshd's pid.
    child = pdeathsigAvailable()
      ? spawn(SETPRIV, ["--pdeathsig", "KILL", "--", SSHD, ...args], { stdio: ["ignore", logFd, logFd] })
      : spawn(SSHD, args, { stdio: ["ignore", logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  let exited = false;
  const exitedPromise = new Promise<void>((resolvePromise) => {
    child.once("exit", () => {
      exited = true;
      resolvePromise();
    });
    child.once("error", () => {
      exited = true;
      resolvePromise();
    });
  });
  return { child, exited: exitedPromise, hasExited: () => exited };
}

/** Whether `pid` is a live (not zombie) process. */
function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/**
 * Removes directories left by earlier runs that were killed before they could clean up: an
 * `sshd-test-*` directory whose pid file names a process that is gone, or that has no pid file
 * and has not changed for 10 minutes. A server still starting (no pid file yet) is left alone.
 */
function removeStaleDirs(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base).filter((name) => name.startsWith("sshd-test-"));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(base, name);
    try {
      const pidPath = join(dir, "sshd.pid");
      let stale: boolean;
      if (existsSync(pidPath)) {
        const pid = Number.parseInt(readFileSync(pidPath, "utf8").trim(), 10);
        stale = Number.isInteger(pid) && pid > 0 && !processRunning(pid);
      } else {
        // sshd deletes its pid file when it gets SIGTERM; a directory that has not changed for
        // STALE_AFTER_MS since then (or since a start that never got going) is abandoned.
        stale = existsSync(join(dir, "sshd_config")) && Date.now() - statSync(dir).mtimeMs > STALE_AFTER_MS;
      }
      if (stale) rmSync(dir, { recursive: true, force: true });
    } catch {
      // unreadable or vanished meanwhile: leave it
    }
  }
}

export async function startSshd(options: StartSshdOptions = {}): Promise<SshServer> {
  if (!sshdAvailable()) {
    throw new Error(`startSshd: ${SSHD} is not installed (run scripts/install-test-deps.sh)`);
  }
  const chroot = options.chrootSftpOnly === true;
  if (chroot && process.getuid?.() !== 0) {
    throw new Error("startSshd: chrootSftpOnly needs root (sshd can only chroot as root)");
  }
  ensurePrivsepDir();

  const user = userInfo().username;
  const base = baseDir(chroot);
  removeStaleDirs(base);
  const dir = await mkdtemp(join(base, "sshd-test-"));
  try {
    return await startIn(dir, user, chroot, options.extraConfig ?? []);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function startIn(dir: string, user: string, chroot: boolean, extraConfig: string[]): Promise<SshServer> {
  const hostKeyPath = join(dir, "ssh_host_ed25519_key");
  const clientKeyPath = join(dir, "client_ed25519");
  const authorizedKeysPath = join(dir, "authorized_keys");
  const configPath = join(dir, "sshd_config");
  const pidPath = join(dir, "sshd.pid");
  const logPath = join(dir, "sshd.log");
  const knownHostsPath = join(dir, "known_hosts");

  await Promise.all([keygen(hostKeyPath, "test-sshd-host"), keygen(clientKeyPath, `${user}@test-sshd-client`)]);
  const hostPublicKeyLine = (await readFile(`${hostKeyPath}.pub`, "utf8")).trim().split(/\s+/).slice(0, 2).join(" ");
  const clientPublicKey = (await readFile(`${clientKeyPath}.pub`, "utf8")).trim();
  await writeFile(authorizedKeysPath, `${clientPublicKey}\n`, { mode: 0o600 });
  const privateKey = await readFile(clientKeyPath);

  let sftpRoot: string | undefined;
  const chrootDir = join(dir, "chroot");
  if (chroot) {
    // Every component of a ChrootDirectory must be root-owned and not group/world-writable.
    await mkdir(chrootDir, { mode: 0o755 });
    await chmod(chrootDir, 0o755);
    await chown(chrootDir, 0, 0);
    sftpRoot = join(chrootDir, "repo");
    await mkdir(sftpRoot, { mode: 0o755 });
    const { uid, gid } = userInfo();
    await chown(sftpRoot, uid, gid);
  }

  const version = await sshdVersion();
  const matchAt = extraConfig.findIndex((line) => /^\s*match\s/i.test(line));
  const extraTop = matchAt === -1 ? extraConfig : extraConfig.slice(0, matchAt);
  const extraMatch = matchAt === -1 ? [] : extraConfig.slice(matchAt);
  const extraDefinesSftp = extraConfig.some((line) => /^\s*subsystem\s+sftp\s/i.test(line));

  const configText = (port: number): string =>
    [
      "# Written by test/helpers/sshd.ts",
      ...extraTop,
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKeyPath}`,
      `PidFile ${pidPath}`,
      `AuthorizedKeysFile ${authorizedKeysPath}`,
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "PermitRootLogin prohibit-password",
      `AllowUsers ${user}`,
      "LogLevel VERBOSE",
      "MaxStartups 100:30:200",
      "MaxSessions 50",
      "PrintMotd no",
      "PrintLastLog no",
      "UseDNS no",
      // OpenSSH >= 9.8 penalises addresses that cause failed logins; tests reconnect a lot.
      ...(version && (version[0] > 9 || (version[0] === 9 && version[1] >= 8)) ? ["PerSourcePenalties no"] : []),
      ...(extraDefinesSftp ? [] : ["Subsystem sftp internal-sftp"]),
      ...(chroot ? [`ChrootDirectory ${chrootDir}`, "ForceCommand internal-sftp", "DisableForwarding yes"] : []),
      ...extraMatch,
      "",
    ].join("\n");

  const clientConfig = (port: number): ConnectConfig => ({
    host: "127.0.0.1",
    port,
    username: user,
    privateKey,
    readyTimeout: 2_000,
    hostVerifier: hostKeyVerifier(hostPublicKeyLine),
  });

  let lastFailure = "";
  for (let attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
    const port = await freePort();
    await writeFile(configPath, configText(port), { mode: 0o600 });
    await writeFile(knownHostsPath, `[127.0.0.1]:${port} ${hostPublicKeyLine}\n`, { mode: 0o644 });

    const check = await run(SSHD, ["-t", "-f", configPath]);
    if (check.code !== 0) {
      throw new Error(`sshd -t rejected ${configPath}:\n${(check.stderr + check.stdout).trim()}\n--- config ---\n${configText(port)}`);
    }

    const logStart = (await readFile(logPath, "utf8").catch(() => "")).length;
    const started = spawnSshd(configPath, logPath);
    const { child } = started;
    // Last resort if the test process ends without stop(): kill sshd and remove its directory.
    const killOnExit = () => {
      if (!started.hasExited()) child.kill("SIGKILL");
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    };
    process.on("exit", killOnExit);

    const deadline = Date.now() + READY_TIMEOUT_MS;
    let ready = false;
    let lastError: unknown;
    let listening = false;
    while (Date.now() < deadline && !started.hasExited()) {
      listening ||= await tcpAccepts(port, 250);
      if (listening) {
        try {
          await sshLogin(clientConfig(port));
          ready = true;
          break;
        } catch (error) {
          lastError = error;
        }
      }
      await delay(listening ? 100 : 25);
    }

    if (ready) {
      let stopped: Promise<void> | undefined;
      const stop = (): Promise<void> =>
        (stopped ??= (async () => {
          if (!started.hasExited()) {
            child.kill("SIGTERM");
            let timer: NodeJS.Timeout | undefined;
            const timeout = new Promise<void>((resolveTimeout) => (timer = setTimeout(resolveTimeout, 3_000)));
            await Promise.race([started.exited, timeout]);
            clearTimeout(timer);
            if (!started.hasExited()) {
              child.kill("SIGKILL");
              await started.exited;
            }
          }
          process.removeListener("exit", killOnExit);
          await rm(dir, { recursive: true, force: true });
        })());
      const server: SshServer = {
        host: "127.0.0.1",
        port,
        user,
        dir,
        clientKeyPath,
        clientPublicKey,
        hostPublicKeyLine,
        knownHostsPath,
        logPath,
        pid: child.pid ?? -1,
        configPath,
        stop,
      };
      if (sftpRoot !== undefined) server.sftpRoot = sftpRoot;
      return server;
    }

    // Not ready: stop this attempt and decide whether a retry on another port can help.
    if (!started.hasExited()) {
      child.kill("SIGKILL");
      await started.exited;
    }
    process.removeListener("exit", killOnExit);
    const log = (await readFile(logPath, "utf8").catch(() => "")).slice(logStart);
    const bindFailed = /bind to port .* failed|cannot bind any address|address already in use/i.test(log);
    lastFailure = started.hasExited() && child.exitCode !== null ? `sshd exited with code ${child.exitCode}` : "";
    if (!bindFailed) {
      const why = lastError instanceof Error ? lastError.message : String(lastError ?? "port never accepted connections");
      throw new Error(
        `startSshd: sshd on 127.0.0.1:${port} did not accept a login within ${READY_TIMEOUT_MS / 1000} s ` +
          `(${lastFailure || why}).\n--- tail of ${logPath} ---\n${await logTail(logPath)}`,
      );
    }
  }
  throw new Error(
    `startSshd: sshd could not bind a port after ${BIND_ATTEMPTS} attempts (${lastFailure}).\n` +
      `--- tail of ${logPath} ---\n${await logTail(logPath)}`,
  );
}

/** Skips the calling test or hook, saying why, when there is no sshd to start (mocha's skip throws). */
export function skipWithoutSshd(context: Mocha.Context): void {
  if (sshdAvailable()) return;
  console.log("    SKIPPED: /usr/sbin/sshd is missing; run scripts/install-test-deps.sh");
  context.skip();
}
