/** A fence line: up to three spaces, then three or more backticks or tildes. */
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Markdown split into blocks: a fenced code block (a Mermaid chart, a log) whole, blank lines
 * inside included, or a run of non-blank lines (a paragraph, a table, a quote). A fence left
 * open is closed at the end, as CommonMark reads it.
 */
export function markdownBlocks(markdown: string): string[][] {
  const blocks: string[][] = [];
  let current: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    if (current.length > 0) blocks.push(current);
    current = [];
  };
  for (const line of markdown.split("\n")) {
    if (fence !== null) {
      current.push(line);
      const close = FENCE.exec(line)?.[1] ?? "";
      if (close[0] === fence[0] && close.length >= fence.length && line.trim() === close) {
        fence = null;
        flush();
      }
      continue;
    }
    const open = FENCE.exec(line);
    if (open) {
      flush();
      fence = open[1]!;
      current.push(line);
    } else if (line.trim() === "") flush();
    else current.push(line);
  }
  if (fence !== null) current.push(fence);
  flush();
  return blocks;
}

/**
 * At most `maxLines` lines of `markdown`, cut between blocks, never inside a code block, a table
 * or a paragraph; a block that alone is too long is left out with everything after it. What was
 * left out is said in a last line.
 */
export function cutMarkdown(
  markdown: string,
  maxLines: number,
  rest = "_The rest is in the PR._",
): string {
  return cutBlocks(markdown, (b) => b.length, maxLines, rest);
}

/** cutMarkdown by characters: at most `maxChars` of `markdown`, cut between blocks. */
export function cutMarkdownChars(markdown: string, maxChars: number, rest: string): string {
  return cutBlocks(markdown, (b) => b.join("\n").length, maxChars, rest);
}

/**
 * cutMarkdown by UTF-8 bytes (GitHub's job summary limit is 1 MiB): the dashboard as a job summary
 * is cut between blocks, so the Mermaid chart and the tables stay whole.
 */
export function cutMarkdownBytes(markdown: string, maxBytes: number, rest: string): string {
  return cutBlocks(markdown, (b) => Buffer.byteLength(b.join("\n")), maxBytes, rest);
}

/** Whole blocks while their size (`size`, plus one per blank line between) stays within `max`. */
function cutBlocks(
  markdown: string,
  size: (block: readonly string[]) => number,
  max: number,
  rest: string,
): string {
  const blocks = markdownBlocks(markdown);
  const whole = blocks.reduce((n, b, i) => n + size(b) + (i > 0 ? 1 : 0), 0);
  // When something is left out, the note and the blank line before it count too.
  const budget = whole <= max ? max : max - size([rest]) - 1;
  const out: string[] = [];
  let used = 0;
  for (const block of blocks) {
    const cost = size(block) + (out.length > 0 ? 1 : 0);
    if (used + cost > budget) {
      out.push(rest);
      break;
    }
    out.push(block.join("\n"));
    used += cost;
  }
  return out.join("\n\n");
}
