/** The head of a text that fits in `max` characters, saying how much was cut. */
export function cutHead(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 40))}\n[... ${text.length - max + 40} characters cut]`;
}

/** The end of a text that fits in `max` characters, saying how much was cut. */
export function cutTail(text: string, max: number): string {
  if (text.length <= max) return text;
  return `[... ${text.length - max + 40} earlier characters cut]\n${text.slice(text.length - Math.max(0, max - 40))}`;
}
