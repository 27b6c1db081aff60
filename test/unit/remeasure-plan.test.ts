import { describe, expect, it } from "vitest";
import type { Config } from "../../action/config/schema.ts";
import { incumbentState } from "../../action/decide/ledger-state.ts";
import { isSequential, remeasurePlan } from "../../action/decide/remeasure-plan.ts";
import type { ParsedLog } from "../../action/ledger/log-jsonl.ts";
import type { RemeasureEntry, ResultEntry, Status } from "../../action/ledger/types.ts";

type Log = Pick<ParsedLog, "results" | "remeasures" | "config">;

const decide = (over: Partial<Config["decide"]> = {}): Config["decide"] => ({
  rule: "primary",
  min_delta: "auto",
  baseline_runs: 5,
  confidence: 0.95,
  confirm: true,
  max_runs: 5,
  remeasure_every: 5,
  simplification: false,
  compare_within: "device",
  paired: false,
  screen_sd: "auto",
  ...over,
});

function row(iteration: number, status: Status, runs: number[] = []): ResultEntry {
  return {
    type: "result",
    iteration,
    commit: `c${iteration}`,
    commit_full: null,
    diff: null,
    score: runs.length ? runs.reduce((s, x) => s + x, 0) / runs.length : null,
    delta: null,
    guard_score: null,
    guard_pass: null,
    status,
    description: status,
    timestamp: "2026-01-01T00:00:00.000Z",
    metrics: {},
    samples: runs.length ? { loss: runs } : {},
    agent_seconds: 0,
    eval_seconds: 0,
    cost_usd: 0,
  };
}

function remeasured(
  iteration: number,
  after: number,
  runs: number[],
  reason: RemeasureEntry["reason"] = "top-up",
): RemeasureEntry {
  return {
    type: "remeasure",
    iteration,
    after,
    reason,
    reset: reason === "drift",
    samples: { loss: runs },
    eval_seconds: 0,
    timestamp: "2026-01-01T00:00:00.000Z",
  };
}

const BASELINE = [10, 10.2, 9.8, 10.1, 9.9];

function log(results: ResultEntry[], remeasures: RemeasureEntry[] = []): Log {
  return { config: null, results, remeasures };
}

function plan(l: Log, over: Partial<Config["decide"]> = {}) {
  return remeasurePlan(decide(over), l, "loss", incumbentState(l)!);
}

/** n discarded experiments after `from`. */
const discards = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => row(from + i + 1, "discard", [11]));

describe("remeasurePlan: the top-up after a keep", () => {
  it("asks for baseline_runs fresh runs of a new incumbent (its own runs flatter it)", () => {
    const l = log([row(0, "baseline", BASELINE), row(1, "keep", [9, 9.1])]);
    expect(plan(l)).toEqual({ reason: "top-up", runs: 5 });
    expect(plan(l, { baseline_runs: 3 })).toEqual({ reason: "top-up", runs: 3 });
  });

  it("asks only for the runs still missing after a partial top-up", () => {
    const l = log(
      [row(0, "baseline", BASELINE), row(1, "keep", [9, 9.1])],
      [remeasured(1, 1, [9.05, 9.02])],
    );
    expect(plan(l)).toEqual({ reason: "top-up", runs: 3 });
  });

  it("asks for nothing once the incumbent has baseline_runs fresh runs", () => {
    const l = log(
      [row(0, "baseline", BASELINE), row(1, "keep", [9, 9.1])],
      [remeasured(1, 1, [9.05, 9.02, 9.1, 8.95, 9.0])],
    );
    expect(plan(l)).toBeNull();
  });

  it("does not count runs of an earlier incumbent toward the new one", () => {
    const l = log(
      [row(0, "baseline", BASELINE), row(1, "keep", [9]), row(2, "keep", [8.5, 8.6])],
      [remeasured(1, 1, [9, 9, 9, 9, 9])],
    );
    expect(plan(l)).toEqual({ reason: "top-up", runs: 5 });
  });

  it("needs no top-up for the baseline, whose runs are already fresh", () => {
    expect(plan(log([row(0, "baseline", BASELINE), row(1, "discard", [11])]))).toBeNull();
    expect(plan(log([row(0, "baseline", [10, 10.1])]))).toEqual({ reason: "top-up", runs: 3 });
  });

  it("comes before a scheduled re-run that is also due", () => {
    const l = log([row(0, "baseline", BASELINE), row(1, "keep", [9, 9.1]), ...discards(1, 10)]);
    expect(plan(l)).toEqual({ reason: "top-up", runs: 5 });
  });
});

describe("remeasurePlan: the scheduled re-run", () => {
  it("re-runs the incumbent once every remeasure_every experiments", () => {
    expect(plan(log([row(0, "baseline", BASELINE), ...discards(0, 4)]))).toBeNull();
    expect(plan(log([row(0, "baseline", BASELINE), ...discards(0, 5)]))).toEqual({
      reason: "schedule",
      runs: 1,
    });
    expect(
      plan(log([row(0, "baseline", BASELINE), ...discards(0, 3)]), { remeasure_every: 3 }),
    ).toEqual({ reason: "schedule", runs: 1 });
  });

  it("counts from the last re-measure, not from the keep", () => {
    const results = [row(0, "baseline", BASELINE), ...discards(0, 7)];
    expect(plan(log(results, [remeasured(0, 5, [10], "schedule")]))).toBeNull();
    expect(
      plan(log([...results, ...discards(7, 3)], [remeasured(0, 5, [10], "schedule")])),
    ).toEqual({ reason: "schedule", runs: 1 });
  });

  it("counts from a topped-up keep's own iteration", () => {
    const topped = [remeasured(3, 3, [9, 9, 9, 9, 9])];
    const kept = [row(0, "baseline", BASELINE), ...discards(0, 2), row(3, "keep", [9])];
    expect(plan(log([...kept, ...discards(3, 4)], topped))).toBeNull();
    expect(plan(log([...kept, ...discards(3, 5)], topped))).toEqual({
      reason: "schedule",
      runs: 1,
    });
  });

  it("never re-runs on a schedule with remeasure_every 0", () => {
    const l = log([row(0, "baseline", BASELINE), ...discards(0, 100)]);
    expect(plan(l, { remeasure_every: 0 })).toBeNull();
  });
});

describe("remeasurePlan: the re-run, measured in pairs", () => {
  // A screened first run: a discard whose first run read z run sds (as a gain) against its bar.
  const screened = (iteration: number, z: number): ResultEntry => ({
    ...row(iteration, "discard", [11]),
    screen: { at: 1, z, against: 5 },
  });
  // The night's first runs: a spread of ordinary ones, from -3 to 1.5 run sds.
  const ordinary = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => screened(from + i + 1, ((i * 7) % 10) / 2 - 3));
  const paired = { paired: true };

  it("keeps the fixed schedule until the night has first runs to read 'low' by", () => {
    const l = log([row(0, "baseline", BASELINE), ...ordinary(0, 5)]);
    expect(plan(l, paired)).toEqual({ reason: "schedule", runs: 1 });
    // Unpaired, always the fixed schedule.
    const long = log(
      [row(0, "baseline", BASELINE), ...ordinary(0, 14)],
      [remeasured(0, 9, [10], "schedule")],
    );
    expect(plan(long)).toEqual({ reason: "schedule", runs: 1 });
    expect(plan(long, paired)).toBeNull();
  });

  it("re-runs at the latest every 4 x remeasure_every experiments on a steady night", () => {
    const at = (n: number) => log([row(0, "baseline", BASELINE), ...ordinary(0, n)]);
    expect(plan(at(19), paired)).toBeNull();
    expect(plan(at(20), paired)).toEqual({ reason: "schedule", runs: 1 });
    expect(plan(at(15), { ...paired, remeasure_every: 4 })).toBeNull();
    expect(plan(at(16), { ...paired, remeasure_every: 4 })).toEqual({
      reason: "schedule",
      runs: 1,
    });
    expect(plan(at(100), { ...paired, remeasure_every: 0 })).toBeNull();
  });

  it("re-runs at once after two first runs in a row read under the night's usual (a machine that slowed)", () => {
    const night = [row(0, "baseline", BASELINE), ...ordinary(0, 12)];
    expect(plan(log([...night, screened(13, -12)]), paired)).toBeNull();
    expect(plan(log([...night, screened(13, -12), screened(14, -11)]), paired)).toEqual({
      reason: "schedule",
      runs: 1,
    });
    // One low and then an ordinary one: a harmful change, not the machine.
    expect(plan(log([...night, screened(13, -12), screened(14, 0.5)]), paired)).toBeNull();
    // Low, but no lower than the night's usual 15%: the night's harmful changes read as low.
    expect(plan(log([...night, screened(13, -2.5), screened(14, -2.5)]), paired)).toBeNull();
  });

  it("counts only first runs since the incumbent last ran", () => {
    const night = [row(0, "baseline", BASELINE), ...ordinary(0, 12), screened(13, -12)];
    const l = log([...night, screened(14, -12)], [remeasured(0, 13, [10], "schedule")]);
    expect(plan(l, paired)).toBeNull();
    expect(plan(log([...l.results, screened(15, -12)], l.remeasures), paired)).toEqual({
      reason: "schedule",
      runs: 1,
    });
  });
});

describe("isSequential: whether re-measures happen at all", () => {
  it("is on with confirmation (max_runs >= 2) and a measured, non-zero noise", () => {
    expect(isSequential(log([row(0, "baseline", BASELINE)]), "loss", 5)).toBe(true);
  });

  it("is off when one run decides (max_runs 1)", () => {
    expect(isSequential(log([row(0, "baseline", BASELINE)]), "loss", 1)).toBe(false);
  });

  it("is off without a noise estimate: one baseline run, or identical runs", () => {
    expect(isSequential(log([row(0, "baseline", [10])]), "loss", 5)).toBe(false);
    expect(isSequential(log([row(0, "baseline", [10, 10, 10])]), "loss", 5)).toBe(false);
  });

  it("turns on once any experiment's repeated runs measure the noise", () => {
    const l = log([row(0, "baseline", [10]), row(1, "discard", [11, 11.2])]);
    expect(isSequential(l, "loss", 5)).toBe(true);
  });
});
