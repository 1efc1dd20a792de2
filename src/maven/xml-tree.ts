// A small, safe XML tree for Maven's repository files (maven-metadata.xml, POMs).
//
// Safety first: the bytes are decoded by their declared encoding with a fatal decoder, NUL
// bytes and DOCTYPE declarations are refused outright (Maven's files never have a DTD, and a
// DTD is how external entities and entity bombs get in), and fast-xml-parser runs with entity
// processing off, so nothing is ever expanded. Text is kept raw (still escaped) in the tree,
// which lets unknown elements round-trip exactly; `textOf` decodes the five predefined
// entities and character references for the values this tool reads.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { PromoteError, type ErrorCode } from "../errors.js";

export interface XmlElement {
  kind: "element";
  name: string;
  /** Attribute values exactly as written (still escaped), in document order. */
  attributes: Array<[string, string]>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | { kind: "text"; raw: string } | { kind: "comment"; text: string } | { kind: "cdata"; text: string };

export const DEFAULT_MAX_XML_BYTES = 16 * 1024 * 1024;

export interface ParseXmlOptions {
  /** Repository path used in error messages. */
  path: string;
  maxBytes?: number;
  errorCode?: ErrorCode;
}

/** Decodes and parses one XML document; returns its root element. */
export function parseXml(bytes: Uint8Array, options: ParseXmlOptions): XmlElement {
  const code = options.errorCode ?? "ERR_METADATA_PARSE";
  const fail = (reason: string): never => {
    throw new PromoteError(code, `${options.path}: ${reason}`, { path: options.path });
  };
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  if (bytes.length > maxBytes) fail(`file is ${bytes.length} bytes, over the ${maxBytes}-byte limit for XML`);
  if (bytes.length === 0) fail("file is empty");
  if (bytes.includes(0) && !hasUtf16Bom(bytes)) fail("file contains NUL bytes, so it is not XML");

  const text = normaliseLineEndings(decodeXmlBytes(bytes, fail));
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    fail("DOCTYPE and ENTITY declarations are not allowed (no DTDs, no entity expansion)");
  }
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    fail(`malformed XML at line ${validation.err.line}, column ${validation.err.col}: ${validation.err.msg}`);
  }
  const parsed = PARSER.parse(text) as RawNode[];
  const roots = parsed.map(toNode).filter((node): node is XmlElement => node?.kind === "element");
  if (roots.length !== 1) fail(`expected one root element, found ${roots.length}`);
  return roots[0]!;
}

const PARSER = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  processEntities: false,
  commentPropName: "#comment",
  cdataPropName: "#cdata",
  trimValues: true,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type RawNode = Record<string, unknown>;

function toNode(raw: RawNode): XmlNode | undefined {
  const name = Object.keys(raw).find((key) => key !== ":@");
  if (name === undefined) return undefined;
  const value = raw[name];
  if (name === "#text") return { kind: "text", raw: String(value) };
  const inner = Array.isArray(value) ? (value as RawNode[]) : [];
  const innerText = inner.map((node) => String(node["#text"] ?? "")).join("");
  if (name === "#comment") return { kind: "comment", text: innerText };
  if (name === "#cdata") return { kind: "cdata", text: innerText };
  const attributes = Object.entries((raw[":@"] as Record<string, unknown> | undefined) ?? {}).map(
    ([key, attr]): [string, string] => [key, String(attr)],
  );
  const children = inner.map(toNode).filter((node): node is XmlNode => node !== undefined);
  return { kind: "element", name, attributes, children };
}

// --- decoding -----------------------------------------------------------------------------

const ENCODING_ALIASES: Record<string, string> = {
  "utf-8": "utf-8",
  utf8: "utf-8",
  "us-ascii": "utf-8", // ASCII is a subset of UTF-8; the fatal decoder still rejects bad bytes
  ascii: "utf-8",
  "iso-8859-1": "latin1",
  "iso8859-1": "latin1",
  latin1: "latin1",
  "windows-1252": "windows-1252",
  cp1252: "windows-1252",
  "iso-8859-15": "iso-8859-15",
  "utf-16": "utf-16",
  "utf-16le": "utf-16le",
  "utf-16be": "utf-16be",
};

function hasUtf16Bom(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}

function decodeXmlBytes(bytes: Uint8Array, fail: (reason: string) => never): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return decodeWith("utf-8", bytes.subarray(3), fail);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decodeWith("utf-16le", bytes.subarray(2), fail);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decodeWith("utf-16be", bytes.subarray(2), fail);
  // The declaration is ASCII in every encoding we accept without a BOM.
  const head = Buffer.from(bytes.subarray(0, 200)).toString("latin1");
  const declared = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
  if (declared === undefined) return decodeWith("utf-8", bytes, fail);
  const label = ENCODING_ALIASES[declared.toLowerCase()];
  if (label === undefined) fail(`unsupported encoding "${declared}"`);
  if (label!.startsWith("utf-16")) fail(`declares ${declared} but has no byte-order mark`);
  return decodeWith(label!, bytes, fail);
}

function decodeWith(label: string, bytes: Uint8Array, fail: (reason: string) => never): string {
  try {
    return new TextDecoder(label, { fatal: true }).decode(bytes);
  } catch {
    return fail(`bytes are not valid ${label.toUpperCase()}`);
  }
}

function normaliseLineEndings(text: string): string {
  // XML 1.0 §2.11: CRLF and lone CR both become LF before parsing.
  return text.replace(/\r\n?/g, "\n");
}

// --- reading values -----------------------------------------------------------------------

/** Child elements of `element` with the given name. */
export function childElements(element: XmlElement, name?: string): XmlElement[] {
  return element.children.filter(
    (child): child is XmlElement => child.kind === "element" && (name === undefined || child.name === name),
  );
}

/** The decoded, trimmed text content of an element ("" when empty). */
export function textOf(element: XmlElement): string {
  return element.children
    .map((child) => (child.kind === "text" ? decodeEntities(child.raw) : child.kind === "cdata" ? child.text : ""))
    .join("")
    .trim();
}

export function attributeOf(element: XmlElement, name: string): string | undefined {
  const found = element.attributes.find(([key]) => key === name);
  return found === undefined ? undefined : decodeEntities(found[1]);
}

const PREDEFINED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function decodeEntities(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith("#x")) return safeCodePoint(parseInt(ref.slice(2), 16), whole);
    if (ref.startsWith("#")) return safeCodePoint(parseInt(ref.slice(1), 10), whole);
    return PREDEFINED[ref] ?? whole;
  });
}

function safeCodePoint(code: number, fallback: string): string {
  return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : fallback;
}

export function escapeXmlText(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function escapeXmlAttribute(value: string): string {
  return escapeXmlText(value).replace(/"/g, "&quot;");
}

// --- writing ------------------------------------------------------------------------------

/** Builds an element holding one text value (escaped here). */
export function textElement(name: string, value: string): XmlElement {
  return { kind: "element", name, attributes: [], children: [{ kind: "text", raw: escapeXmlText(value) }] };
}

export function element(name: string, children: XmlNode[], attributes: Array<[string, string]> = []): XmlElement {
  return { kind: "element", name, attributes, children };
}

/**
 * Serialises a document the way Maven's MetadataXpp3Writer lays it out: UTF-8 declaration,
 * LF line ends, two-space indent, a text-only element on one line, a trailing newline.
 */
export function serializeXml(root: XmlElement): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  writeElement(root, 0, lines);
  return lines.join("\n") + "\n";
}

function writeElement(node: XmlElement, depth: number, lines: string[]): void {
  const indent = "  ".repeat(depth);
  // Attribute values are kept raw (already escaped) so that they round-trip exactly.
  const attributes = node.attributes.map(([key, value]) => ` ${key}="${value.replace(/"/g, "&quot;")}"`).join("");
  const hasStructure = node.children.some((child) => child.kind === "element" || child.kind === "comment");
  if (!hasStructure) {
    const content = node.children.map(inlineContent).join("");
    lines.push(content === "" ? `${indent}<${node.name}${attributes}/>` : `${indent}<${node.name}${attributes}>${content}</${node.name}>`);
    return;
  }
  lines.push(`${indent}<${node.name}${attributes}>`);
  for (const child of node.children) {
    if (child.kind === "element") writeElement(child, depth + 1, lines);
    else if (child.kind === "comment") lines.push(`${indent}  <!--${child.text}-->`);
    else lines.push(`${indent}  ${inlineContent(child)}`);
  }
  lines.push(`${indent}</${node.name}>`);
}

function inlineContent(node: XmlNode): string {
  if (node.kind === "text") return node.raw;
  if (node.kind === "cdata") return `<![CDATA[${node.text}]]>`;
  return "";
}
