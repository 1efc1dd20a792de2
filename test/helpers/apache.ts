// A private Apache httpd (Debian's apache2) on 127.0.0.1 serving a directory with mod_autoindex
// (FancyIndexing, so its listings carry the `?C=N;O=D` sort links), for the HTTP stage tests.
// httpd will not serve as root, so its workers run as www-data: the served directory and its
// parents are made world-readable.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { freePort, untilListening } from "./listening.js";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const APACHE = "/usr/sbin/apache2";
const MODULES = "/usr/lib/apache2/modules";

export interface ApacheServer {
  url: string;
  stop(): Promise<void>;
}

export function apacheAvailable(): boolean {
  return existsSync(APACHE) && existsSync(join(MODULES, "mod_autoindex.so"));
}

export async function startApache(root: string): Promise<ApacheServer> {
  const dir = mkdtempSync(join(tmpdir(), "apache-test-"));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, "empty"));
  readableByAll(root);
  const port = await freePort();
  const modules = ["mpm_event", "authz_core", "alias", "autoindex", "dir"].map((name) => `LoadModule ${name}_module ${MODULES}/mod_${name}.so`).join("\n");
  writeFileSync(
    join(dir, "httpd.conf"),
    `ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile ${dir}/httpd.pid
ErrorLog ${dir}/error.log
DefaultRuntimeDir ${dir}
Mutex file:${dir} default
User www-data
Group www-data
${modules}
DocumentRoot ${dir}/empty
IndexOptions FancyIndexing
Alias /stage/ ${root}/
<Directory ${root}>
  Options +Indexes
  Require all granted
</Directory>
`,
  );
  const child: ChildProcess = spawn(APACHE, ["-f", join(dir, "httpd.conf"), "-DFOREGROUND"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const kill = (): void => void child.kill("SIGKILL");
  process.once("exit", kill);
  await untilListening("apache2", port, child, () => stderr);
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      process.removeListener("exit", kill);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM"); // httpd -DFOREGROUND stops its workers and exits
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** o+rx on the directory's parents and o+rX below it (the tests' temporary directories are 0700). */
function readableByAll(root: string): void {
  for (let directory = dirname(root); directory !== "/" && directory !== tmpdir(); directory = dirname(directory)) {
    chmodSync(directory, statSync(directory).mode | 0o005);
  }
  const walk = (path: string): void => {
    const stat = statSync(path);
    chmodSync(path, stat.mode | (stat.isDirectory() ? 0o005 : 0o004));
    if (stat.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(root);
}
