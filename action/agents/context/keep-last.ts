/** The newest lines that fit in `max` characters, and a count of the older ones left out. */
export function keepLast(lines: readonly string[], max: number): string {
  const out: string[] = [];
  let size = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (size + lines[i]!.length + 1 > max - 50 && out.length > 0) {
      out.unshift(`[... ${i + 1} older line(s) not shown]`);
      break;
    }
    out.unshift(lines[i]!);
    size += lines[i]!.length + 1;
  }
  return out.join("\n");
}
