// The coordinates a POM declares, with Maven's inheritance of groupId and version from
// <parent>. Values that still hold a property reference (`${revision}`) cannot be checked.
import { PromoteError } from "../errors.js";
import { childElements, parseXml, textOf, type XmlElement } from "./xml-tree.js";

export interface PomCoordinates {
  groupId?: string;
  artifactId?: string;
  version?: string;
  packaging?: string;
}

export function parsePomCoordinates(bytes: Uint8Array, path: string): PomCoordinates {
  const project = parseXml(bytes, { path, errorCode: "ERR_POM_PARSE" });
  if (project.name !== "project") {
    throw new PromoteError("ERR_POM_PARSE", `${path}: root element is <${project.name}>, expected <project>`, { path });
  }
  const parent = childElements(project, "parent")[0];
  const coordinates: PomCoordinates = {};
  const groupId = valueOf(project, "groupId") ?? (parent && valueOf(parent, "groupId"));
  const artifactId = valueOf(project, "artifactId");
  const version = valueOf(project, "version") ?? (parent && valueOf(parent, "version"));
  const packaging = valueOf(project, "packaging");
  if (groupId) coordinates.groupId = groupId;
  if (artifactId) coordinates.artifactId = artifactId;
  if (version) coordinates.version = version;
  if (packaging) coordinates.packaging = packaging;
  return coordinates;
}

function valueOf(parent: XmlElement, name: string): string | undefined {
  const found = childElements(parent, name)[0];
  if (found === undefined) return undefined;
  const value = textOf(found);
  return value === "" ? undefined : value;
}

/** What Maven Central asks a POM to describe, as written in the POM itself (before inheritance). */
export interface PomDescription {
  name?: string;
  description?: string;
  url?: string;
  licenses: number;
  developers: number;
  scmUrl?: string;
  /** The parent's coordinates, where it names one. */
  parent?: { groupId: string; artifactId: string; version: string };
}

export function parsePomDescription(bytes: Uint8Array, path: string): PomDescription {
  const project = parseXml(bytes, { path, errorCode: "ERR_POM_PARSE" });
  if (project.name !== "project") {
    throw new PromoteError("ERR_POM_PARSE", `${path}: root element is <${project.name}>, expected <project>`, { path });
  }
  const count = (list: string, item: string) => childElements(project, list).flatMap((element) => childElements(element, item)).length;
  const scm = childElements(project, "scm")[0];
  const parent = childElements(project, "parent")[0];
  const description: PomDescription = { licenses: count("licenses", "license"), developers: count("developers", "developer") };
  for (const field of ["name", "description", "url"] as const) {
    const value = valueOf(project, field)?.trim();
    if (value) description[field] = value;
  }
  const scmUrl = scm === undefined ? undefined : valueOf(scm, "url")?.trim();
  if (scmUrl) description.scmUrl = scmUrl;
  if (parent !== undefined) {
    const [groupId, artifactId, version] = ["groupId", "artifactId", "version"].map((field) => valueOf(parent, field)?.trim());
    if (groupId && artifactId && version) description.parent = { groupId, artifactId, version };
  }
  return description;
}
