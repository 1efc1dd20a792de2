// Maven Central's publishing requirements (central.sonatype.org/publish/requirements), each
// reported in Central's own words where it has them: the Central Portal's for signatures,
// checksums and POM fields ("Missing signature for file: X", "Project URL is not defined"),
// the Nexus staging rules' for sources and javadoc jars ("Missing: no javadoc jar found in
// folder '/g/a/v'"). "Project name is missing" and the SNAPSHOT rule are worded after them.
import { readFile } from "node:fs/promises";
import { isPromoteError } from "../errors.js";
import { parsePomDescription, type PomDescription } from "../maven/pom.js";
import { basename } from "../maven/repository-path.js";
import type { StagedLayout, StagedVersion } from "../plan/staging-layout.js";

export interface Finding {
  rule: string;
  path: string;
  message: string;
  /** A fact the stage cannot settle (a parent POM that is not in it): reported as a warning at most. */
  uncertain?: boolean;
}

export interface StageFacts {
  layout: StagedLayout;
  /** Each version directory's POM description, by "groupId:artifactId:version". */
  poms: Map<string, { path: string; description: PomDescription }>;
  /** Parent POMs that are not staged but were found elsewhere (the target), by the same key. */
  parents: Map<string, PomDescription>;
}

/** Finds a parent POM that is not in the stage (plan and promote read it from the target). */
export type ParentPomSource = (coordinates: { groupId: string; artifactId: string; version: string }) => Promise<PomDescription | undefined>;

export interface Rule {
  id: string;
  summary: string;
  check(facts: StageFacts): Finding[];
}

/** The staged files a client downloads: everything but metadata, checksums and signatures. */
const artifacts = (layout: StagedLayout) => layout.primaries;

const checksumRule = (algorithm: "md5" | "sha1" | "sha256" | "sha512", id = `central/${algorithm}`): Rule => ({
  id,
  summary: `every file has a .${algorithm}`,
  check: ({ layout }) =>
    artifacts(layout)
      .filter((file) => layout.sidecars.get(file.path)?.checksums[algorithm] === undefined)
      .map((file) => ({ rule: id, path: file.path, message: `Missing ${algorithm} checksum for file: ${basename(file.path)}` })),
});

/** Where a version directory holds its main jar (`artifactId-version.jar`), sources and javadoc jars are required too. */
const companionJarRule = (kind: "sources" | "javadoc"): Rule => ({
  id: `central/${kind}`,
  summary: `a version with a main jar has a -${kind}.jar`,
  check: ({ layout }) =>
    [...layout.versions.values()]
      .filter((version) => hasMainJar(version) && !version.files.some((file) => file.path.endsWith(`-${kind}.jar`)))
      .map((version) => ({ rule: `central/${kind}`, path: version.path, message: `Missing: no ${kind} jar found in folder '/${version.path}'` })),
});

function hasMainJar(version: StagedVersion): boolean {
  const prefix = `${version.artifactId}-`;
  // A SNAPSHOT's main jar is timestamped (artifactId-1.0-20261201.101500-1.jar): no classifier after the version.
  return version.files.some((file) => {
    const name = basename(file.path);
    if (!name.startsWith(prefix) || !name.endsWith(".jar")) return false;
    const rest = name.slice(prefix.length, -".jar".length);
    if (rest === version.version) return true;
    const base = version.version.slice(0, -"SNAPSHOT".length); // "1.0-"
    return version.version.endsWith("-SNAPSHOT") && rest.startsWith(base) && /^\d{8}\.\d{6}-\d+$/.test(rest.slice(base.length));
  });
}

type Inherited = "description" | "url" | "scmUrl" | "licenses" | "developers";

/** A POM field, from the POM or (Maven's inheritance) from a parent staged beside it; name is not inherited. */
const pomRule = (id: string, field: "name" | Inherited, message: string): Rule => ({
  id,
  summary: message,
  check: ({ poms, parents }) => {
    const findings: Finding[] = [];
    for (const { path, description } of poms.values()) {
      const found = lookUp(description, field, poms, parents);
      if (found.present) continue;
      const finding: Finding = { rule: id, path, message };
      if (found.missingParent !== undefined) {
        finding.message += ` (nor in the staged parents; the parent ${found.missingParent} is not in the stage, so what it gives was not checked)`;
        finding.uncertain = true;
      }
      findings.push(finding);
    }
    return findings;
  },
});

function lookUp(description: PomDescription, field: "name" | Inherited, poms: StageFacts["poms"], parents: StageFacts["parents"]): { present: boolean; missingParent?: string } {
  const has = (pom: PomDescription) => (field === "licenses" || field === "developers" ? pom[field] > 0 : pom[field] !== undefined);
  if (has(description)) return { present: true };
  if (field === "name") return { present: false };
  const seen = new Set<string>();
  for (let parent = description.parent; parent !== undefined; ) {
    const key = `${parent.groupId}:${parent.artifactId}:${parent.version}`;
    if (seen.has(key)) return { present: false }; // a parent loop: Maven would refuse the POM
    seen.add(key);
    const found = poms.get(key)?.description ?? parents.get(key);
    if (found === undefined) return { present: false, missingParent: key };
    if (has(found)) return { present: true };
    parent = found.parent;
  }
  return { present: false };
}

export const CENTRAL_RULES: readonly Rule[] = [
  {
    id: "central/signature",
    summary: "every file has a .asc signature",
    check: ({ layout }) =>
      artifacts(layout)
        .filter((file) => layout.sidecars.get(file.path)?.signature === undefined)
        .map((file) => ({ rule: "central/signature", path: file.path, message: `Missing signature for file: ${basename(file.path)}` })),
  },
  checksumRule("md5"),
  checksumRule("sha1"),
  companionJarRule("sources"),
  companionJarRule("javadoc"),
  pomRule("central/name", "name", "Project name is missing"),
  pomRule("central/description", "description", "Project description is missing"),
  pomRule("central/url", "url", "Project URL is not defined"),
  pomRule("central/licenses", "licenses", "License information is missing"),
  pomRule("central/developers", "developers", "Developers information is missing"),
  pomRule("central/scm-url", "scmUrl", "SCM URL is not defined"),
  {
    id: "central/no-snapshot",
    summary: "no SNAPSHOT version in a release",
    check: ({ layout }) =>
      [...layout.versions.values()]
        .filter((version) => version.version.endsWith("-SNAPSHOT"))
        .map((version) => ({
          rule: "central/no-snapshot",
          path: version.path,
          message: `SNAPSHOT versions cannot be published to Maven Central: ${version.groupId}:${version.artifactId}:${version.version}`,
        })),
  },
];

const MAX_OUTSIDE_PARENTS = 64;

/**
 * Rules no built-in policy enables (Central calls sha256 and sha512 optional): a policy file
 * switches them on, as DESIGN.md's "required sha256/sha512" asks.
 */
export const OPTIONAL_RULES: readonly Rule[] = [checksumRule("sha256", "checksum/sha256"), checksumRule("sha512", "checksum/sha512")];

/** Every rule a policy can name. */
export const ALL_RULES: readonly Rule[] = [...CENTRAL_RULES, ...OPTIONAL_RULES];

/** The facts the rules read: each version's POM description (a POM that does not parse is left to the POM checks), and the parents beyond the stage that `findParent` finds. */
export async function stageFacts(layout: StagedLayout, findParent?: ParentPomSource): Promise<StageFacts> {
  const poms: StageFacts["poms"] = new Map();
  for (const version of layout.versions.values()) {
    const pom = version.files.find((file) => file.path.endsWith(".pom") && !file.path.endsWith(".pom.asc"));
    if (pom === undefined) continue;
    try {
      poms.set(`${version.groupId}:${version.artifactId}:${version.version}`, { path: pom.path, description: parsePomDescription(await readFile(pom.absolutePath), pom.path) });
    } catch (error) {
      if (!isPromoteError(error)) throw error;
    }
  }
  const parents: StageFacts["parents"] = new Map();
  if (findParent !== undefined) {
    // Each chain is followed out of the stage a parent at a time; at most MAX_OUTSIDE_PARENTS are
    // read, so a target whose POMs name ever new parents cannot keep the plan reading.
    const pending = [...poms.values()].map(({ description }) => description.parent);
    const asked = new Set<string>();
    while (pending.length > 0 && parents.size < MAX_OUTSIDE_PARENTS) {
      const parent = pending.pop();
      if (parent === undefined) continue;
      const key = `${parent.groupId}:${parent.artifactId}:${parent.version}`;
      if (poms.has(key) || asked.has(key)) continue;
      asked.add(key);
      const description = await findParent(parent);
      if (description === undefined) continue;
      parents.set(key, description);
      pending.push(description.parent);
    }
  }
  return { layout, poms, parents };
}
