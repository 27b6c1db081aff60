import { describe, expect, it } from "vitest";
import { baseRanges, groupChanges, type Hunk } from "../../action/decide/split-groups.ts";

const h = (
  file: string,
  oldStart: number,
  oldLines: number,
  newStart: number,
  newLines: number,
): Hunk => ({
  file,
  oldStart,
  oldLines,
  newStart,
  newLines,
});

describe("groupChanges", () => {
  it("changes to different files or far-apart lines are separate groups", () => {
    expect(
      groupChanges([[h("a.py", 10, 1, 10, 1)], [h("b.py", 3, 1, 3, 1)], [h("a.py", 40, 1, 40, 1)]]),
    ).toEqual([[0], [1], [2]]);
  });

  it("changes to the same or neighbouring lines stay together, transitively", () => {
    expect(
      groupChanges([
        [h("a.py", 10, 1, 10, 1)],
        [h("b.py", 3, 1, 3, 1)],
        [h("a.py", 10, 1, 10, 1)],
        [h("a.py", 12, 1, 12, 1)],
        [h("c.py", 1, 1, 1, 1)],
      ]),
    ).toEqual([[0, 2, 3], [1], [4]]);
    // Within NEAR_LINES (3): one region; beyond it: independent.
    expect(groupChanges([[h("a.py", 10, 1, 10, 1)], [h("a.py", 13, 1, 13, 1)]])).toEqual([[0, 1]]);
    expect(groupChanges([[h("a.py", 10, 1, 10, 1)], [h("a.py", 14, 1, 14, 1)]])).toEqual([
      [0],
      [1],
    ]);
  });

  it("maps later changes into the base's numbering: lines an earlier change inserted shift what follows", () => {
    // Change 0 inserts 20 lines after line 5; change 1 edits line 50 of its parent = line 30 of the base.
    const changes = [[h("a.py", 5, 0, 6, 20)], [h("a.py", 50, 1, 50, 1)]];
    expect(baseRanges(changes)[1]!.get("a.py")).toEqual([[30, 30]]);
    expect(groupChanges(changes)).toEqual([[0], [1]]);
    // Editing a line the earlier change wrote depends on it: one group.
    expect(groupChanges([[h("a.py", 5, 0, 6, 20)], [h("a.py", 15, 1, 15, 1)]])).toEqual([[0, 1]]);
    // Removed lines shift back the other way.
    expect(
      baseRanges([[h("a.py", 5, 10, 4, 0)], [h("a.py", 30, 1, 30, 1)]])[1]!.get("a.py"),
    ).toEqual([[40, 40]]);
  });

  it("a binary (whole-file) change groups with every change of that file", () => {
    const whole: Hunk = { ...h("w.bin", 0, 0, 0, 0), whole: true };
    expect(groupChanges([[whole], [h("w.bin", 100, 1, 100, 1)], [h("x", 1, 1, 1, 1)]])).toEqual([
      [0, 1],
      [2],
    ]);
  });
});
