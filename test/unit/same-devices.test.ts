import { describe, expect, it } from "vitest";
import { formatLines, parseLog } from "../../action/ledger/log-jsonl.ts";
import { nightFigures } from "../../action/ledger/night-figures.ts";
import { renderChart } from "../../action/ledger/render-chart.ts";
import { renderPairedNote } from "../../action/ledger/render-dashboard.ts";
import { viewFromLog } from "../../action/ledger/summarize.ts";
import type { RemeasureEntry, ResultEntry } from "../../action/ledger/types.ts";
import { syntheticLedger } from "../helpers/synthetic-ledger.ts";

// Two workers whose devices read 0.3 apart (worker 1 lower: lower is better). The baseline ran
// alone first (no worker named), then beside candidates on both workers. #1 gains 0.05 and #2
// 0.10 over it on either device; their runs fall on the two workers in different shares.
const on = (worker: number, n: number) =>
  Array.from({ length: n }, () => ({ worker, device: null }));
const run = (
  iteration: number,
  after: number,
  worker: number,
  values: number[],
): RemeasureEntry => ({
  type: "remeasure",
  iteration,
  after,
  reason: "concurrent",
  reset: false,
  samples: { val_bpb: values },
  runs_on: on(worker, values.length),
  eval_seconds: 1,
  timestamp: "2026-12-07T00:00:00.000Z",
});

function night() {
  const { header, results } = syntheticLedger(3);
  const keep = (r: ResultEntry, worker: number, values: number[]): ResultEntry => ({
    ...r,
    status: "keep",
    score: values[0]!,
    samples: { val_bpb: values },
    runs_on: on(worker, values.length),
  });
  const baseline = { ...results[0]!, score: 1, samples: { val_bpb: [1, 1.01, 0.99] } };
  const one = keep(results[1]!, 0, [0.95, 0.96, 0.94]);
  const two = keep(results[2]!, 1, [0.6, 0.61, 0.59]);
  return parseLog(
    formatLines([
      header,
      baseline,
      run(0, 0, 0, [1.0, 1.0]),
      run(0, 0, 1, [0.7, 0.71, 0.69]),
      one,
      run(1, 1, 1, [0.65]),
      two,
      run(2, 2, 0, [0.9]),
      // #3 is worse than #2 by 0.06 and was discarded on one run on the lower-reading worker.
      {
        ...results[3]!,
        status: "discard",
        score: 0.66,
        samples: { val_bpb: [0.66] },
        runs_on: on(1, 1),
      },
    ]),
  );
}

describe("the headline and kept scores on several workers", () => {
  it("read each kept commit as the baseline plus its gain on the workers both ran on", () => {
    const log = night();
    const view = viewFromLog(log, "night");
    const base = view.baseline!;
    // The baseline's value is the mean of all its runs, as before.
    expect(base).toBeCloseTo((1 + 1.01 + 0.99 + 1 + 1 + 0.7 + 0.71 + 0.69) / 8, 10);
    const score = (n: number) => view.rows.find((r) => r.iteration === n)!.score!;
    // #1: -0.05 on worker 0 (3 runs against 2), -0.05 on worker 1 (1 against 3).
    expect(score(1) - base).toBeCloseTo(-0.05, 10);
    // #2: -0.10 on worker 1 (3 against 3), -0.10 on worker 0 (1 against 2).
    expect(score(2) - base).toBeCloseTo(-0.1, 10);
    // The plain mean of #2's runs, three of four on the lower-reading worker, would show -0.23.
    expect((0.6 + 0.61 + 0.59 + 0.9) / 4 - base).toBeLessThan(-0.2);
    // A discard reads on the same scale: 0.04 over the baseline on its worker, behind the best
    // (its one run, 0.66, would stand 0.13 ahead of the best's value).
    expect(score(3) - base).toBeCloseTo(-0.04, 10);
    expect(score(3)).toBeGreaterThan(score(2));
    expect(0.66).toBeLessThan(score(2));
    // The headline (the PR's title, the dashboard's) and the best line agree with the row.
    const figures = nightFigures(view);
    expect(figures.best).toBe(score(2));
    expect(figures.change).toBeCloseTo(-0.1, 10);
    const best = /line "best so far" \[([^\]]*)\]/.exec(renderChart(view))![1]!.split(", ");
    expect(Number(best.at(-1))).toBeCloseTo(score(2), 5);
    // The note under the PR's and the dashboard's tables says what such a value is.
    expect(renderPairedNote(view)).toContain(
      "On several workers a value is the baseline's value plus the experiment's gain over the baseline on the workers both ran on",
    );
  });

  it("leaves one worker's night as the plain means", () => {
    const { header, results } = syntheticLedger(2);
    const kept = { ...results[1]!, status: "keep" as const, samples: { val_bpb: [0.95, 0.97] } };
    const view = viewFromLog(parseLog(formatLines([header, results[0]!, kept])), "night");
    expect(view.rows.find((r) => r.iteration === 1)!.score).toBeCloseTo(0.96, 10);
    expect(renderPairedNote(view)).not.toContain("On several workers");
  });
});
