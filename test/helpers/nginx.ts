// A private nginx on 127.0.0.1 serving a directory with autoindex, for the HTTP stage tests:
// `/html/` lists as HTML, `/json/` with `autoindex_format json`. Its own config, pid and logs in a
// temporary directory; stop() ends it (it is also killed when this process exits).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { freePort, untilListening } from "./listening.js";
import { tmpdir } from "node:os";
import { join } from "node:path";

const NGINX = "/usr/sbin/nginx";

export interface NginxServer {
  url: string;
  port: number;
  /** https://127.0.0.1:PORT when started with a certificate. */
  httpsUrl?: string;
  stop(): Promise<void>;
}

export function nginxAvailable(): boolean {
  return existsSync(NGINX);
}

export async function startNginx(root: string, tls?: { certificate: string; key: string }): Promise<NginxServer> {
  const dir = mkdtempSync(join(tmpdir(), "nginx-test-"));
  const port = await freePort();
  const httpsPort = tls === undefined ? undefined : await freePort();
  const httpsServer =
    tls === undefined
      ? ""
      : `server {
        listen 127.0.0.1:${httpsPort} ssl;
        ssl_certificate ${tls.certificate};
        ssl_certificate_key ${tls.key};
        location /html/ { alias ${root}/; autoindex on; }
    }`;
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((name) => `${name}_temp_path ${dir}/${name};`).join("\n    ");
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off;
master_process off;
${process.getuid?.() === 0 ? "user root;" : ""}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
    access_log off;
    ${temp}
    server {
        listen 127.0.0.1:${port};
        location /html/ { alias ${root}/; autoindex on; }
        location /json/ { alias ${root}/; autoindex on; autoindex_format json; }
    }
    ${httpsServer}
}
`,
  );
  const child: ChildProcess = spawn(NGINX, ["-c", join(dir, "nginx.conf"), "-p", dir], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const kill = (): void => void child.kill("SIGKILL");
  process.once("exit", kill);
  await untilListening("nginx", port, child, () => stderr);
  if (httpsPort !== undefined) await untilListening("nginx", httpsPort, child, () => stderr);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    ...(httpsPort === undefined ? {} : { httpsUrl: `https://127.0.0.1:${httpsPort}` }),
    async stop() {
      process.removeListener("exit", kill);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
