// biome-ignore-all lint/suspicious/noControlCharactersInRegex: removing control characters is the point

/**
 * Escape sequences a terminal acts on: OSC, DCS, SOS, PM and APC strings (to BEL or ST, or the
 * end of the text when never ended), CSI sequences, and two-character escapes, in their 7-bit
 * (ESC ...) and 8-bit (C1) forms.
 */
const SEQUENCES =
  /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[\s\S]*?(?:\x07|\x1b\\|\x9c|$)|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|\x1b[ -/]*[0-~]?/g;
/** Other C0 and C1 controls and DEL (a lone \r rewrites the line, \b erases); tab and newline stay. */
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/** Bidirectional overrides and isolates: they reorder what the reader sees (Trojan Source). */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text as a terminal prints it, never as commands: escape sequences, control characters and
 * bidirectional overrides removed; line and paragraph separators become newlines. Idempotent.
 */
export function inertTerminal(text: string): string {
  return text
    .replace(/\r\n/g, "\n")
    .replace(SEQUENCES, "")
    .replace(CONTROLS, "")
    .replace(BIDI, "")
    .replace(/[\u2028\u2029]/g, "\n");
}
