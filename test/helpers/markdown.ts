// Reading the project's Markdown as the docs test needs it: fenced code blocks (with their info
// string and line), headings as GitHub anchors them, relative links, and every `maven-promote`
// command line written in a block.

export interface CodeBlock {
  file: string;
  /** The line of the opening fence, 1-based. */
  line: number;
  /** The info string: "sh runnable exit=3" gives language "sh" and words ["runnable", "exit=3"]. */
  language: string;
  words: string[];
  text: string;
}

export function codeBlocks(file: string, markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split("\n");
  let open: { line: number; fence: string; info: string; body: string[] } | undefined;
  lines.forEach((line, index) => {
    const fence = /^(\s*)(```+)(.*)$/.exec(line);
    if (open === undefined) {
      if (fence !== null) open = { line: index + 1, fence: fence[2]!, info: fence[3]!.trim(), body: [] };
    } else if (fence !== null && fence[2] === open.fence && fence[3]!.trim() === "") {
      const [language = "", ...words] = open.info.split(/\s+/).filter((word) => word !== "");
      blocks.push({ file, line: open.line, language, words, text: open.body.join("\n") });
      open = undefined;
    } else open.body.push(line);
  });
  return blocks;
}

/** Markdown outside code blocks, code lines blanked (so line numbers stay). */
export function prose(markdown: string): string {
  let inside = false;
  return markdown
    .split("\n")
    .map((line) => {
      if (/^\s*```/.test(line)) {
        inside = !inside;
        return "";
      }
      return inside ? "" : line;
    })
    .join("\n");
}

/** GitHub's anchors for the headings of a page (a repeated heading gets -1, -2…). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose(markdown).split("\n")) {
    const heading = /^#{1,6} (.*)$/.exec(line);
    if (heading === null) continue;
    const base = heading[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, "").replace(/ /g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

export interface Link {
  line: number;
  target: string;
}

/** Links that are not URLs: `[text](other.md#anchor)`, `[text](#anchor)`, `![alt](chart.svg)`. */
export function relativeLinks(markdown: string): Link[] {
  const links: Link[] = [];
  prose(markdown)
    .split("\n")
    .forEach((line, index) => {
      for (const match of line.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!;
        if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push({ line: index + 1, target });
      }
    });
  return links;
}

export interface CommandLine {
  line: number;
  command: string;
  /** The long options written, e.g. ["--from", "--to", "--json"]. */
  options: string[];
  text: string;
}

/**
 * Every `maven-promote COMMAND …` written in a block, whatever the block's language (a shell
 * line, a `$ ` transcript, a YAML `run:` or `args`, a Groovy `sh '…'`), with the options of its
 * continuation lines (a trailing backslash, or lines indented as far or further that start
 * with `--`, as in a YAML folded scalar).
 */
export function commandLines(block: CodeBlock): CommandLine[] {
  const lines = block.text.split("\n");
  const found: CommandLine[] = [];
  for (let index = 0; index < lines.length; index++) {
    // At a command's place: a line's start (after `$ `, `- `, `run: `…), or after a quote, `(`,
    // `|`, `&&` or `;`; not a word in a sentence ("stale maven-promote leftovers").
    const match = /(?:^\s*(?:\$\s+|-\s+|[a-z_]+:\s+)?(?:[A-Z_]+=\S*\s+)*|[;&|('"`]\s*)maven-promote\s+(--?[a-z-]+|[a-z-]+)(.*)$/.exec(lines[index]!);
    if (match === null || lines[index]!.includes("npm install")) continue;
    const start = index;
    let text = match[2]!;
    let last = lines[index]!;
    const indent = /^\s*/.exec(last)![0].length;
    while (index + 1 < lines.length) {
      const next = lines[index + 1]!;
      const continued = /\\\s*$/.test(last) || (/^\s*--/.test(next) && /^\s*/.exec(next)![0].length >= indent);
      if (!continued) break;
      text += " " + next;
      last = next;
      index++;
    }
    // Options are the words that start with "--" (a synopsis's [--json] and --a|--b included);
    // "--" inside quotes belongs to another command (a hook's).
    const unquoted = text.replace(/'[^']*'|"[^"]*"/g, " ");
    const options = [...unquoted.matchAll(/(?:^|[\s[|])(--[a-z][a-z0-9-]*)/g)].map((option) => option[1]!);
    found.push({ line: block.line + 1 + start, command: match[1]!, options, text: `maven-promote ${match[1]}${text}` });
  }
  return found;
}
