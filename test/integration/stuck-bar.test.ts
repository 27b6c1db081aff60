// Candidates screened out again and again on one worker: through the real engine (two workers
// compared within each, real git, real eval processes), every change makes the loss worse, so
// each first run is screened out, and nothing in a screened-out trial runs the incumbent on that
// worker to say whether its bar still stands where the incumbent does (on bench/noise's offset
// workers, a bar that stood high on one worker screened out everything there, real gains
// included, for most of a night). After SCREENED_OUT_RUN of them in a row, the next is measured
// in pairs from its first run, and its row says why.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SCREENED_OUT_RUN } from "../../action/decide/stuck-bar.ts";
import { planNight, SEQUENCE_EVAL } from "../helpers/sequence-eval.ts";

describe("a stratum whose candidates are screened out again and again", () => {
  it("has its next candidate measured in pairs from its first run, which puts the incumbent's runs there on record", async () => {
    // Noise of sd 0.1 in a fixed sequence; each change adds 1 to the loss (10 sds worse).
    const noise = Array.from({ length: 300 }, (_, i) => 0.1 * Math.sin(i * 2.3));
    const log = await planNight(
      { "candidate.txt": "truth: 10\n", "eval.js": SEQUENCE_EVAL },
      `name: stuck-bar
target: [candidate.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } }, pass_env: [NOISE, COUNTER] }
isolation: none
workers: 2
decide: { baseline_runs: 3, remeasure_every: 0, compare_within: worker }`,
      Array.from({ length: 2 * (SCREENED_OUT_RUN + 4) }, () => 1),
      (dir) => ({ NOISE: JSON.stringify(noise), COUNTER: join(dir, "count") }),
    );
    const rows = log.results.filter((r) => r.status !== "baseline");
    const on1 = rows.filter((r) => r.runs_on?.[0]?.worker === 1);
    const checked = on1.findIndex((r) => r.bar_checked !== undefined);
    expect(checked).toBeGreaterThan(0);
    const row = on1[checked]!;
    // Before it on worker 1: SCREENED_OUT_RUN or more screened out in a row, as its row says.
    const before = on1.slice(0, checked);
    const screenedOut = before.filter((r) => r.screen && r.screen.incumbent_z === undefined);
    expect(row.bar_checked).toBeGreaterThanOrEqual(SCREENED_OUT_RUN);
    expect(screenedOut.length).toBeGreaterThanOrEqual(SCREENED_OUT_RUN);
    for (const r of before.slice(-SCREENED_OUT_RUN)) expect(screenedOut).toContain(r);
    // Not screened: pairs from its first run, the incumbent's side of them run on worker 1; its
    // reason says why.
    expect(row.screen).toBeUndefined();
    expect(row.reason).toContain(
      `measured in pairs from its first run: the ${row.bar_checked} candidates before it on worker 1 were screened out`,
    );
    const beside = log.remeasures.filter((m) => m.paired_with === row.iteration);
    expect(beside.length).toBe(1);
    expect(beside[0]!.runs_on!.every((o) => o.worker === 1)).toBe(true);
    expect(beside[0]!.samples.loss!.length).toBe(row.samples.loss!.length);
    // On each worker, every bar check came after that worker's run of screened-out candidates,
    // as many as it counted at least. A check's own pairs may not be on record yet when the next
    // candidate on its worker begins (rows are recorded in the order they began), so that one may
    // check again: a check does not end the count here.
    for (const worker of [0, 1]) {
      let count = 0;
      const checks: number[] = [];
      for (const r of rows.filter((x) => x.runs_on?.[0]?.worker === worker)) {
        if (r.bar_checked !== undefined) {
          expect(r.bar_checked).toBeLessThanOrEqual(count);
          checks.push(r.bar_checked);
          continue;
        }
        count = r.screen && r.screen.incumbent_z === undefined ? count + 1 : 0;
      }
      expect(checks.length).toBeGreaterThan(0);
      for (const c of checks) expect(c).toBeGreaterThanOrEqual(SCREENED_OUT_RUN);
    }
  }, 180_000);
});
