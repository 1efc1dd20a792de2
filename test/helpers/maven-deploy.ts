// Stages written by real Maven: a small multi-module project (a parent pom, a jar module with
// sources and javadoc jars, a module with a classified jar) deployed by Debian's offline Maven
// with `mvn deploy -DaltDeploymentRepository=…`. Maven runs in a network namespace with no
// network (`unshare -n`), every repository mirrored to /usr/share/maven-repo: Debian's
// maven-deploy-plugin refuses `mvn -o`, and this keeps it offline all the same.
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const REAL_GROUP = "org.example.real";

/** Debian's plugin versions (in /usr/share/maven-repo; scripts/install-maven-test-deps.sh). */
const PLUGINS: Record<string, string> = {
  "maven-compiler-plugin": "3.10.1",
  "maven-resources-plugin": "3.3.0",
  "maven-jar-plugin": "3.3.0",
  "maven-surefire-plugin": "2.22.3",
  "maven-install-plugin": "3.1.0",
  "maven-deploy-plugin": "3.0.0",
  "maven-source-plugin": "3.2.1",
  "maven-javadoc-plugin": "3.4.1",
};

export function canDeployWithMaven(): boolean {
  return spawnSync("mvn", ["-v"]).status === 0 && spawnSync("unshare", ["-n", "true"]).status === 0;
}

/** Writes the project at `version` under `dir` and deploys it into `repository` (a directory). */
export async function deployWithMaven(dir: string, version: string, repository: string): Promise<void> {
  const project = join(dir, `project-${version}`);
  writeProject(project, version);
  const settings = join(dir, "settings.xml");
  writeFileSync(
    settings,
    `<settings>
  <localRepository>${join(dir, "local-repository")}</localRepository>
  <mirrors><mirror><id>debian</id><mirrorOf>*</mirrorOf><url>file:///usr/share/maven-repo</url></mirror></mirrors>
</settings>
`,
  );
  try {
    await run("unshare", ["-n", "mvn", "-B", "-q", "-s", settings, "deploy", `-DaltDeploymentRepository=stage::file://${repository}`], { cwd: project, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`mvn deploy of ${version} failed:\n${failed.stdout ?? ""}${failed.stderr ?? ""}`);
  }
}

function writeProject(root: string, version: string): void {
  const parent = `<parent><groupId>${REAL_GROUP}</groupId><artifactId>real-parent</artifactId><version>${version}</version></parent>`;
  const plugin = (artifactId: string, rest = "") => `<plugin><groupId>org.apache.maven.plugins</groupId><artifactId>${artifactId}</artifactId>${rest}</plugin>`;
  const managed = Object.entries(PLUGINS)
    .map(([artifactId, pluginVersion]) => plugin(artifactId, `<version>${pluginVersion}</version>${artifactId === "maven-surefire-plugin" ? "<configuration><skip>true</skip></configuration>" : ""}`))
    .join("\n      ");
  const pom = (body: string) => `<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n  ${body}\n</project>\n`;
  mkdirSync(root, { recursive: true });
  writeFileSync(
    join(root, "pom.xml"),
    pom(`<groupId>${REAL_GROUP}</groupId><artifactId>real-parent</artifactId><version>${version}</version><packaging>pom</packaging>
  <modules><module>core</module><module>natives</module></modules>
  <properties><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding><maven.compiler.release>17</maven.compiler.release></properties>
  <build><pluginManagement><plugins>
      ${managed}
  </plugins></pluginManagement></build>`),
  );
  const module = (name: string, plugins: string, source: string) => {
    const dir = join(root, name);
    mkdirSync(join(dir, "src/main/java/org/example/real"), { recursive: true });
    writeFileSync(join(dir, "pom.xml"), pom(`${parent}<artifactId>real-${name}</artifactId><build><plugins>${plugins}</plugins></build>`));
    writeFileSync(join(dir, `src/main/java/org/example/real/${source.match(/class (\w+)/)![1]}.java`), source);
  };
  module(
    "core",
    plugin("maven-source-plugin", "<executions><execution><id>sources</id><goals><goal>jar-no-fork</goal></goals></execution></executions>") +
      plugin("maven-javadoc-plugin", "<executions><execution><id>javadoc</id><goals><goal>jar</goal></goals></execution></executions>"),
    `package org.example.real;\n/** The core. */\npublic class Core {\n  /** @return its version */\n  public static String version() { return "${version}"; }\n}\n`,
  );
  module(
    "natives",
    plugin("maven-jar-plugin", "<executions><execution><id>linux</id><phase>package</phase><goals><goal>jar</goal></goals><configuration><classifier>linux-x86_64</classifier></configuration></execution></executions>"),
    "package org.example.real;\npublic class Natives {}\n",
  );
}
