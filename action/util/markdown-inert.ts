// biome-ignore-all lint/suspicious/noControlCharactersInRegex: removing control characters is the point

/**
 * Text that others wrote (an agent's description and notes, an eval's output, a file name) as
 * it lands on GitHub: shown exactly, never acted on. GitHub turns `@name` into a mention (a
 * notification), `#12` and `owner/repo#12` into references (with a closing keyword, `Fixes #12`
 * closes the issue on merge), URLs into links, and renders HTML (`<img onerror>`) and comments
 * (`<!-- autoexp:live -->`, which autoexp's own markers look like). A zero-width joiner (U+200D)
 * after `@`, `#` and the scheme's colon breaks each pattern without changing what a reader sees.
 */
const ZWJ = "\u200d";

const CONTROLS = /[\x00-\x1f\x7f-\x9f\u2028\u2029]+/g;
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;
/**
 * What GitHub could read as markup: escaped with a backslash (`\*` shows `*`), brackets then as
 * entities. Without `[` and `]` no link or image can start, so `(`, `)` and `!` stay as they are.
 */
const MARKUP = /[\\`*_|~$]/g;

/** Mentions, references and autolinks broken by a zero-width joiner; HTML left to the caller. */
function breakReferences(text: string): string {
  return (
    text
      // @user, @org/team, and the @ of an e-mail address (GFM links those too)
      .replace(/@(?=[\p{L}\p{N}_-])/gu, `@${ZWJ}`)
      // #12, owner/repo#12, GH-12: references, and closing keywords with them
      .replace(/#(?=\d)/g, `#${ZWJ}`)
      .replace(/\bGH-(?=\d)/gi, (m) => `${m}${ZWJ}`)
      // scheme://... and www. are linked even without brackets
      .replace(/:(?=\/\/)/g, `:${ZWJ}`)
      .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWJ}.`)
  );
}

/**
 * One line of Markdown that shows `text` as written: controls and line breaks become spaces,
 * HTML is escaped to entities, markup punctuation backslash-escaped, and mentions, references,
 * closing keywords and links broken. Safe in a paragraph, a list item and a table cell.
 */
export function inertMarkdown(text: string, max = 300): string {
  const one = text.replace(CONTROLS, " ").replace(BIDI, "").replace(/\s+/g, " ").trim();
  const cut = one.length > max ? `${one.slice(0, max - 1)}…` : one;
  return (
    breakReferences(cut)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(MARKUP, (c) => `\\${c}`)
      // Brackets as entities: inside a link's text (a run's title) some renderers undo \[.
      .replace(/\[/g, "&#91;")
      .replace(/\]/g, "&#93;")
  );
}

/** `text` in a fenced code block whose fence no line of it can close; controls removed. */
export function fencedBlock(text: string, info = ""): string {
  const clean = text.replace(/\r\n?/g, "\n").replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "");
  const longest = Math.max(2, ...[...clean.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${info}\n${clean.replace(/\n+$/, "")}\n${fence}`;
}

/**
 * A commit message autoexp writes around an agent's description. GitHub renders commit messages
 * as text but links mentions, references and URLs in them, and a closing keyword in a commit
 * that reaches the default branch closes the issue. autoexp's own `#12` (an experiment number)
 * is kept; a reference after a closing keyword, mentions, URLs and comment markers are broken,
 * and control characters removed (newlines kept: the body follows a blank line).
 */
export function inertCommitMessage(message: string): string {
  return message
    .replace(/\r\n?/g, "\n")
    .replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]/g, " ")
    .replace(BIDI, "")
    .replace(/@(?=[\p{L}\p{N}_-])/gu, `@${ZWJ}`)
    .replace(
      /\b(close[sd]?|fix(?:e[sd])?|resolve[sd]?)(\s*:?\s*)([\w.-]+\/[\w.-]+)?#(?=\d)/gi,
      `$1$2$3#${ZWJ}`,
    )
    .replace(/\bGH-(?=\d)/gi, (m) => `${m}${ZWJ}`)
    .replace(/:(?=\/\/)/g, `:${ZWJ}`)
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWJ}.`)
    .replace(/<!--/g, `<${ZWJ}!--`);
}

/**
 * `text` as an inline code span (a file name, a branch): shown as written, nothing inside is
 * markup. A backtick would end the span and a pipe a table cell: they become ' and ¦.
 */
export function inertCode(text: string, max = 200): string {
  const one = text.replace(CONTROLS, " ").replace(BIDI, "").replace(/\s+/g, " ").trim();
  const cut = one.length > max ? `${one.slice(0, max - 1)}…` : one;
  return `\`${cut.replace(/`/g, "'").replace(/\|/g, "¦") || " "}\``;
}
