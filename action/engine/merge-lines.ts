/**
 * A three-way merge line by line, for the common case where neither side added or removed
 * lines (tuned constants, edited expressions): each line takes the side that changed it. Unlike
 * diff3, changes on neighbouring lines merge. Null when both sides changed the same line
 * differently, or when line counts differ (the caller then falls back to `git merge-file`).
 */
export function mergeLines(base: string, ours: string, theirs: string): string | null {
  const b = base.split("\n");
  const o = ours.split("\n");
  const t = theirs.split("\n");
  if (b.length !== o.length || b.length !== t.length) return null;
  const merged: string[] = [];
  for (let i = 0; i < b.length; i++) {
    if (o[i] === b[i]) merged.push(t[i]!);
    else if (t[i] === b[i] || t[i] === o[i]) merged.push(o[i]!);
    else return null;
  }
  return merged.join("\n");
}
