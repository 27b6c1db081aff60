// A keep's level (decide/kept-level.ts) as the next screen's bar, through the real engine: real
// git, real eval processes, the ledger read back from the branch.
import { describe, expect, it } from "vitest";
import { incumbentState } from "../../action/decide/ledger-state.ts";
import { barStrata } from "../../action/decide/ledger-strata.ts";
import { mean } from "../../action/decide/stats.ts";
import { planNight, sequenceNight } from "../helpers/sequence-eval.ts";

const NIGHT = "{ baseline_runs: 4, screen_sd: 0.5, remeasure_every: 0 }";

/**
 * #11, 2 better (truth 8), lucky in every run (7.5): kept in two pairs, then its run after. The
 * incumbent's run in the first pair reads 9, in line with its runs before (10 ± 0.58), so that
 * pair could keep, but says only 1.5 better: not enough on one pair.
 */
const LUCKY_KEEP = [
  ...[-0.5, -1], // #11's screened run, the incumbent beside it (the first pair)
  ...[-0.5, -0.5], // the second pair, either order (both sides -0.5): kept
  0, // #11's run after its keep (8)
];

describe("a keep's level as the screen's bar, through the engine", () => {
  it("records the kept code's level and screens the next candidate against it, not the runs it was kept on", async () => {
    // #1-#10 do nothing and run 0.3 high: discarded on their first run, they are the night's first
    // runs the prior is fitted on (MIN_HISTORY). #11 helps by 2 and is lucky: its runs read 7.5
    // where its truth is 8. #12 is 3 worse.
    const plan = [...Array(10).fill(0), -2, 3];
    const noise = [
      ...[0.5, -0.5, 0.5, -0.5], // runs 0-3: the baseline (sd about 0.58)
      ...Array(10).fill(0.3), // runs 4-13: #1-#10, one run each
      ...LUCKY_KEEP, // runs 14-18
      0, // run 19: #12's first run (11)
    ];
    const log = await sequenceNight(plan, noise, NIGHT);
    const rows = log.results.filter((r) => r.status !== "baseline");
    expect(rows.map((r) => r.status)).toEqual([...Array(10).fill("discard"), "keep", "discard"]);
    // Nothing kept before #11 has a level; the discards none either.
    expect(rows.filter((r) => r.level)).toHaveLength(1);

    const kept = rows[10]!;
    expect(kept.samples.loss).toEqual([7.5, 7.5]);
    const after = log.remeasures.find((m) => m.reason === "after-keep")!;
    expect(after.samples.loss).toEqual([8]);
    expect(kept.level).toMatchObject({ metric: "loss", within: "any" });
    const level = kept.level!.strata.all!;
    // The night's first runs say nothing of gains this size (all ten read 0.3 worse), so the gain
    // is hardly shrunk: the level is as sure as the candidate's two runs, where the runs it was
    // kept on (less the screened one) are one, and stands at their 7.5. The screen's bar moves it
    // STRICT_SD run sds to the strict side (lower: lower is better): `strict`.
    expect(level.runs).toBeGreaterThan(1.9);
    expect(Math.abs(level.mean - 7.5)).toBeLessThan(0.1);
    const strict = kept.level!.strict;
    expect(strict).toBeLessThan(0);
    expect(strict).toBeGreaterThan(-0.1);

    // #12 was screened against the level, standing in for round(runs) runs (the window of 10
    // less the run after the keep), then the run after the keep: not [7.5, 8].
    const stand = Math.min(Math.round(level.runs), 9);
    const worse = rows[11]!;
    expect(worse.samples.loss).toEqual([11]);
    expect(worse.screen!.against).toBe(stand + 1);
    const bar = (stand * (level.mean + strict) + 8) / (stand + 1);
    const worseBy = Number(/^worse by ([\d.]+) /.exec(worse.reason!)![1]);
    expect(worseBy).toBeCloseTo(11 - bar, 3);
    // The ledger's reader gives the same bar for the next candidate, and scores the code on the
    // run after its keep alone.
    const inc = incumbentState(log)!;
    expect(inc.iteration).toBe(kept.iteration);
    expect(inc.samples.loss).toEqual([8]);
    expect(inc.bar.loss).toEqual([...Array(stand).fill(level.mean + strict), 8]);
  });
});

// On workers whose devices differ by 30 sd each (worker k reads 3k higher, noise sd 0.1).
const DEVICES_EVAL = `
const fs = require("node:fs");
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
const u = () => { let x = 0; while (x === 0) x = Math.random(); return x; };
const noise = 0.1 * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
console.log("score: " + (truth + noise + 3 * Number(process.env.AUTOEXP_WORKER)));
`;

/**
 * A night on `workers` workers of DEVICES_EVAL from truth 10 (score maximized, each worker its own
 * stratum), the agent playing `plan`, `baselineRuns` runs of #0 on each worker first, at
 * `confidence`: real git, real eval processes. The ledger as the branch holds it.
 */
function devicesNight(
  plan: readonly number[],
  workers: number,
  baselineRuns: number,
  confidence = 0.999,
) {
  return planNight(
    { "candidate.txt": "truth: 10\n", "eval.js": DEVICES_EVAL },
    `
name: devices
target: [candidate.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { score: { goal: maximize } } }
isolation: none
workers: ${workers}
decide: { baseline_runs: ${baselineRuns}, confidence: ${confidence}, remeasure_every: 0, compare_within: worker }`,
    plan,
  );
}

describe("a keep's level on several workers, through the engine", () => {
  it("is carried to the other worker with the devices' offset, from the incumbent's runs there", async () => {
    // Eighteen changes that do nothing (the night's first runs: 10 screened ones must be on record
    // as the real one begins, and the first few, before each worker has runs of #0, are paired
    // from their first run, unscreened), a real one of 20 sd, then more.
    // At 0.9999: the night's 23 changes that do nothing may each be kept with probability 1e-4.
    // At 0.999 a night kept one 2 times in 60 (a loop over this night), which says nothing of the
    // bar this test is about; at 0.9999 none in 80, and the real change was kept in all 80.
    const plan = [...Array(18).fill(0), 2, ...Array(5).fill(0)];
    const log = await devicesNight(plan, 2, 3, 0.9999);
    const kept = log.results.find((r) => r.description === "effect 2")!;
    expect(kept.status).toBe("keep");
    const decidedOn = `worker ${kept.runs_on![0]!.worker}`;
    const other = decidedOn === "worker 0" ? "worker 1" : "worker 0";
    // #0 ran on both workers (the baseline, its side of pairs): the level is on both.
    expect(kept.level!.within).toBe("worker");
    const { [decidedOn]: here, [other]: there } = kept.level!.strata;
    const remeasures = log.remeasures.map((m) => [m.iteration, m.paired_with, m.runs_on]);
    expect(there, JSON.stringify({ level: kept.level, remeasures })).toBeDefined();
    // Where it was decided, as sure as the runs it was kept on: one where its first pair kept it.
    expect(here!.runs).toBeGreaterThan(0.9);
    // #0's runs there (its side of pairs on that worker, one or more), less sure by the gain's
    // spread: one run's worth or less.
    expect(there!.runs).toBeGreaterThan(0.4);
    // Each stands at the kept code's truth (12) on its device, within 5 run sds (0.1 each; the
    // other worker's rests on as few as one run of #0 there): the other worker's from #0's runs
    // there moved by the gain, not from the deciding worker's, which would put it 3 off.
    const truthOn = (stratum: string) => 12 + (stratum === "worker 1" ? 3 : 0);
    expect(Math.abs(here!.mean - truthOn(decidedOn))).toBeLessThan(0.5);
    expect(Math.abs(there!.mean - truthOn(other))).toBeLessThan(0.5);
    // The bar on the other worker, as the ledger's reader gives it to the next candidate there:
    // the level (moved by `strict`) first, no run of the kept code there having been made by the
    // keep, then its runs since.
    const stand = there!.mean + kept.level!.strict;
    const bar = barStrata(log, "worker", kept.iteration, "score")[other]!.score!;
    // The level stands for as many runs as it is worth, rounded: one worth under half a run (as
    // few as 0.474 here, one night in nine) stands for none, and the bar holds the runs alone.
    const standsFor = Math.round(there!.runs);
    const since = log.remeasures.filter((m) => m.iteration === kept.iteration);
    if (standsFor > 0)
      expect(bar[0], JSON.stringify({ bar, level: kept.level, since })).toBe(stand);
    const made = bar.filter((x) => x !== stand).length;
    expect(bar.length - made).toBe(Math.min(standsFor, 10 - made));
    // Nothing that does nothing was kept: a bar carried 30 sd off would have let them through.
    expect(log.results.filter((r) => r.status === "keep").map((r) => r.description)).toEqual([
      "effect 2",
    ]);
  }, 240_000);
});

describe("the bar read with the candidates screened against it, through the engine", () => {
  it("moves a bar that stands too good toward what the changes that do nothing read, and lets a real gain through that it would have discarded", async () => {
    // #1-#10 do nothing, one run each, 0.1 either side: the night's first runs say most changes
    // do nothing. #11 helps by 2 (truth 8) and is lucky (7.5 in all its runs): its level stands
    // about 0.5 too good. #12-#17 do nothing and read 8, the truth, each discarded on its first
    // run. #18 helps by 1 (truth 7) and reads 7.4.
    const plan = [...Array(10).fill(0), -2, ...Array(6).fill(0), -1];
    const noise = [
      ...[0.5, -0.5, 0.5, -0.5], // runs 0-3: the baseline
      ...Array.from({ length: 10 }, (_, i) => (i % 2 ? 0.1 : -0.1)), // runs 4-13: #1-#10
      ...LUCKY_KEEP, // runs 14-18
      ...Array(6).fill(0), // runs 19-24: #12-#17 (8 each)
      0.4, // run 25: #18's first run (7.4)
    ];
    const log = await sequenceNight(plan, noise, NIGHT);
    const rows = log.results.filter((r) => r.status !== "baseline");
    expect(rows.slice(0, 17).map((r) => r.status)).toEqual([
      ...Array(10).fill("discard"),
      "keep",
      ...Array(6).fill("discard"),
    ]);
    const kept = rows[10]!;
    const level = kept.level!.strata.all!;
    expect(level.mean).toBeLessThan(7.6);
    // The bar each of #12-#18 met, from its recorded first run and how much better or worse it
    // read (lower is better), against the bar of the level and the run after the keep alone
    // (the ledger's reader, as the night stood when #12 began).
    const barMet = (r: (typeof rows)[number]) => {
      const [, way, by] = /^(better|worse) by ([\d.]+) /.exec(r.reason ?? "") ?? [];
      const first = r.samples.loss![0]!;
      return way ? first + (way === "better" ? 1 : -1) * Number(by) : Number.NaN;
    };
    const before = incumbentState({
      ...log,
      results: log.results.slice(0, log.results.indexOf(rows[11]!)),
      remeasures: log.remeasures.filter((m) => (m.after ?? 0) <= kept.iteration),
    })!;
    const levelBar = before.bar.loss!.reduce((a, b) => a + b, 0) / before.bar.loss!.length;
    expect(barMet(rows[11]!)).toBeCloseTo(levelBar, 3);
    // Each no-op read at 8 moves the bar toward 8, and it is surer (more runs) for them.
    const met = rows.slice(11, 17).map(barMet);
    for (let i = 1; i < met.length; i++) expect(met[i]!).toBeGreaterThan(met[i - 1]!);
    expect(rows[16]!.screen!.against).toBeGreaterThan(rows[11]!.screen!.against);
    // #18: 7.4, under the level's bar by less than the screen asks (in the run sd its row was
    // screened with), so that bar would have discarded it; read with #12-#17 it passes and is
    // measured in pairs.
    const gain = rows[17]!;
    expect(gain.samples.loss![0]).toBe(7.4);
    const sd = (8 - barMet(rows[16]!)) / -rows[16]!.screen!.z;
    expect(7.4 + gain.screen!.z * sd).toBeGreaterThan(met[5]!);
    expect((levelBar - 7.4) / sd).toBeLessThan(gain.screen!.at);
    expect(gain.screen!.z).toBeGreaterThanOrEqual(gain.screen!.at);
    expect(gain.samples.loss!.length).toBeGreaterThan(1);
  }, 120_000);
});

/**
 * A night of DEVICES_EVAL on three workers (`baselineRuns` runs of #0 on each first): changes that
 * do nothing, with a real one of 20 sd every sixth from the 19th on, so that each keep leaves code
 * with a level where it was decided and its run after, and the next candidates on the other
 * workers meet it there first. Each first run screened on a worker where the code it was judged
 * against had, as it was recorded, neither a level nor a run (the runs it was kept on are not its
 * runs): the bar it met was moved there from another worker. With that bar's error against the
 * truth on that device (3 per worker), the runs it stood for, and which bar it was (the code,
 * the worker, where it stood to a hundredth: its value is read back from the row's reason).
 */
async function movedBars(experiments: number, baselineRuns: number) {
  const plan = Array.from({ length: experiments }, (_, i) => (i >= 18 && i % 6 === 0 ? 2 : 0));
  const log = await devicesNight(plan, 3, baselineRuns);
  const truth = new Map<number, number>([[0, 10]]);
  const rows = log.results.filter((r) => r.status !== "baseline");
  // Each row's truth, from the incumbent it was made for and its plan step.
  let incumbent = 0;
  for (const r of rows) {
    truth.set(r.iteration, truth.get(r.against ?? incumbent)! + plan[r.iteration - 1]!);
    if (r.status === "keep") incumbent = r.iteration;
  }
  const moved: { error: number; worth: number; bar: string }[] = [];
  incumbent = 0;
  for (const r of rows) {
    const against = r.against ?? incumbent;
    const worker = r.runs_on?.[0]?.worker ?? 0;
    const judged = log.results.find((x) => x.iteration === against)!;
    const [, way, by] = /^(better|worse) by ([\d.]+) /.exec(r.reason ?? "") ?? [];
    const runsThere = log.remeasures.some(
      (m) =>
        m.iteration === against &&
        (m.after ?? 0) < r.iteration &&
        (m.runs_on ?? []).some((o) => o.worker === worker),
    );
    if (r.screen && way && against > 0 && !judged.level?.strata[`worker ${worker}`] && !runsThere) {
      const met = r.samples.score![0]! + (way === "better" ? -1 : 1) * Number(by);
      moved.push({
        error: met - (truth.get(against)! + 3 * worker),
        worth: r.screen.against,
        bar: `#${against} on worker ${worker} at ${met.toFixed(2)}`,
      });
    }
    if (r.status === "keep") incumbent = r.iteration;
  }
  return moved;
}

describe("a bar moved to a worker where the incumbent has no runs, through the engine", () => {
  it("stands at the kept code's truth on that device, for its level, not for the one run made after its keep, and is worth no more than it says", async () => {
    // Twenty runs of #0 on each worker: offsets known well enough that a level of two or three
    // runs moved stays worth about two. A bar of the runs the code made since its keep, moved as
    // if the offsets were exact, stood for 1.1 to 1.4 runs on average (e133acd).
    // Two nights (each night's bars are labelled with it): one night's mean worth ranged from
    // 1.74 to 3.52 over 28 nights and 1.93 to 3.00 over 20 more, with 4 to 20 bars moved, and CI
    // once read 1.47 (c52ec15).
    const nights = [await movedBars(120, 20), await movedBars(120, 20)];
    const moved = nights.flatMap((night, i) =>
      night.map((m) => ({ ...m, bar: `night ${i + 1}: ${m.bar}` })),
    );
    expect(moved.length).toBeGreaterThan(4);
    // Within 5 run sds of the truth there.
    for (const { error } of moved) expect(Math.abs(error)).toBeLessThan(0.5);
    // Over 1.6 runs on average over both nights. The 48 nights above average 2.5 with an sd of
    // about 0.4 a night, so two nights' mean sits about 3 of its sds over 1.6. A bar of the one
    // run made after the keep stood for 1.1 to 1.4 a night at e133acd.
    expect(mean(moved.map(({ worth }) => worth))).toBeGreaterThan(1.6);
    // Worth no more than they say: each distinct bar's squared error times the runs it stands for
    // is about one run's variance (chi-square, 1 df, if they are fair). Successive candidates
    // often meet the same bar, so each counts once. Bars on one worker share that worker's offset
    // estimate (20 runs a side: about a third of a three-run bar's variance), so their sum
    // spreads wider than chi-square for that many independent bars: it is held under 1.5 times
    // chi-square's 99.9% point for that many (Wilson-Hilferty). A fixed bound on the mean (4)
    // failed a night in CI at 4.75. 28 nights of this test's night (a loop over movedBars, half
    // of them with bench/plateau running beside) made 5 to 22 distinct bars, with sums at 0.05
    // to 0.96 of the unscaled bound (means of 0.18 to 3.38). Bars worth four times what they say
    // (a mean near 4) are over this bound from fourteen bars on: it catches gross overstatement.
    const distinct = new Map(moved.map((m) => [`${m.bar}, ${m.worth} runs`, m]));
    const k = distinct.size;
    expect(k).toBeGreaterThan(4);
    const chiSquare999 = k * (1 - 2 / (9 * k) + 3.09 * Math.sqrt(2 / (9 * k))) ** 3;
    expect(
      [...distinct.values()].reduce((s, { error, worth }) => s + worth * (error / 0.1) ** 2, 0),
    ).toBeLessThan(1.5 * chiSquare999);
  }, 400_000);
});
