// The maven-metadata.xml model (Maven's metadata.mdo: Metadata, Versioning, Snapshot,
// SnapshotVersion, Plugin) and its reader. The parsed XML tree is kept beside the model so
// that the writer can keep the attributes, comments and elements this tool does not know.
import { PromoteError } from "../errors.js";
import { attributeOf, childElements, parseXml, textOf, type XmlElement } from "./xml-tree.js";

export interface Snapshot {
  timestamp?: string;
  buildNumber?: number;
  localCopy?: boolean;
}

export interface SnapshotVersion {
  classifier: string;
  extension: string;
  value: string;
  updated?: string;
}

export interface Plugin {
  name?: string;
  prefix: string;
  artifactId: string;
}

export interface Versioning {
  latest?: string;
  release?: string;
  snapshot?: Snapshot;
  versions: string[];
  lastUpdated?: string;
  snapshotVersions: SnapshotVersion[];
}

export interface Metadata {
  groupId?: string;
  artifactId?: string;
  version?: string;
  versioning?: Versioning;
  plugins: Plugin[];
}

export interface MetadataDocument {
  /** Repository-relative path, for messages. */
  path: string;
  metadata: Metadata;
  /** The parsed `<metadata>` element: attributes and unknown children survive a merge. */
  tree: XmlElement;
}

/** What a file holds: `artifact` (versions), `snapshot` (one SNAPSHOT version), `group` (plugins). */
export type MetadataKind = "artifact" | "snapshot" | "group";

export function parseMetadata(bytes: Uint8Array, path: string, maxBytes?: number): MetadataDocument {
  const tree = parseXml(bytes, { path, ...(maxBytes === undefined ? {} : { maxBytes }) });
  if (tree.name !== "metadata") {
    throw new PromoteError("ERR_METADATA_PARSE", `${path}: root element is <${tree.name}>, expected <metadata>`, { path });
  }
  const reader = new FieldReader(path);
  const metadata: Metadata = {
    ...reader.optional(tree, "groupId"),
    ...reader.optional(tree, "artifactId"),
    ...reader.optional(tree, "version"),
    plugins: readPlugins(tree, reader),
  };
  const versioning = reader.single(tree, "versioning");
  if (versioning !== undefined) metadata.versioning = readVersioning(versioning, reader);
  return { path, metadata, tree };
}

/** The model version attribute of the root (`modelVersion="1.1.0"`), if any. */
export function modelVersionOf(document: MetadataDocument): string | undefined {
  return attributeOf(document.tree, "modelVersion");
}

function readVersioning(element: XmlElement, reader: FieldReader): Versioning {
  const versioning: Versioning = {
    ...reader.optional(element, "latest"),
    ...reader.optional(element, "release"),
    ...reader.optional(element, "lastUpdated"),
    versions: [],
    snapshotVersions: [],
  };
  const versions = reader.single(element, "versions");
  if (versions !== undefined) {
    versioning.versions = childElements(versions, "version").map(textOf).filter((version) => version !== "");
  }
  const snapshot = reader.single(element, "snapshot");
  if (snapshot !== undefined) versioning.snapshot = readSnapshot(snapshot, reader);
  const snapshotVersions = reader.single(element, "snapshotVersions");
  if (snapshotVersions !== undefined) {
    versioning.snapshotVersions = childElements(snapshotVersions, "snapshotVersion").map((entry) => ({
      classifier: reader.optional(entry, "classifier").classifier ?? "",
      extension: reader.required(entry, "extension", "snapshotVersion"),
      value: reader.required(entry, "value", "snapshotVersion"),
      ...reader.optional(entry, "updated"),
    }));
  }
  return versioning;
}

function readSnapshot(element: XmlElement, reader: FieldReader): Snapshot {
  const snapshot: Snapshot = { ...reader.optional(element, "timestamp") };
  const buildNumber = reader.optional(element, "buildNumber").buildNumber;
  if (buildNumber !== undefined) {
    if (!/^\d+$/.test(buildNumber)) reader.fail(`<buildNumber> is "${buildNumber}", not a whole number`);
    snapshot.buildNumber = Number(buildNumber);
  }
  const localCopy = reader.optional(element, "localCopy").localCopy;
  if (localCopy !== undefined) snapshot.localCopy = localCopy === "true";
  return snapshot;
}

function readPlugins(tree: XmlElement, reader: FieldReader): Plugin[] {
  const plugins = reader.single(tree, "plugins");
  if (plugins === undefined) return [];
  return childElements(plugins, "plugin").map((entry) => ({
    ...reader.optional(entry, "name"),
    prefix: reader.required(entry, "prefix", "plugin"),
    artifactId: reader.required(entry, "artifactId", "plugin"),
  }));
}

/** Reads single-valued fields, refusing duplicates the way Maven's strict parser does. */
class FieldReader {
  constructor(private readonly path: string) {}

  fail(reason: string): never {
    throw new PromoteError("ERR_METADATA_PARSE", `${this.path}: ${reason}`, { path: this.path });
  }

  single(parent: XmlElement, name: string): XmlElement | undefined {
    const found = childElements(parent, name);
    if (found.length > 1) this.fail(`<${parent.name}> has ${found.length} <${name}> elements, expected one`);
    return found[0];
  }

  /** `{ [name]: value }` when the element exists and is not empty, else `{}`. */
  optional<K extends string>(parent: XmlElement, name: K): Partial<Record<K, string>> {
    const found = this.single(parent, name);
    if (found === undefined) return {};
    if (childElements(found).length > 0) this.fail(`<${name}> must hold text, not elements`);
    const value = textOf(found);
    // An empty <release></release> means "not set" (Maven reads it as "", and treats "" as unset).
    return value === "" ? {} : ({ [name]: value } as Record<K, string>);
  }

  required(parent: XmlElement, name: string, owner: string): string {
    const value = (this.optional(parent, name) as Record<string, string | undefined>)[name];
    if (value === undefined) this.fail(`a <${owner}> has no <${name}>`);
    return value!;
  }
}
