import { describe, expect, it } from "vitest";
import { SCREENED_OUT_RUN, screenedOutInARow } from "../../action/decide/stuck-bar.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { row as resultRow } from "../helpers/strategy-rows.ts";

let next = 1;
/** A row whose first run was on `worker`: screened out, through its first pair, or fresh pairs. */
function row(worker: number, how: "out" | "pair" | "fresh"): ResultEntry {
  const runs = how === "out" ? 1 : 2;
  return resultRow(next++, "discard", 1, 0, {
    samples: { loss: Array.from({ length: runs }, () => 1) },
    runs_on: Array.from({ length: runs }, () => ({ worker, device: null })),
    ...(how === "fresh"
      ? {}
      : { screen: { at: 0.5, z: -1, against: 3, ...(how === "pair" ? { incumbent_z: 0 } : {}) } }),
  });
}

describe("a stratum's candidates screened out in a row", () => {
  it("counts back on the stratum alone, to the first candidate that met an incumbent run there", () => {
    const rows = [
      row(0, "out"),
      row(1, "pair"),
      row(1, "out"),
      row(0, "out"),
      row(1, "out"),
      row(0, "out"),
    ];
    expect(screenedOutInARow(rows, "worker", "worker 1")).toBe(2);
    expect(screenedOutInARow(rows, "worker", "worker 0")).toBe(3);
    expect(screenedOutInARow(rows, "worker", "worker 2")).toBe(0);
    // A first pair there, or pairs from the first run, end the count.
    expect(screenedOutInARow([...rows, row(0, "pair")], "worker", "worker 0")).toBe(0);
    expect(screenedOutInARow([...rows, row(0, "fresh"), row(0, "out")], "worker", "worker 0")).toBe(
      1,
    );
  });

  it("reads strata as the comparison does: by device kind, workers of one kind together", () => {
    const onDevice = (worker: number, device: string) => ({
      ...row(worker, "out"),
      runs_on: [{ worker, device }],
    });
    const rows = [
      onDevice(0, "NVIDIA H100 #0"),
      onDevice(1, "NVIDIA H100 #1"),
      onDevice(2, "NVIDIA A10 #2"),
    ];
    expect(screenedOutInARow(rows, "device", "NVIDIA H100")).toBe(2);
    expect(screenedOutInARow(rows, "device", "NVIDIA A10")).toBe(1);
    expect(screenedOutInARow(rows, "worker", "worker 1")).toBe(1);
  });

  it("stops at the baseline row", () => {
    const baseline = { ...row(0, "out"), status: "baseline" as const };
    expect(screenedOutInARow([row(0, "out"), baseline, row(0, "out")], "worker", "worker 0")).toBe(
      1,
    );
    expect(SCREENED_OUT_RUN).toBeGreaterThan(1);
  });
});
