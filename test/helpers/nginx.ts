// A private nginx on 127.0.0.1 serving a directory with autoindex, for the HTTP stage tests:
// `/html/` lists as HTML, `/json/` with `autoindex_format json`. Its own config, pid and logs in a
// temporary directory; stop() ends it (it is also killed when this process exits).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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
  writeConfig(
    dir,
    `    server {
        listen 127.0.0.1:${port};
        location /html/ { alias ${root}/; autoindex on; }
        location /json/ { alias ${root}/; autoindex on; autoindex_format json; }
    }
    ${httpsServer}`,
  );
  const stop = await runNginx(dir, [port, ...(httpsPort === undefined ? [] : [httpsPort])]);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    ...(httpsPort === undefined ? {} : { httpsUrl: `https://127.0.0.1:${httpsPort}` }),
    stop,
  };
}

/**
 * The cache a CDN would be: `root` served by an origin server whose answers say Cache-Control:
 * max-age=maxAgeSeconds, behind a proxy_cache that keeps each answer (404s too) until purge()
 * and says whether it served it from the cache (X-Cache: HIT or MISS). The cache's expiry is
 * purge(), called when a test chooses, not a clock: a test waits on events, never on time.
 */
export async function startCachingNginx(root: string, maxAgeSeconds: number): Promise<NginxServer & { originUrl: string; purge(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "nginx-cache-test-"));
  const [port, origin] = [await freePort(), await freePort()];
  writeConfig(
    dir,
    `    proxy_cache_path ${dir}/cache keys_zone=public:1m;
    server {
        listen 127.0.0.1:${origin};
        location / { root ${root}; expires ${maxAgeSeconds}s; }
    }
    server {
        listen 127.0.0.1:${port};
        location / {
            proxy_pass http://127.0.0.1:${origin};
            proxy_cache public;
            proxy_cache_valid 200 404 1d;
            proxy_ignore_headers Cache-Control Expires;
            add_header X-Cache $upstream_cache_status;
        }
    }`,
  );
  const stop = await runNginx(dir, [port, origin]);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    originUrl: `http://127.0.0.1:${origin}`,
    stop,
    // nginx takes an entry whose file is gone for a miss, and fetches it from the origin again.
    purge: () => {
      for (const entry of readdirSync(join(dir, "cache"))) rmSync(join(dir, "cache", entry), { recursive: true, force: true });
    },
  };
}

/** dir/nginx.conf: a private nginx (its pid, logs and temp files in dir), with `servers` inside http { }. */
function writeConfig(dir: string, servers: string): void {
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
    ${servers.trim()}
}
`,
  );
}

/** Starts nginx on dir/nginx.conf and waits for its ports; the function returned stops it and removes dir. */
async function runNginx(dir: string, ports: readonly number[]): Promise<() => Promise<void>> {
  const child: ChildProcess = spawn(NGINX, ["-c", join(dir, "nginx.conf"), "-p", dir], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const kill = (): void => void child.kill("SIGKILL");
  process.once("exit", kill);
  for (const port of ports) await untilListening("nginx", port, child, () => stderr);
  return async () => {
    process.removeListener("exit", kill);
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
