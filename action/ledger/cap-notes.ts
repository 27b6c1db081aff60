/** notes.md is bounded: past this size the oldest notes go (the newest matter most). */
export const NOTES_MAX = 16_000;

/** notes.md cut to NOTES_MAX characters at a line start, oldest first, saying so. */
export function capNotes(text: string): string {
  if (text.length <= NOTES_MAX) return text;
  const cut = text.slice(text.length - NOTES_MAX);
  return `(older notes dropped to keep this file under ${NOTES_MAX} characters)\n${cut.slice(cut.indexOf("\n") + 1)}`;
}
