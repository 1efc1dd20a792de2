// A REAL Maven client (Debian's `mvn` 3.8.7 + maven-dependency-plugin from /usr/share/maven-repo)
// resolving artifacts from a repository directory, with checksumPolicy=fail, and never the internet.
//
// How (worked out by experiment, see test/integration/maven-client.test.ts):
// - A fresh temp dir per call holds: settings.xml (user), an empty global settings, a fresh local
//   repository (so nothing is cached between calls: caching would hide metadata bugs), and a
//   reactor project with ONE MODULE PER REQUEST (a single POM cannot depend on the same
//   groupId:artifactId twice: Maven keeps one; separate modules can resolve 1.0.0, 1.2.0 and a range
//   of the same artifact in one JVM run).
// - mvn runs OFFLINE (`-o`) but with `-Daether.offline.protocols=file`, so the resolver may still read
//   file:// repositories and nothing else. On top of that a blocked mirror `*,!central,!promoted`
//   blocks every repository a POM might declare.
// - Repository `central` is overridden to file:///usr/share/maven-repo (Debian's repo of packaged
//   jars; no checksum files there, hence checksumPolicy=ignore for it); that is where the plugin and
//   its dependencies (versions "debian", "3.x", ... as Debian rewrites them) come from.
// - Repository `promoted` is the directory under test: releases and snapshots enabled,
//   updatePolicy=always, checksumPolicy=fail.
// - The goal is given with full coordinates (org.apache.maven.plugins:maven-dependency-plugin:<v>:list):
//   a prefix (`dependency:list`) would need plugin-group metadata that /usr/share/maven-repo lacks.
// - Note Maven checks the .sha1 when present and falls back to .md5 only when there is no .sha1:
//   a wrong .md5 beside a right .sha1 goes unnoticed by Maven.

import { execFile } from "node:child_process";
import { accessSync, constants as fsConstants, existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";

export interface ResolveRequest {
  groupId: string;
  artifactId: string;
  /** Exact ("1.2.0"), SNAPSHOT ("1.0-SNAPSHOT") or a range ("[1.0,2.0)"). */
  version: string;
  /** Default "jar". */
  type?: string;
}

export interface ResolvedArtifact {
  groupId: string;
  artifactId: string;
  /** As Maven reports it: the chosen version for a range, the base version ("1.0-SNAPSHOT") for a snapshot. */
  version: string;
  type: string;
  /**
   * The version in the name of the file Maven downloaded from the repository under test, e.g.
   * "1.0-20240102.030405-2" for a timestamped snapshot; equal to `version` for releases. Undefined
   * when no download of it from that repository appears in mvn's output (e.g. a transitive
   * dependency that came from /usr/share/maven-repo).
   */
  fileVersion?: string;
}

export interface ResolveResult {
  /** mvn exited 0: every request resolved, all checksums passed. */
  ok: boolean;
  /** Every artifact resolved, over all requests (transitive ones included), without duplicates. */
  resolved: ResolvedArtifact[];
  /** mvn's stdout+stderr (colour codes and Debian-repo download lines removed), for assertion messages. */
  output: string;
  /** Per request, in order: whether its module resolved, and what it resolved. */
  perRequest: Array<{ request: ResolveRequest; ok: boolean; resolved: ResolvedArtifact[] }>;
  /** Paths (relative to the repository under test) of the files Maven downloaded from it, e.g. "org/example/hello/maven-metadata.xml". */
  downloaded: string[];
}

/** Debian's repository of packaged Maven artifacts. */
export const DEBIAN_MAVEN_REPO = "/usr/share/maven-repo";
const PLUGIN_DIR = join(DEBIAN_MAVEN_REPO, "org/apache/maven/plugins/maven-dependency-plugin");
const CENTRAL_ID = "central";
const TARGET_ID = "promoted";

/** Whether `mvn` is on PATH. */
export function mavenAvailable(): boolean {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, "mvn");
    try {
      accessSync(candidate, fsConstants.X_OK);
      if (statSync(candidate).isFile()) return true;
    } catch {
      // not here
    }
  }
  return false;
}

/**
 * The maven-dependency-plugin version Debian installed (libmaven-dependency-plugin-java), i.e. a
 * version directory under /usr/share/maven-repo that holds the plugin jar (Debian also keeps some
 * POM-only directories, e.g. 2.8). Throws with the fix when there is none.
 */
export function dependencyPluginVersion(): string {
  const versions = existsSync(PLUGIN_DIR)
    ? readdirSync(PLUGIN_DIR).filter((v) => existsSync(join(PLUGIN_DIR, v, `maven-dependency-plugin-${v}.jar`)))
    : [];
  const numeric = versions
    .filter((v) => /^\d+(\.\d+)*$/.test(v))
    .sort((a, b) => {
      const pa = a.split(".").map(Number);
      const pb = b.split(".").map(Number);
      for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const d = (pa[i] ?? 0) - (pb[i] ?? 0);
        if (d !== 0) return d;
      }
      return 0;
    });
  const chosen = numeric.at(-1) ?? versions[0];
  if (chosen === undefined) {
    throw new Error(
      `maven-dependency-plugin is not installed under ${PLUGIN_DIR}: run \`bash scripts/install-maven-test-deps.sh\` ` +
        "(Debian packages maven, libmaven-dependency-plugin-java, junit4)",
    );
  }
  return chosen;
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function repositoryUrl(dir: string): string {
  return pathToFileURL(resolvePath(dir)).href.replace(/\/+$/, "");
}

function settingsXml(localRepository: string, targetUrl: string): string {
  const centralUrl = repositoryUrl(DEBIAN_MAVEN_REPO);
  const central = (tag: string): string => `
        <${tag}>
          <id>${CENTRAL_ID}</id>
          <url>${xmlEscape(centralUrl)}</url>
          <releases><enabled>true</enabled><updatePolicy>never</updatePolicy><checksumPolicy>ignore</checksumPolicy></releases>
          <snapshots><enabled>false</enabled></snapshots>
        </${tag}>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0">
  <localRepository>${xmlEscape(localRepository)}</localRepository>
  <interactiveMode>false</interactiveMode>
  <offline>true</offline>
  <mirrors>
    <mirror>
      <id>no-other-repositories</id>
      <mirrorOf>*,!${CENTRAL_ID},!${TARGET_ID}</mirrorOf>
      <url>http://0.0.0.0/</url>
      <blocked>true</blocked>
    </mirror>
  </mirrors>
  <profiles>
    <profile>
      <id>maven-client-test</id>
      <repositories>${central("repository")}
        <repository>
          <id>${TARGET_ID}</id>
          <url>${xmlEscape(targetUrl)}</url>
          <releases><enabled>true</enabled><updatePolicy>always</updatePolicy><checksumPolicy>fail</checksumPolicy></releases>
          <snapshots><enabled>true</enabled><updatePolicy>always</updatePolicy><checksumPolicy>fail</checksumPolicy></snapshots>
        </repository>
      </repositories>
      <pluginRepositories>${central("pluginRepository")}
      </pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles>
    <activeProfile>maven-client-test</activeProfile>
  </activeProfiles>
</settings>
`;
}

const LIST_FILE = "dependency-list.txt";

function pomXml(artifactId: string, pluginVersion: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>maven-client-test.consumer</groupId>
  <artifactId>${artifactId}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
${body}
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>${pluginVersion}</version>
        <configuration>
          <outputFile>\${project.build.directory}/${LIST_FILE}</outputFile>
          <appendOutput>false</appendOutput>
        </configuration>
      </plugin>
    </plugins>
  </build>
</project>
`;
}

function modulePom(index: number, request: ResolveRequest, pluginVersion: string): string {
  const dependency = `  <dependencies>
    <dependency>
      <groupId>${xmlEscape(request.groupId)}</groupId>
      <artifactId>${xmlEscape(request.artifactId)}</artifactId>
      <version>${xmlEscape(request.version)}</version>
      <type>${xmlEscape(request.type ?? "jar")}</type>
    </dependency>
  </dependencies>`;
  return pomXml(`request-${index}`, pluginVersion, dependency);
}

/** Parses dependency:list lines such as "   g:a:jar:1.2.0:compile -- module a (auto)" (optionally with a classifier). */
function parseDependencyList(text: string): ResolvedArtifact[] {
  const result: ResolvedArtifact[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().split(/\s+/)[0] ?? "";
    const parts = line.split(":");
    if (parts.length !== 5 && parts.length !== 6) continue;
    const [groupId, artifactId, type] = parts as [string, string, string];
    const version = parts[parts.length - 2] as string;
    result.push({ groupId, artifactId, version, type });
  }
  return result;
}

/** Relative paths of the files downloaded from `url`, per "Downloaded from <id>: <url>/<path> (...)" lines. */
function parseDownloads(output: string, url: string): string[] {
  const downloaded: string[] = [];
  const prefix = `Downloaded from ${TARGET_ID}: ${url}/`;
  for (const line of output.split(/\r?\n/)) {
    const at = line.indexOf(prefix);
    if (at < 0) continue;
    const rest = line.slice(at + prefix.length);
    const path = rest.replace(/ \([^()]*\)\s*$/, "");
    downloaded.push(decodeURIComponent(path));
  }
  return downloaded;
}

const EXTENSION_OF_TYPE: Record<string, string> = {
  "test-jar": "jar",
  "maven-plugin": "jar",
  ejb: "jar",
  "ejb-client": "jar",
  "java-source": "jar",
  javadoc: "jar",
  bundle: "jar",
};

/** Adds the version in the name of the file downloaded for `artifact` (timestamped for a snapshot). */
function withFileVersion(artifact: ResolvedArtifact, downloaded: string[]): ResolvedArtifact {
  const dir = `${artifact.groupId.replace(/\./g, "/")}/${artifact.artifactId}/${artifact.version}/${artifact.artifactId}-`;
  const ext = `.${EXTENSION_OF_TYPE[artifact.type] ?? artifact.type}`;
  const snapshotBase = artifact.version.endsWith("-SNAPSHOT") ? artifact.version.slice(0, -"SNAPSHOT".length) : undefined;
  for (const path of downloaded) {
    if (!path.startsWith(dir) || !path.endsWith(ext) || path.includes("/", dir.length)) continue;
    const stem = path.slice(dir.length, -ext.length); // version, or version-classifier
    if (stem === artifact.version || stem.startsWith(`${artifact.version}-`)) return { ...artifact, fileVersion: artifact.version };
    if (snapshotBase !== undefined) {
      const m = /^\d{8}\.\d{6}-\d+/.exec(stem.slice(snapshotBase.length));
      if (stem.startsWith(snapshotBase) && m) return { ...artifact, fileVersion: `${snapshotBase}${m[0]}` };
    }
  }
  return artifact;
}

function cleanOutput(output: string): string {
  return output
    .replace(/\x1b\[[0-9;]*[A-Za-z]/g, "")
    .split(/\r?\n/)
    .filter((line) => !/^\[INFO\] Download(ing|ed) from central: /.test(line))
    .join("\n");
}

function runMvn(cwd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MAVEN_SKIP_RC: "1", // ignore /etc/mavenrc and ~/.mavenrc
      MAVEN_OPTS: "-XX:TieredStopAtLevel=1 -Djava.awt.headless=true", // ~40% faster JVM start-up for a short run
      LC_ALL: "C",
    };
    delete env.MAVEN_ARGS;
    delete env.MAVEN_CONFIG;
    execFile(
      "mvn",
      args,
      { cwd, env, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        const timedOut = error !== null && (error as { killed?: boolean }).killed === true;
        const code = error === null ? 0 : typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : null;
        if (error !== null && (error as NodeJS.ErrnoException).code === "ENOENT") {
          resolve({ code: null, output: "mvn not found on PATH", timedOut: false });
          return;
        }
        resolve({ code, output: `${stdout}${stderr}`, timedOut });
      },
    );
  });
}

/**
 * Resolves each request with a real Maven client from `repositoryDir` (Maven 2 layout), with
 * checksumPolicy=fail and updatePolicy=always, from a fresh local repository.
 */
export async function resolveWithMaven(
  repositoryDir: string,
  requests: ResolveRequest[],
  options?: { timeoutMs?: number },
): Promise<ResolveResult> {
  if (requests.length === 0) throw new Error("resolveWithMaven: no requests");
  const pluginVersion = dependencyPluginVersion();
  const timeoutMs = options?.timeoutMs ?? 90_000;
  const targetUrl = repositoryUrl(repositoryDir);
  const work = await mkdtemp(join(tmpdir(), "maven-client-"));
  try {
    const project = join(work, "project");
    const localRepository = join(work, "local-repository");
    await mkdir(localRepository, { recursive: true });
    await writeFile(join(work, "settings.xml"), settingsXml(localRepository, targetUrl));
    await writeFile(join(work, "global-settings.xml"), `<?xml version="1.0" encoding="UTF-8"?>\n<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0"/>\n`);
    const modules = requests.map((_, i) => `request-${i}`);
    await mkdir(project, { recursive: true });
    await writeFile(
      join(project, "pom.xml"),
      pomXml("aggregator", pluginVersion, `  <modules>\n${modules.map((m) => `    <module>${m}</module>`).join("\n")}\n  </modules>`),
    );
    for (const [i, request] of requests.entries()) {
      await mkdir(join(project, modules[i] as string), { recursive: true });
      await writeFile(join(project, modules[i] as string, "pom.xml"), modulePom(i, request, pluginVersion));
    }

    const args = [
      "-B", // batch: no prompts, plain transfer lines ("Downloaded from promoted: ...")
      "-o", // offline: the resolver reaches no network ...
      "-Daether.offline.protocols=file", // ... but may read file:// repositories
      "-Dstyle.color=never",
      "-fae", // resolve every request even when one fails
      "-s",
      join(work, "settings.xml"),
      "-gs",
      join(work, "global-settings.xml"),
      `-Dmaven.repo.local=${localRepository}`,
      "-f",
      join(project, "pom.xml"),
      `org.apache.maven.plugins:maven-dependency-plugin:${pluginVersion}:list`,
    ];
    const run = await runMvn(project, args, timeoutMs);
    const rawOutput = run.timedOut ? `${run.output}\n[maven-client] mvn killed after ${timeoutMs} ms` : run.output;
    const output = cleanOutput(rawOutput);
    const downloaded = parseDownloads(output, targetUrl);

    const perRequest: ResolveResult["perRequest"] = [];
    const all = new Map<string, ResolvedArtifact>();
    for (const [i, request] of requests.entries()) {
      const listFile = join(project, modules[i] as string, "target", LIST_FILE);
      let resolved: ResolvedArtifact[] = [];
      let ok = false;
      if (existsSync(listFile)) {
        resolved = parseDependencyList(await readFile(listFile, "utf8")).map((a) => withFileVersion(a, downloaded));
        ok = true;
      }
      perRequest.push({ request, ok, resolved });
      for (const artifact of resolved) {
        all.set(`${artifact.groupId}:${artifact.artifactId}:${artifact.type}:${artifact.version}`, artifact);
      }
    }
    return { ok: run.code === 0 && perRequest.every((r) => r.ok), resolved: [...all.values()], output, perRequest, downloaded };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
