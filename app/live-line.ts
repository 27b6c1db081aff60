/**
 * The live line: a running batch's figures (from its commit status autoexp/<tag>) as a block in
 * the tag's PR body and the request's answer, replaced in place as the batch goes on. The block
 * carries the status's time, so an older status delivered late never overwrites a newer one.
 */

/** What the block's marker says after `autoexp:live`: nothing for one batch, the line of a matrix. */
const lineKey = (line: number | undefined) => (line === undefined ? "" : ` line=${line}`);
/** The block of one batch, or of line `line` of a matrix (each line has its own block). */
const blockOf = (line: number | undefined) => block(lineKey(line), "");
const ANY_BLOCK = block("(?: line=\\d+)?", "g");
function block(key: string, flags: string): RegExp {
  return new RegExp(`<!-- autoexp:live${key} at=(\\S+) -->\\n(?:> .*\\n?)*\\n?`, flags);
}

export interface LiveStatus {
  state: string;
  /** The status's description, written by the run: shown as text only. */
  description: string;
  runUrl: string;
  /** ISO time of the status. */
  at: string;
  /** Line i of a matrix (its status context `autoexp/<tag>/line-<i>`); absent for one batch. */
  line?: number;
}

/** Keeps what a run wrote as plain text: no markup, no mentions, no links, one line. */
function plain(text: string): string {
  return text
    .replace(/[^\p{L}\p{N} .,:;·%()+\-−±/=_#…]/gu, " ")
    .replace(/:\/\//g, ": //")
    .replace(/www\./gi, "www ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 140);
}

/** The block for one status. */
export function renderLive(s: LiveStatus): string {
  const time = `${s.at.slice(11, 16)} UTC`;
  const which = s.line === undefined ? "" : `, line ${s.line}`;
  const head =
    s.state === "pending"
      ? `> **Live${which}**, from [the running batch](${s.runUrl}) at ${time}, not yet published:`
      : `> **The batch ${s.state === "success" ? "ended" : "stopped"}${which}** ([the run](${s.runUrl}), ${time}); its record is published next:`;
  return `<!-- autoexp:live${lineKey(s.line)} at=${s.at} -->\n${head}\n> ${plain(s.description)}\n`;
}

/**
 * `text` with the block for `s` in place of the one it holds, or inserted after `afterLine` (a
 * line of `text`; the end when absent). null when nothing would change, or when `text` already
 * holds a newer status.
 */
export function spliceLive(text: string, s: LiveStatus, afterLine?: string): string | null {
  const block = renderLive(s);
  const own = blockOf(s.line);
  const found = own.exec(text);
  if (found) {
    if (found[1]! > s.at) return null;
    const next = text.replace(own, found[0].endsWith("\n\n") ? `${block}\n` : block);
    return next === text ? null : next;
  }
  // Another line's block is there: this one goes after the last of them.
  const others = [...text.matchAll(ANY_BLOCK)];
  const after = others.at(-1);
  if (after) {
    const end = after.index + after[0].length;
    const glue = after[0].endsWith("\n\n") ? "" : "\n";
    return `${text.slice(0, end)}${glue}${block}\n${text.slice(end).replace(/^\n+/, "")}`;
  }
  const lines = text.split("\n");
  const at = afterLine === undefined ? -1 : lines.indexOf(afterLine);
  if (at < 0) return `${text.replace(/\n*$/, "")}\n\n${block}`;
  const rest = lines.slice(at + 1);
  if (rest[0] === "") rest.shift();
  return [...lines.slice(0, at + 1), "", block, ...rest].join("\n");
}
