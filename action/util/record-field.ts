// biome-ignore-all lint/suspicious/noControlCharactersInRegex: replacing control characters is the point

/**
 * Every character a line-oriented reader may end a line on (Python's `str.splitlines()` splits on
 * \n \r \v \f \x1c-\x1e NEL U+2028 U+2029), the tab a TSV splits cells on, and every other C0 or
 * C1 control (NUL included).
 */
const BREAKS = /[\x00-\x1f\x7f-\x9f\u2028\u2029]+/g;

/** A results.tsv cell: one line, no tab, no control character (each run becomes one space). */
export function recordField(text: string): string {
  return text.replace(BREAKS, " ").replace(/ {2,}/g, " ").trim();
}

/**
 * One JSON line for `value` (log.jsonl, `--json` output). JSON.stringify escapes C0 controls but
 * leaves DEL, the C1 controls (NEL U+0085 among them, where `str.splitlines()` splits a record;
 * U+009B, which some terminals read as CSI) and U+2028/2029 raw: they are written as \u escapes,
 * which every JSON reader reads back as the same string.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\x7f-\x9f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
