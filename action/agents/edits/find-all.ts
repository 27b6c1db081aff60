/** Every index where `needle` starts in `hay`, lines compared with `eq`. */
export function findAll(
  hay: readonly string[],
  needle: readonly string[],
  eq: (a: string, b: string) => boolean,
): number[] {
  const found: number[] = [];
  if (needle.length === 0) return found;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (!eq(hay[i + k]!, needle[k]!)) continue outer;
    found.push(i);
  }
  return found;
}
