import { describe, expect, it } from "vitest";
import {
  firstUnrecorded,
  recordedSince,
  rowsAfter,
  rowsSince,
  rowsThrough,
  unrecordedBelow,
} from "../../action/ledger/record-order.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";

// Several workers: #5 was kept before #3 and #4 were decided; #3 and #4 were recorded after it.
const rows = [0, 1, 2, 5, 3, 4, 6].map((iteration) => ({ iteration }) as ResultEntry);
const numbers = (r: readonly ResultEntry[]) => r.map((x) => x.iteration);

describe("the record's order, which is not always iteration order", () => {
  it("reads what came after and up to a row by its place, not its number", () => {
    expect(numbers(rowsAfter(rows, 5))).toEqual([3, 4, 6]);
    expect(numbers(rowsThrough(rows, 5))).toEqual([0, 1, 2, 5]);
    expect(numbers(rowsThrough(rows, 3))).toEqual([0, 1, 2, 5, 3]);
    expect(rowsSince(rows, 5)).toBe(3);
    expect(rowsSince(rows, 6)).toBe(0);
    // A number not on record: everything is after it, nothing up to it.
    expect(rowsSince(rows, 9)).toBe(rows.length);
    expect(rowsThrough(rows, 9)).toEqual([]);
  });

  it("says whether a row was recorded after a candidate began (the rows it saw then)", () => {
    // A candidate that began with 4 rows on record saw #0, #1, #2 and #5, not #3.
    expect(recordedSince(rows, 5, 4)).toBe(false);
    expect(recordedSince(rows, 3, 4)).toBe(true);
    expect(recordedSince(rows, 2, 4)).toBe(false);
  });

  it("finds the lowest number not on record: a gap left by experiments in flight when a batch stopped", () => {
    expect(firstUnrecorded(rows.slice(0, 4))).toBe(3);
    expect(firstUnrecorded(rows)).toBe(7);
    expect(firstUnrecorded([])).toBe(0);
    // Numbers begun in this batch are taken too.
    expect(firstUnrecorded(rows.slice(0, 4), new Set([3, 4]))).toBe(6);
  });

  it("lists the numbers below a bound not on record: the experiments still in flight", () => {
    expect(unrecordedBelow(rows.slice(0, 4), 7)).toEqual([3, 4, 6]);
    expect(unrecordedBelow(rows.slice(0, 4), 4)).toEqual([3]);
    expect(unrecordedBelow(rows, 7)).toEqual([]);
  });
});
