/**
 * A design study, by simulation (no engine): could a second look at the screen meet issue 23's
 * power target (80% at +2 sd, at most 3.0 eval runs per candidate, false keeps at most 5%) while
 * every keep is still decided on pairs beside the incumbent?
 *
 * The plan is bench/noise's (100 no-ops, 50 at +2 sd, 15 at -2 sd; noise sd 1, known). A
 * candidate's first run is screened against a bar, the mean of `--bar` incumbent runs:
 *   one look   pass when run - bar >= s, else discard (the rule as autoexp runs it);
 *   two looks  pass when run - bar >= s; discard under s - w; in between, run once more and pass
 *              when the mean of both runs - bar >= s2 (a grey zone gets a second run).
 * A candidate that passes is measured in pairs as evaluate-paired.ts does: its last screened run
 * and a fresh incumbent run make the first pair, later pairs are fresh; from the second pair on it
 * is kept when t (known sd) reaches c and stopped when t falls under 0.5, at most `--max-runs`
 * pairs. c is calibrated per design by simulation so that P(keep | no effect) = 5% over all
 * no-ops (those screened out included), as boundary.ts does, floored at 1 (MIN_CRITICAL_T).
 * Runs per candidate count the screen's runs, both sides of every pair and one run after a keep.
 *
 * Prints, for each design, the screen with the most power within 3.0 runs per candidate, and the
 * screen with the most true gain kept per run (what `screen_sd: auto` maximises).
 *
 * Usage: node bench/screen-design.ts [--trials 40000] [--bar 3] [--max-runs 5] [--seed 1] [--all]
 *        [--bar-bias 0.3]
 * (--all: every one-look screen too, to set beside bench/noise's columns; --bar-bias: a bar that
 * sits that many run sds above the incumbent's truth, with c still calibrated for a fair one)
 */
import { parseArgs } from "node:util";
import { createRandom, gaussian } from "../action/util/random.ts";

const { values: args } = parseArgs({
  options: {
    trials: { type: "string", default: "40000" },
    bar: { type: "string", default: "3" },
    "max-runs": { type: "string", default: "5" },
    seed: { type: "string", default: "1" },
    all: { type: "boolean", default: false },
    "bar-bias": { type: "string", default: "0" },
  },
});
const TRIALS = Number(args.trials);
const BAR = Number(args.bar);
/** How far the bar sits above the incumbent's truth, in run sds (bench/noise's no-op z is -0.2 to -0.4). */
const BAR_BIAS = Number(args["bar-bias"]);
const MAX_PAIRS = Number(args["max-runs"]);
const ALPHA = 0.05;
const FUTILITY = 0.5;
const MIN_C = 1;
const PLAN = [
  { effect: 0, share: 100 / 165 },
  { effect: 2, share: 50 / 165 },
  { effect: -2, share: 15 / 165 },
];

interface Design {
  name: string;
  s: number;
  /** Two looks: the grey zone's width under s, and the second look's screen on the mean. */
  w?: number;
  s2?: number;
}

/** One candidate up to the pairs: null when discarded; else the first pair's difference. */
interface Screened {
  runs: number;
  first: number | null;
}

function screen(d: Design, effect: number, gauss: () => number, bias = 0): Screened {
  const bar = bias + gauss() / Math.sqrt(BAR);
  const x1 = effect + gauss();
  if (x1 - bar >= d.s) return { runs: 1, first: x1 - gauss() };
  if (d.w === undefined || x1 - bar < d.s - d.w) return { runs: 1, first: null };
  const x2 = effect + gauss();
  if ((x1 + x2) / 2 - bar >= d.s2!) return { runs: 2, first: x2 - gauss() };
  return { runs: 2, first: null };
}

/** The pairs after the screen: the highest t reached (for calibration) and the runs they took. */
function pairs(
  effect: number,
  first: number,
  c: number,
  gauss: () => number,
): { kept: boolean; peak: number; runs: number } {
  let sum = first;
  let runs = 1; // the incumbent's run beside the screened one
  let peak = Number.NEGATIVE_INFINITY;
  for (let n = 2; n <= MAX_PAIRS; n++) {
    sum += effect + gauss() - gauss();
    runs += 2;
    const t = sum / n / Math.sqrt(2 / n);
    if (t > peak) peak = t;
    if (t >= c) return { kept: true, peak, runs };
    if (t < FUTILITY) break;
  }
  return { kept: false, peak, runs };
}

/** The least c (at least MIN_C) that keeps at most ALPHA of no-ops, by their peaks. */
function calibrate(d: Design, gauss: () => number): number {
  const peaks: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const s = screen(d, 0, gauss);
    peaks.push(
      s.first === null ? Number.NEGATIVE_INFINITY : pairs(0, s.first, Infinity, gauss).peak,
    );
  }
  peaks.sort((a, b) => b - a);
  // At most `allowed` no-ops reach c: c lies between the allowed-th highest peak and the next.
  const allowed = Math.floor(ALPHA * TRIALS);
  const above = peaks[allowed - 1]!;
  const below = peaks[allowed]!;
  return Math.max(MIN_C, Number.isFinite(below) ? (above + below) / 2 : above);
}

function measure(d: Design, c: number, gauss: () => number) {
  let runs = 0;
  let gain = 0;
  const kept = new Map<number, number>();
  for (const p of PLAN) {
    let k = 0;
    let r = 0;
    for (let i = 0; i < TRIALS; i++) {
      const s = screen(d, p.effect, gauss, BAR_BIAS);
      r += s.runs;
      if (s.first === null) continue;
      const m = pairs(p.effect, s.first, c, gauss);
      r += m.runs + (m.kept ? 1 : 0);
      if (m.kept) k++;
    }
    kept.set(p.effect, k / TRIALS);
    runs += (p.share * r) / TRIALS;
    gain += p.share * p.effect * (k / TRIALS);
  }
  return {
    falseKeeps: kept.get(0)!,
    power: kept.get(2)!,
    runs,
    gainPerRun: gain / runs,
  };
}

const gauss = gaussian(createRandom(Number(args.seed)));
const screens = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2];
const families: { name: string; designs: Design[] }[] = [
  { name: "one look", designs: screens.map((s) => ({ name: `s ${s}`, s })) },
  {
    name: "two looks",
    designs: screens.flatMap((s) =>
      [0.5, 1, 1.5].flatMap((w) =>
        [s - 0.5, s - 0.25, s].map((s2) => ({ name: `s ${s}, w ${w}, s2 ${s2}`, s, w, s2 })),
      ),
    ),
  },
];
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(
  `plan 100 no-op / 50 at +2 sd / 15 at -2 sd; bar of ${BAR} incumbent runs; at most ${MAX_PAIRS} pairs; ${TRIALS} candidates per effect and design; false keeps calibrated to 5%`,
);
console.log(
  "design     chosen for                 screen                      false keeps  power   runs/cand  gain/run",
);
for (const f of families) {
  const rows = f.designs.map((d) => {
    const c = calibrate(d, gauss);
    return { d, c, ...measure(d, c, gauss) };
  });
  const within = rows.filter((r) => r.runs <= 3.0);
  const mostPower = within.reduce((a, b) => (b.power > a.power ? b : a), within[0]!);
  const mostGain = rows.reduce((a, b) => (b.gainPerRun > a.gainPerRun ? b : a));
  const shown: [string, (typeof rows)[number]][] = [
    ["most power, ≤ 3.0 runs", mostPower],
    ["most gain per run", mostGain],
  ];
  if (args.all && f.name === "one look") for (const r of rows) shown.push(["(every screen)", r]);
  for (const [label, r] of shown)
    console.log(
      `${f.name.padEnd(10)} ${label.padEnd(26)} ${`${r.d.name} (c ${r.c.toFixed(2)})`.padEnd(27)} ${pct(r.falseKeeps).padEnd(12)} ${pct(r.power).padEnd(7)} ${r.runs.toFixed(2).padEnd(10)} ${r.gainPerRun.toFixed(3)}`,
    );
}
