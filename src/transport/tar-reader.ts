// Reads the regular files out of a tar stream (GNU tar's default format, ustar and pax), for
// reading many small files of a server in one command. Only what the caller asked for is kept,
// and nothing in the stream is trusted: a size or a name that does not fit ends the reading.

const BLOCK = 512;

export function readTarFiles(tar: Buffer, wanted: ReadonlySet<string>, maxBytes: number): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break; // the end-of-archive blocks
    const size = octal(header.subarray(124, 136));
    if (size === undefined || offset + BLOCK + size > tar.length) break;
    const type = String.fromCharCode(header[156]!);
    const data = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "L") {
      longName = cString(data);
      continue;
    }
    if (type === "x") {
      longName = paxPath(data) ?? longName;
      continue;
    }
    const prefix = cString(header.subarray(345, 500));
    const name = normalize(longName ?? (prefix === "" ? cString(header.subarray(0, 100)) : `${prefix}/${cString(header.subarray(0, 100))}`));
    longName = undefined;
    if ((type === "0" || type === "\0") && wanted.has(name) && size <= maxBytes) files.set(name, Buffer.from(data));
  }
  return files;
}

function octal(field: Buffer): number | undefined {
  const text = cString(field).trim();
  if (!/^[0-7]+$/.test(text)) return undefined;
  return parseInt(text, 8);
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString("utf8");
}

/** The `path` record of a pax extended header ("LEN path=VALUE\n" records). */
function paxPath(data: Buffer): string | undefined {
  let offset = 0;
  let path: string | undefined;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const length = space < 0 ? NaN : Number(data.subarray(offset, space).toString("latin1"));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, offset + length - 1).toString("utf8");
    if (record.startsWith("path=")) path = record.slice(5);
    offset += length;
  }
  return path;
}

/** tar's names for "./a/b" are "./a/b" or "a/b": the repository path either way. */
function normalize(name: string): string {
  return name.replace(/^(\.\/)+/, "");
}
