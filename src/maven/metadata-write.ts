// Writes a Metadata model back to XML on top of an existing tree (normally the target's), so
// that the root's attributes (modelVersion, xmlns, xsi:schemaLocation), comments and elements
// this tool does not know are kept in place. Known elements are written in metadata.mdo's order;
// one that the base lacks is inserted where that order puts it.
import type { Metadata, Plugin, Snapshot, SnapshotVersion, Versioning } from "./metadata.js";
import { element, serializeXml, textElement, type XmlElement, type XmlNode } from "./xml-tree.js";

const METADATA_ORDER = ["groupId", "artifactId", "version", "versioning", "plugins"];
const VERSIONING_ORDER = ["latest", "release", "snapshot", "versions", "lastUpdated", "snapshotVersions"];
const SNAPSHOT_ORDER = ["timestamp", "buildNumber", "localCopy"];

export interface WriteMetadataInput {
  metadata: Metadata;
  /** The tree whose attributes and unknown content are kept (the target's, else the staged one). */
  base: XmlElement | undefined;
  /** Another tree whose unknown elements are added when the base has none of that name. */
  donor?: XmlElement | undefined;
}

export function writeMetadata(input: WriteMetadataInput): string {
  return serializeXml(buildMetadataTree(input));
}

export function buildMetadataTree({ metadata, base, donor }: WriteMetadataInput): XmlElement {
  const known: Record<string, XmlElement | undefined> = {
    groupId: optionalText("groupId", metadata.groupId),
    artifactId: optionalText("artifactId", metadata.artifactId),
    version: optionalText("version", metadata.version),
    versioning:
      metadata.versioning === undefined
        ? undefined
        : versioningElement(metadata.versioning, childNamed(base, "versioning"), childNamed(donor, "versioning")),
    plugins: metadata.plugins.length === 0 ? undefined : element("plugins", metadata.plugins.map(pluginElement)),
  };
  return mergeChildren("metadata", METADATA_ORDER, known, base, donor);
}

function versioningElement(versioning: Versioning, base: XmlElement | undefined, donor: XmlElement | undefined): XmlElement {
  const known: Record<string, XmlElement | undefined> = {
    latest: optionalText("latest", versioning.latest),
    release: optionalText("release", versioning.release),
    snapshot:
      versioning.snapshot === undefined ? undefined : snapshotElement(versioning.snapshot, childNamed(base, "snapshot")),
    versions:
      versioning.versions.length === 0
        ? undefined
        : element("versions", versioning.versions.map((version) => textElement("version", version))),
    lastUpdated: optionalText("lastUpdated", versioning.lastUpdated),
    snapshotVersions:
      versioning.snapshotVersions.length === 0
        ? undefined
        : element("snapshotVersions", versioning.snapshotVersions.map(snapshotVersionElement)),
  };
  return mergeChildren("versioning", VERSIONING_ORDER, known, base, donor);
}

function snapshotElement(snapshot: Snapshot, base: XmlElement | undefined): XmlElement {
  // Maven's writer leaves out default values: buildNumber 0 and localCopy false.
  const known: Record<string, XmlElement | undefined> = {
    timestamp: optionalText("timestamp", snapshot.timestamp),
    buildNumber: snapshot.buildNumber ? textElement("buildNumber", String(snapshot.buildNumber)) : undefined,
    localCopy: snapshot.localCopy ? textElement("localCopy", "true") : undefined,
  };
  return mergeChildren("snapshot", SNAPSHOT_ORDER, known, base, undefined);
}

function snapshotVersionElement(entry: SnapshotVersion): XmlElement {
  const children = [
    optionalText("classifier", entry.classifier === "" ? undefined : entry.classifier),
    textElement("extension", entry.extension),
    textElement("value", entry.value),
    optionalText("updated", entry.updated),
  ];
  return element("snapshotVersion", children.filter((child): child is XmlElement => child !== undefined));
}

function pluginElement(plugin: Plugin): XmlElement {
  const children = [
    optionalText("name", plugin.name),
    textElement("prefix", plugin.prefix),
    textElement("artifactId", plugin.artifactId),
  ];
  return element("plugin", children.filter((child): child is XmlElement => child !== undefined));
}

function optionalText(name: string, value: string | undefined): XmlElement | undefined {
  return value === undefined || value === "" ? undefined : textElement(name, value);
}

function childNamed(parent: XmlElement | undefined, name: string): XmlElement | undefined {
  return parent?.children.find((child): child is XmlElement => child.kind === "element" && child.name === name);
}

/**
 * Walks the base's children in order: unknown nodes are kept where they stand, each known one is
 * replaced by its new rendering (or dropped when the model no longer has it), and a known element
 * the base lacks goes in before the first later-ordered known element.
 */
function mergeChildren(
  name: string,
  order: readonly string[],
  known: Record<string, XmlElement | undefined>,
  base: XmlElement | undefined,
  donor: XmlElement | undefined,
): XmlElement {
  const out: XmlNode[] = [];
  const emitted = new Set<string>();
  const emit = (knownName: string): void => {
    if (emitted.has(knownName)) return;
    emitted.add(knownName);
    const rendered = known[knownName];
    if (rendered !== undefined) out.push(rendered);
  };
  const baseNames = new Set(base?.children.flatMap((child) => (child.kind === "element" ? [child.name] : [])) ?? []);
  for (const child of base?.children ?? []) {
    if (child.kind === "element" && order.includes(child.name)) {
      for (const earlier of order.slice(0, order.indexOf(child.name))) if (!baseNames.has(earlier)) emit(earlier);
      emit(child.name);
    } else {
      out.push(child);
    }
  }
  for (const knownName of order) emit(knownName);
  for (const child of donor?.children ?? []) {
    if (child.kind === "element" && !order.includes(child.name) && !baseNames.has(child.name)) out.push(child);
  }
  return element(name, out, base?.attributes ?? donor?.attributes ?? []);
}
