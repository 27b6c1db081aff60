import { describe, expect, it } from "vitest";
import { sumSquares } from "../../action/decide/stats.ts";
import { planNight } from "../helpers/sequence-eval.ts";

// A deterministic eval: the loss is the candidate's truth, the same on every run and worker.
const EVAL = `
const fs = require("node:fs");
console.log("loss: " + /truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
`;

describe("a deterministic eval on two workers, through the engine", () => {
  it("is judged exact (runs that agree, min_delta), not as a spread of rounding error", async () => {
    // Seven runs of 0.13765 agree exactly, but their mean, rounded, leaves a spread of 5e-33.
    expect(sumSquares(Array(7).fill(0.13765))).toBe(0);
    expect(sumSquares([1, 2, 3])).toBe(2);
    // From 0.434897 (the demo's baseline): to 0.13765, then no better than min_delta (0.0003),
    // then better (0.01), with changes that do nothing between.
    const plan = [-0.297247, 0, 0, -0.0003, 0, -0.01, 0, 0];
    const log = await planNight(
      { "candidate.txt": "truth: 0.434897\n", "eval.js": EVAL },
      `
name: det2
target: [candidate.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } } }
isolation: none
workers: 2
decide: { min_delta: 0.0005 }`,
      plan,
    );
    expect(log.config!.noise).toBe(0);
    const rows = log.results.filter((r) => r.status !== "baseline");
    const kept = rows.filter((r) => r.status === "keep");
    expect(kept.map((r) => r.description)).toEqual(["effect -0.297247", "effect -0.01"]);
    // Said as a deterministic eval's keep; before, "better by 0.2972 (69130000000000 sd, ...)": a
    // t-test on float rounding.
    for (const r of kept)
      expect(r.reason).toMatch(/> min_delta 0\.0005 \(deterministic eval, 2 runs agree\)$/);
    for (const r of rows) expect(r.reason ?? "").not.toMatch(/\d sd\b/);
    // The incumbent's runs beside the workers: two where its runs agree (the batch's start, on the
    // workers' stratum; a keep's own two runs are there already), not baseline_runs (5) a stratum:
    // 18 in this night before.
    const incumbentRuns = log.remeasures.reduce((n, m) => n + (m.samples.loss?.length ?? 0), 0);
    expect(incumbentRuns).toBe(2);
  }, 120_000);
});
