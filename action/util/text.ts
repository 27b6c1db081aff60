/** One line of at most `max` characters: whitespace runs become one space, "..." marks a cut. */
export function clip(text: string, max = 300): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 3)}...` : one;
}
