/** Not util/text.ts clip: a quoted line keeps its whitespace, which is what did not match. */
export function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
