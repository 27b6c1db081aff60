import { describe, expect, it } from "vitest";
import { mergeLines } from "../../action/engine/merge-lines.ts";

describe("re-applying a change onto a moved incumbent, line by line", () => {
  it("merges changes on neighbouring lines, which diff3 would call a conflict", () => {
    expect(mergeLines("a = 1\nb = 2\n", "a = 1\nb = 3\n", "a = 5\nb = 2\n")).toBe("a = 5\nb = 3\n");
  });

  it("takes a change both sides made once", () => {
    expect(mergeLines("a = 1\n", "a = 2\n", "a = 2\n")).toBe("a = 2\n");
  });

  it("refuses one line changed two ways, and a change that adds or removes lines", () => {
    expect(mergeLines("a = 1\n", "a = 2\n", "a = 3\n")).toBeNull();
    expect(mergeLines("a = 1\n", "a = 1\nb = 2\n", "a = 3\n")).toBeNull();
  });
});
