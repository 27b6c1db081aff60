/**
 * One hunk of a change, as `git diff -U0` prints it: `@@ -oldStart,oldLines +newStart,newLines @@`
 * in the numbering of the change's parent (old) and of the change itself (new). A file whose
 * lines cannot be told apart (binary) is one hunk covering everything: `whole`.
 */
export interface Hunk {
  file: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  whole?: boolean;
}

/** A closed range of lines [from, to] in the base's numbering; an insertion point is [p, p]. */
export type LineRange = [number, number];

/** Lines within this many of each other are one region: their changes stay together. */
export const NEAR_LINES = 3;

/** A hunk's old side as a range in its parent's numbering. */
function oldRange(h: Hunk): LineRange {
  if (h.whole) return [0, Number.POSITIVE_INFINITY];
  return h.oldLines === 0 ? [h.oldStart, h.oldStart] : [h.oldStart, h.oldStart + h.oldLines - 1];
}

/**
 * A line range of version k (after change k) taken back to version k-1 through change k's hunks
 * in that file: lines before or after a hunk shift by what the hunk added or removed, and lines
 * a hunk wrote map onto the lines it replaced (a later edit of them depends on that change).
 */
function back(range: LineRange, hunks: readonly Hunk[]): LineRange {
  const map = (line: number, end: "from" | "to"): number => {
    let shift = 0;
    for (const h of hunks) {
      if (h.whole) return end === "from" ? 0 : Number.POSITIVE_INFINITY;
      const newFrom = h.newLines === 0 ? h.newStart + 1 : h.newStart;
      const newTo = h.newStart + h.newLines - 1;
      if (line < newFrom) break;
      if (line <= newTo) {
        const [a, b] = oldRange(h);
        return end === "from" ? a : b;
      }
      shift += h.oldLines - h.newLines;
    }
    return line + shift;
  };
  return [map(range[0], "from"), map(range[1], "to")];
}

/**
 * Each change's hunks as ranges in the base's numbering, per file. `changes[k]` is the diff of
 * kept change k against the code just before it (the base plus changes 0..k-1). Pure.
 */
export function baseRanges(changes: readonly (readonly Hunk[])[]): Map<string, LineRange[]>[] {
  const byFile = (hunks: readonly Hunk[]) => {
    const m = new Map<string, Hunk[]>();
    for (const h of hunks) m.set(h.file, [...(m.get(h.file) ?? []), h]);
    for (const list of m.values()) list.sort((a, b) => a.newStart - b.newStart);
    return m;
  };
  const files = changes.map(byFile);
  return changes.map((hunks, k) => {
    const out = new Map<string, LineRange[]>();
    for (const h of hunks) {
      let range = oldRange(h);
      for (let j = k - 1; j >= 0; j--) {
        const earlier = files[j]!.get(h.file);
        if (earlier) range = back(range, earlier);
      }
      out.set(h.file, [...(out.get(h.file) ?? []), range]);
    }
    return out;
  });
}

function touches(a: Map<string, LineRange[]>, b: Map<string, LineRange[]>, near: number): boolean {
  for (const [file, ranges] of a) {
    const other = b.get(file);
    if (!other) continue;
    for (const [a0, a1] of ranges)
      for (const [b0, b1] of other) if (a0 <= b1 + near && b0 <= a1 + near) return true;
  }
  return false;
}

/**
 * Kept changes grouped into independent change sets: two changes whose hunks touch the same
 * lines of a file, or lines within `near` of each other (in the base's numbering), stay in one
 * group, and so, transitively, does everything that touches either. Groups are lists of change
 * indices in order, ordered by their first change. Pure.
 */
export function groupChanges(
  changes: readonly (readonly Hunk[])[],
  near: number = NEAR_LINES,
): number[][] {
  const ranges = baseRanges(changes);
  const parent = changes.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (let i = 0; i < changes.length; i++)
    for (let j = 0; j < i; j++)
      if (touches(ranges[i]!, ranges[j]!, near)) parent[find(i)] = find(j);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < changes.length; i++) {
    const root = find(i);
    groups.set(root, [...(groups.get(root) ?? []), i]);
  }
  return [...groups.values()].sort((a, b) => a[0]! - b[0]!);
}
