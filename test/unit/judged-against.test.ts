// Which incumbent each row was judged against, and the screen's bar read only with the candidates
// judged against its own incumbent (engine/paired-screen.ts, readBar): on several workers, rows
// recorded after a later keep were judged against that keep, not against the incumbent a stale
// candidate is screened against.
import { describe, expect, it } from "vitest";
import type { EngineContext } from "../../action/engine/experiment.ts";
import { type IncumbentRuns, readBar } from "../../action/engine/paired-screen.ts";
import { judgedAgainst, type ResultEntry } from "../../action/ledger/types.ts";
import { row } from "../helpers/strategy-rows.ts";

describe("judgedAgainst", () => {
  it("follows the record's incumbent, and a row's own `against` where it has one", () => {
    const rows = [
      row(0, "baseline", 10, null),
      row(1, "discard", 9, -1),
      row(2, "keep", 12, 2),
      row(3, "discard", 9, -1, { against: 0 }),
      row(4, "crash", null, null),
      row(5, "keep", 13, 1, { against: 2 }),
      row(6, "discard", 12, -1),
    ];
    expect(judgedAgainst(rows)).toEqual([null, 0, 0, 0, 2, 2, 5]);
  });
});

describe("the bar read with the candidates screened against it", () => {
  // #0's runs average 10 (sd 1). #1-#12 do nothing, each screened on one run against #0 (the
  // night's first runs: the prior says changes do nothing); #13 is kept 3 better. Then #14-#18 are
  // judged against #13 (they read about 13), and #19 and #20 are stale: made for #0, judged
  // against it (`against: 0`), reading about 10.5. Those after #13 carry no screen record, so that
  // leaving them out leaves the night's first runs, and the prior fitted on them, as they are.
  const noOps = [0.3, -0.4, 0.1, -0.2, 0.5, -0.6, 0.2, 0, -0.1, 0.4, -0.3, 0.2];
  const screen = (z: number) => ({ at: 1, z, against: 3 });
  const rows: ResultEntry[] = [
    row(0, "baseline", 10, null, { samples: { score: [9, 10, 11] } }),
    ...noOps.map((x, i) =>
      row(i + 1, "discard", 10 + x, x, { samples: { score: [10 + x] }, screen: screen(x) }),
    ),
    row(13, "keep", 13, 3, { samples: { score: [13, 13.2, 12.8] } }),
    ...[0.1, -0.2, 0.3, 0, -0.1].map((x, i) =>
      row(i + 14, "discard", 13 + x, x, { samples: { score: [13 + x] } }),
    ),
    ...[0.6, 0.4].map((x, i) =>
      row(i + 19, "discard", 10 + x, x, { samples: { score: [10 + x] }, against: 0 }),
    ),
  ];
  const where: IncumbentRuns = {
    within: "any",
    stratum: "all",
    runs: { all: { score: [9, 10, 11] } },
  };
  const barFor = (results: ResultEntry[], remeasures: unknown[] = []) => {
    const ctx = {
      store: { log: { results, remeasures } },
      metric: "score",
      goal: "maximize",
    } as unknown as EngineContext;
    return readBar(ctx, 0, where, { score: [9, 10, 11] }, 0, 1).score!;
  };

  it("is read with the stale candidates judged against its incumbent, not with those judged against a later keep", () => {
    const bar = barFor(rows);
    // Read with the no-ops beside it, it stands near 10, for more than its own 3 runs.
    expect(bar.length).toBeGreaterThan(3);
    expect(Math.abs(bar[0]! - 10)).toBeLessThan(0.3);
    // #14-#18, judged against #13 (3 better), do not move it: read as #0's candidates, they pulled
    // its bar up by 0.37 run sd (10.44 against 10.06 at 19e91bf).
    expect(bar).toEqual(barFor(rows.filter((r) => r.iteration < 14 || r.iteration > 18)));
    // #19 and #20, judged against #0 after #13's keep, do: they read 0.4 and 0.6 over it.
    expect(barFor(rows.filter((r) => r.iteration < 19))[0]!).toBeLessThan(bar[0]! - 0.01);
  });

  it("is not read with the candidates measured before a drift reset of its incumbent", () => {
    // The machine slowed by 3 after #12: a drift reset re-based #0 on runs reading 13, and #13 to
    // #16, measured since, do nothing there.
    const before = rows.filter((r) => r.iteration <= 12);
    const slower = [0.2, -0.3, 0.1, -0.1].map((x, i) =>
      row(i + 13, "discard", 13 + x, x, { samples: { score: [13 + x] } }),
    );
    const reset = { type: "remeasure", iteration: 0, after: 12, reason: "drift", reset: true };
    const rebased: IncumbentRuns = { ...where, runs: { all: { score: [12, 13, 14] } } };
    const read = (remeasures: unknown[]) => {
      const ctx = {
        store: { log: { results: [...before, ...slower], remeasures } },
        metric: "score",
        goal: "maximize",
      } as unknown as EngineContext;
      return readBar(ctx, 0, rebased, { score: [12, 13, 14] }, 0, 1).score!;
    };
    // Read with #13-#16 alone it stands near 13; read with #1-#12 too (reading 10: gains of -3,
    // which the night's no-ops say are unlikely) it stood lower.
    const bar = read([reset]);
    expect(Math.abs(bar[0]! - 13)).toBeLessThan(0.3);
    expect(read([])[0]!).toBeLessThan(bar[0]! - 0.3);
  });
});
