/**
 * Whole nights of the deciding rule by simulation (no git, no processes), to choose how the loop
 * measures: the real judge (action/decide/judge.ts) fed by a simulated serial loop whose true
 * effects are known. One night through the real engine (bench/noise.ts) varies by about ±15
 * points of power (which keeps come early changes every later bar and screen), so telling two
 * designs apart there takes dozens of nights; here a night takes about a second. Designs:
 *   unpaired  the rule before pairs: the candidate's runs against every run of the incumbent,
 *             a 5-run top-up of the incumbent after each keep, one re-run every 5 experiments.
 *   paired    as evaluate-paired.ts runs it: one screening run against the incumbent's bar (a
 *             discard costs one run), a second for a first run in the screen's grey zone; the
 *             screen chosen by the real chooseScreen from the night's first runs (decide.screen_sd
 *             auto; or fixed: --screen, --grey); a candidate that passes is measured in pairs
 *             beside fresh incumbent runs (random order) from its last screened run, kept on the
 *             paired test alone (from the first pair where the incumbent's run in it agrees with
 *             the bar, decide/first-pair.ts; `--first-pair off`: from the second pair, as before);
 *             kept code runs once more after its keep (`--no-after-keep`: not, once it has a
 *             level to stand in its bar), and is scored on that
 *             run and its side of later pairs. The bar: the incumbent's latest 10 runs, after its
 *             level (decide/kept-level.ts), read with the candidates screened against it since
 *             its keep (screenedLevel; the default, `--bar read`), or not read (`--bar level`), or
 *             the runs it was kept on (`--bar kept`, as before the level; `--bar after`: neither).
 *   pairs     pairs from the first run (no screen).
 * The plan: 200 no-op, 100 +2 sd and 30 -2 sd changes, shuffled; each builds on the incumbent.
 * Drift: the score moves `drift` sd per run (steady), or `--spike` adds +3 sd to the baseline's
 * runs (a load spike while the baseline runs), or `--step RUN:SIZE` moves it by SIZE sd from the
 * night's run RUN on (a machine that slows at once: negative). The model has none of the engine's
 * drift re-measures (decide/drift.ts): a step stays in its bars longer than in the engine's.
 * Runs per candidate count every eval run of the night, the baseline and the incumbent's
 * included. What it leaves out: pipelining (each candidate is proposed on the incumbent of its
 * time) and several workers.
 *
 * Usage: node bench/paired-model.ts [--nights 20] [--noise gaussian|t3] [--drift 0.05] [--spike]
 *        [--step 100:-12]
 *        [--designs unpaired,paired,pairs] [--max-runs 5] [--zero 200 --effect 100 --worse 30]
 *        [--screen auto|N [--grey FROM,MEAN]] [--bar read|level|kept|after] [--model-bar actual|fixed]
 *        [--slack 0.25]   (auto's PER_RUN_SLACK: 0 chooses the most gain per eval run alone)
 *        [--bound proposals|runs]   (what runs out first, for auto's choice: the plan's proposals
 *        (the default: a night of so many proposals, as bench/noise.ts gives the engine) or eval
 *        runs (a night cut by its runs or clock, as bench/greedy.ts's))
 *        [--baseline-runs 5] [--confidence 0.95] [--first-pair on|off] [--no-after-keep]
 *        [--reopen fresh|none|pairs-both|pairs|pairs-beside|clean|bar|beside]   (a first-pair keep
 *        whose run after the keep reads no better than the bar it was screened against or than the
 *        incumbent's run beside it (pairs-both, fresh, clean; pairs, bar: the bar alone; beside,
 *        pairs-beside: the run beside alone) is undone (bar, beside), or measured in pairs again:
 *        from its first pair on (pairs*), or with that pair set aside and fresh pairs from the run
 *        after the keep (fresh, as evaluate-paired.ts does: the default) or from the next run
 *        (clean). Measured 2026-12-07, 20 nights, false keeps / power / runs per candidate / gain,
 *        then with --noisier 0.05:2 the noisier no-ops kept / false keeps / power:
 *          none        2.61% 64.3% 2.03 128.5   21.4% 5.00% 38.2%
 *          fresh       1.80% 63.3% 2.10 126.5   11.2% 2.22% 47.0%
 *          clean       2.28% 63.0% 2.12 126.0   10.7% 2.85% 47.5%
 *          pairs-both  1.96% 64.5% 2.10 128.9   15.8% 3.46% 41.9%
 *          pairs       2.13% 64.6% 2.11 129.2   16.8% 3.76% 42.5%
 *          bar         2.04% 61.4% 2.06 122.8    9.2% 2.28% 46.2%)
 *        [--noisier F:K]   (a share F of the no-op changes multiply the run-to-run noise by K;
 *        their keep rate is printed apart)
 *        [--first-pair-futility=Z]   (discard at the screened design's first pair when it reads
 *        under Z run sds, instead of a second pair; measured 2026-12-06, 40 nights of 100/50/15:
 *        none 63.6% on 2.09 runs, -1: 63.5% on 2.07, -0.5: 63.0% on 2.07, 0: 62.0% on 2.04, the
 *        same gain per run; not built)
 *        [--own-spread NU]   (the paired test's spread from the candidate's own pair differences
 *        pooled with the night's taken as NU degrees of freedom, not the night's alone; measured
 *        2026-12-07, 20 nights: NU 10 1.54% / 64.3% / 2.19 runs / 128.7 sd, and with --noisier
 *        0.05:2 9.7% of those no-ops kept, 2.04%, 48.9%; NU 20 1.76% / 60.4% / 2.07 / 120.7, and
 *        11.7%, 2.78%, 45.4%: within the model's noise of the default; not built)
 *        (--model-bar: the bar chooseScreen models, the one the candidate has or SCREEN_RUNS)
 *        [--breakdown]   (paired, pairs: where the +2 sd changes went: lost on the first run, on its
 *        second look, in pairs, or kept, by the number of pairs; and the screens auto chose)
 */
import { parseArgs } from "node:util";
import { firstPairAgrees } from "../action/decide/boundary.ts";
import { barStaleness, creditedScreen } from "../action/decide/first-pair.ts";
import { judge, type Policy } from "../action/decide/judge.ts";
import type { PairedDesign } from "../action/decide/judgement.ts";
import {
  keptLevel,
  type Level,
  levelBar,
  STRICT_SD,
  screenedLevel,
  withRuns,
} from "../action/decide/kept-level.ts";
import { SCREEN_RUNS } from "../action/decide/ledger-runs.ts";
import { type Noise, pooledNoise } from "../action/decide/noise.ts";
import {
  chooseScreen,
  describeScreen,
  fitEffects,
  HISTORY_WINDOW,
  MIN_HISTORY,
  type ScreenDesign,
  type ScreenPoint,
} from "../action/decide/screen-choice.ts";
import { mean } from "../action/decide/stats.ts";
import { firstSideFirst } from "../action/engine/pair-order.ts";
import { createRandom, gaussian } from "../action/util/random.ts";

const { values: args } = parseArgs({
  options: {
    nights: { type: "string", default: "20" },
    noise: { type: "string", default: "gaussian" },
    drift: { type: "string", default: "0" },
    spike: { type: "boolean", default: false },
    step: { type: "string" },
    designs: { type: "string", default: "unpaired,paired,pairs" },
    "max-runs": { type: "string", default: "5" },
    zero: { type: "string", default: "200" },
    effect: { type: "string", default: "100" },
    worse: { type: "string", default: "30" },
    screen: { type: "string", default: "auto" },
    grey: { type: "string" },
    bar: { type: "string", default: "read" },
    "model-bar": { type: "string", default: "actual" },
    slack: { type: "string" },
    bound: { type: "string", default: "proposals" },
    noisier: { type: "string" },
    reopen: { type: "string", default: "fresh" },
    breakdown: { type: "boolean", default: false },
    "baseline-runs": { type: "string", default: "5" },
    confidence: { type: "string", default: "0.95" },
    "first-pair": { type: "string", default: "on" },
    "first-pair-futility": { type: "string" },
    "no-after-keep": { type: "boolean", default: false },
    "own-spread": { type: "string" },
  },
});
if (
  !["none", "beside", "bar", "pairs", "pairs-beside", "pairs-both", "fresh", "clean"].includes(
    args.reopen!,
  )
)
  throw new Error(
    `--reopen ${args.reopen}: give fresh, none, pairs-both, pairs, pairs-beside, clean, bar or beside`,
  );
const nights = Number(args.nights);
const maxRuns = Number(args["max-runs"]);
const drift = Number(args.drift);
// --step RUN:SIZE: from the night's run RUN on, every run reads SIZE sd higher (a machine that
// slowed, where higher is better: negative).
const [stepAt, stepSize] = args.step ? args.step.split(":").map(Number) : [Infinity, 0];

type Design = "unpaired" | "paired" | "pairs";

/** The screen for the next candidate: decide.screen_sd auto from the night's first runs, or fixed. */
function screenDesign(history: readonly ScreenPoint[], barRuns: number): ScreenDesign {
  if (args.screen !== "auto") {
    const [from, m] = (args.grey ?? "").split(",").map(Number);
    return {
      at: Math.max(0.25, Number(args.screen)),
      ...(args.grey ? { grey: { from: from!, mean: m! } } : {}),
    };
  }
  if (history.length < MIN_HISTORY) return { at: 0.25 };
  const chosen = chooseScreen(history, {
    maxRuns,
    alpha: 0.05,
    minDelta: 0.25,
    screenRuns: args["model-bar"] === "fixed" ? SCREEN_RUNS : barRuns,
    ...(args.slack !== undefined ? { perRunSlack: Number(args.slack) } : {}),
    // The plan's proposals run out first: every design tries the same number of candidates.
    ...(args.bound === "proposals"
      ? { left: { proposals: 1, runs: Infinity, clock: { runs: Infinity, perProposal: 0 } } }
      : {}),
    firstPairKeeps: args["first-pair"] !== "off",
  });
  const key = describeScreen(chosen);
  TALLY.chosen.set(key, (TALLY.chosen.get(key) ?? 0) + 1);
  return chosen;
}

/** Where one design's +2 sd changes went, and which screens it chose (--breakdown). */
const TALLY = {
  screen: 0,
  grey: 0,
  pairs: new Map<string, number>(),
  chosen: new Map<string, number>(),
  /** --noisier: the no-op changes that made the noise K times larger, and those kept. */
  noisier: { tried: 0, kept: 0 },
  /** --reopen: first-pair keeps undone by their run after the keep, real gains and not. */
  reopened: { good: 0, null: 0 },
};

function night(design0: Design, seed: number) {
  const random = createRandom(seed);
  const gauss = gaussian(random);
  const draw =
    args.noise === "t3"
      ? () => {
          const z = gauss();
          const chi = gauss() ** 2 + gauss() ** 2 + gauss() ** 2;
          return z / Math.sqrt(chi / 3) / Math.sqrt(3);
        }
      : gauss;
  const plan = [
    ...Array(Number(args.zero)).fill(0),
    ...Array(Number(args.effect)).fill(2),
    ...Array(Number(args.worse)).fill(-2),
  ];
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [plan[i], plan[j]] = [plan[j], plan[i]];
  }
  let clock = 0;
  let inBaseline = true;
  const measure = (truth: number, scale: number) => {
    const v =
      truth +
      scale * draw() +
      drift * clock +
      (args.spike && inBaseline ? 3 : 0) +
      (clock >= stepAt! ? stepSize! : 0);
    clock++;
    return v;
  };
  // Run-to-run noise: one group per code measured more than once.
  const groups: number[][] = [];
  let incTruth = 0;
  // --noisier F:K: a share F of the changes that do nothing multiply the code's run-to-run noise
  // by K (a learning rate that makes training less stable); kept, the incumbent keeps that noise.
  const [noisierShare, noisierK] = (args.noisier ?? "0:1").split(":").map(Number) as [
    number,
    number,
  ];
  const noisierDraw = createRandom(seed + 7919);
  let incScale = 1;
  let inc: number[] = Array.from({ length: Number(args["baseline-runs"]) }, () =>
    measure(incTruth, incScale),
  );
  inBaseline = false;
  groups.push(inc);
  let keptOn: number[] = [];
  let level: Level | null = null;
  // The runs of each candidate discarded since the last keep (screenedLevel reads the bar with them).
  let since: number[][] = [];
  const history: ScreenPoint[] = [];
  // Each first pair's incumbent run against the bar (incumbent_z), for the bars' staleness.
  const zs: number[] = [];
  let measuredAt = 0;
  let pairSs = 0;
  let pairDf = 0;
  let falseKeeps = 0;
  let keptGood = 0;
  let trueGain = 0;
  // min_delta auto (a quarter sd), raised to `atSd` run sds for a screen's look.
  const policy = (sd: number, atSd = 0.25): Policy => ({
    rule: "primary",
    objectives: [{ name: "score", goal: "maximize", minDelta: Math.max(0.25, atSd) * sd }],
    guards: {},
    confidence: Number(args.confidence),
    maxRuns,
    simplification: false,
  });
  for (let k = 0; k < plan.length; k++) {
    const effect = plan[k]!;
    const truth = incTruth + effect;
    const noisier = effect === 0 && noisierDraw() < noisierShare;
    const candScale = noisier ? incScale * noisierK : incScale;
    if (noisier) TALLY.noisier.tried++;
    const noise = (): Record<string, Noise> => ({ score: pooledNoise(groups) });
    const pairNoise = (): Record<string, Noise> => ({
      score: { sd: pairDf > 0 ? Math.sqrt(pairSs / pairDf) : 0, df: pairDf, robustSd: null },
    });
    let kept = false;
    const cand: number[] = [];
    groups.push(cand);
    if (design0 === "unpaired") {
      if (k - measuredAt >= 5) {
        inc.push(measure(incTruth, incScale));
        measuredAt = k;
      }
      while (true) {
        cand.push(measure(truth, candScale));
        const j = judge({
          policy: policy(noise().score!.sd),
          incumbent: { score: inc },
          candidate: { score: cand },
          noise: noise(),
        });
        if (j.final) {
          kept = j.status === "keep";
          break;
        }
      }
      if (kept) {
        inc = cand;
        for (let i = 0; i < 5; i++) inc.push(measure(truth, candScale));
        measuredAt = k;
      }
    } else {
      let go = true;
      let design: PairedDesign = { first: "fresh" };
      const pi: number[] = [];
      const pc: number[] = [];
      // The paired test on the pairs so far, under the design as it stands.
      // --own-spread: the night's paired spread (or twice the run variance before it has 10 df)
      // as a prior of NU degrees of freedom, pooled with this candidate's own pair differences
      // (a screened candidate's first pair left out, as pair-noise.ts leaves it out).
      const ownSpread = (): Record<string, Noise> => {
        const night = pairNoise().score!;
        const nu0 = Number(args["own-spread"]);
        const s0 = night.df >= 10 ? night.sd : Math.SQRT2 * noise().score!.sd;
        const skip = design.first === "screened" ? 1 : 0;
        const d = pc.slice(skip).map((c, i) => c - pi[skip + i]!);
        if (d.length < 2) return { score: { sd: s0, df: nu0, robustSd: null } };
        const m = d.reduce((a, b) => a + b, 0) / d.length;
        const ss = d.reduce((a, b) => a + (b - m) ** 2, 0);
        const df = nu0 + d.length - 1;
        return { score: { sd: Math.sqrt((nu0 * s0 * s0 + ss) / df), df, robustSd: null } };
      };
      const judgePairs = () =>
        judge({
          policy: policy(noise().score!.sd),
          incumbent: { score: pi },
          candidate: { score: pc },
          noise: noise(),
          pairNoise: args["own-spread"] !== undefined ? ownSpread() : pairNoise(),
          paired: design,
        });
      // The mean of the bar the candidate was screened against (--reopen bar reads it).
      let barMean = Number.NaN;
      if (design0 === "paired") {
        if (k - measuredAt >= 5) {
          inc.push(measure(incTruth, incScale));
          measuredAt = k;
        }
        // The bar: the runs the incumbent was kept on, then its runs since (screenBar).
        const sd = noise().score!.sd;
        const leveled = (args.bar === "level" || args.bar === "read") && level;
        let bar = leveled
          ? levelBar(level!, inc, SCREEN_RUNS, STRICT_SD * sd)
          : (args.bar === "after" ? inc : [...keptOn, ...inc]).slice(-SCREEN_RUNS);
        if (args.bar === "read" && history.length >= MIN_HISTORY && since.length > 0) {
          // As paired-screen.ts's readBar: the level and the runs since, read with the candidates.
          const read = screenedLevel({
            start: leveled
              ? withRuns(level!, inc, SCREEN_RUNS)
              : withRuns(undefined, bar, SCREEN_RUNS),
            candidates: since,
            sd,
            goal: 1,
            prior: fitEffects(history.slice(-HISTORY_WINDOW)),
          });
          const stand = Math.max(1, Math.min(SCREEN_RUNS, Math.round(read.runs)));
          bar = Array(stand).fill(read.mean + (leveled ? STRICT_SD * sd : 0));
        }
        barMean = mean(bar);
        cand.push(measure(truth, candScale));
        const z = (cand[0]! - mean(bar)) / sd;
        const screen = screenDesign(history, bar.length);
        history.push({ z, against: bar.length });
        const lowest = screen.grey ? screen.grey.from : screen.at;
        const first = judge({
          policy: policy(sd, lowest),
          incumbent: { score: bar },
          candidate: { score: cand },
          noise: noise(),
        });
        go = !first.final;
        if (!go && effect > 0) TALLY.screen++;
        if (go && screen.grey && z < screen.at) {
          // The grey zone: a second run, and the two runs' mean decides (paired-screen.ts).
          cand.push(measure(truth, candScale));
          const second = judge({
            policy: policy(noise().score!.sd, screen.grey.mean),
            incumbent: { score: bar },
            candidate: { score: [mean(cand)] },
            noise: noise(),
          });
          go = !second.final;
          if (!go && effect > 0) TALLY.grey++;
        }
        if (go) {
          // The first pair: the last screened run and the incumbent's run right after it.
          pc.push(cand.at(-1)!);
          pi.push(measure(incTruth, incScale));
          inc.push(pi[0]!);
          // The first pair keeps where the incumbent's run in it agrees with the bar, and the
          // boundary takes the screen down by the bars' staleness (as the engine, first-pair.ts).
          const iz = (pi[0]! - mean(bar)) / sd;
          zs.push(iz);
          const agrees = args["first-pair"] !== "off" && firstPairAgrees(iz, bar.length);
          const stale = args["first-pair"] !== "off" ? barStaleness(zs) : 0;
          design = {
            ...(agrees ? { firstPairKeeps: true } : {}),
            first: "screened",
            screenedAgainst: bar.length,
            ...creditedScreen(screen.at, screen.grey, stale),
          };
        }
      }
      let prefilled = pi.length > 0;
      while (go) {
        const p = pi.length;
        if (prefilled) prefilled = false;
        else if (firstSideFirst(seed * 7919 + k, p)) {
          pi.push(measure(incTruth, incScale));
          pc.push(measure(truth, candScale));
        } else {
          pc.push(measure(truth, candScale));
          pi.push(measure(incTruth, incScale));
        }
        if (pi.length > 1 || design0 !== "paired") {
          inc.push(pi.at(-1)!);
          cand.push(pc.at(-1)!);
        }
        measuredAt = k;
        const j = judgePairs();
        // A futility look at the screened design's first pair (--first-pair-futility Z): a first
        // pair reading under Z run sds is discarded there instead of going on to a second pair.
        const futile =
          !j.final &&
          pi.length === 1 &&
          design.first === "screened" &&
          args["first-pair-futility"] !== undefined &&
          (pc[0]! - pi[0]!) / noise().score!.sd < Number(args["first-pair-futility"]);
        if (futile) {
          if (effect > 0)
            TALLY.pairs.set("lost after 1 pair", (TALLY.pairs.get("lost after 1 pair") ?? 0) + 1);
          break;
        }
        if (j.final) {
          kept = j.status === "keep";
          if (effect > 0) {
            const key = `${kept ? "kept" : "lost"} after ${pi.length} pair${pi.length === 1 ? "" : "s"}`;
            TALLY.pairs.set(key, (TALLY.pairs.get(key) ?? 0) + 1);
          }
          // As the engine's pairNoise (decide/pair-noise.ts): a screened candidate's first pair
          // is left out (its run was chosen by the screen, and whether the trial went on, by it).
          const skip = design.first === "screened" ? 1 : 0;
          if (pi.length - skip > 1) {
            const d = pc.slice(skip).map((c, i) => c - pi[skip + i]!);
            const m = d.reduce((a, b) => a + b, 0) / d.length;
            pairSs += d.reduce((a, b) => a + (b - m) ** 2, 0);
            pairDf += d.length - 1;
          }
          break;
        }
      }
      // --reopen: a keep on its first pair is undone when the kept code's run after it reads no
      // better than the incumbent's run beside it (the one candidate run it had is the screened
      // one, whose spread nothing has measured).
      let afterRun: number | undefined;
      if (kept && design0 === "paired" && args.reopen !== "none" && pi.length === 1) {
        afterRun = measure(truth, candScale);
        cand.push(afterRun);
        const against =
          args.reopen === "beside" || args.reopen === "pairs-beside"
            ? pi[0]!
            : args.reopen === "pairs-both" || args.reopen === "fresh" || args.reopen === "clean"
              ? Math.max(pi[0]!, barMean)
              : barMean;
        if (afterRun <= against) {
          if (args.reopen !== "beside" && args.reopen !== "bar") {
            // The run after the keep and a fresh incumbent run beside it make a second pair, and
            // the pairs go on until the paired test decides again (fresh: the first pair set
            // aside, as one whose incumbent run left its bar is, and the pairs judged afresh).
            if (args.reopen === "fresh" || args.reopen === "clean") {
              pc.length = 0;
              pi.length = 0;
              design = { first: "fresh" };
            }
            // clean: the run after the keep in no pair; fresh pairs from the next run on.
            pc.push(args.reopen === "clean" ? measure(truth, candScale) : afterRun);
            afterRun = undefined;
            while (true) {
              pi.push(measure(incTruth, incScale));
              inc.push(pi.at(-1)!);
              const j = judgePairs();
              if (j.final || pi.length >= maxRuns) {
                kept = j.final && j.status === "keep";
                break;
              }
              const c = measure(truth, candScale);
              pc.push(c);
              cand.push(c);
            }
          } else kept = false;
          if (!kept) TALLY.reopened[effect > 0 ? "good" : "null"]++;
        }
      }
      if (!kept && design0 === "paired") since.push([...cand]);
      if (kept && design0 === "paired") {
        // Scored on runs made after its keep: one now; the runs it was kept on start its bar.
        keptOn = pc.slice(1);
        // The level (paired-screen.ts, keptLevels), from what the night knew of the replaced
        // incumbent (its own level, its runs since; not its runs beside this candidate): the bar
        // starts from it instead, STRICT_SD on the strict side.
        const before = withRuns(
          level ?? undefined,
          inc.slice(0, inc.length - pi.length),
          SCREEN_RUNS,
        );
        level =
          history.length >= MIN_HISTORY
            ? keptLevel({
                before,
                beside: pi,
                candidate: cand,
                sd: noise().score!.sd,
                goal: 1,
                prior: fitEffects(history.slice(-HISTORY_WINDOW)),
              }).level
            : null;
        inc =
          afterRun !== undefined
            ? [afterRun]
            : args["no-after-keep"] && level && level.runs >= 1
              ? []
              : [measure(truth, candScale)];
        since = [];
        groups.push(inc);
      }
      if (kept && design0 !== "paired") {
        inc = cand;
        groups.push(inc);
      }
    }
    if (kept) {
      if (effect <= 0) falseKeeps++;
      if (noisier) TALLY.noisier.kept++;
      incScale = candScale;
      if (process.env.DEBUG && effect < 0) console.log("kept worse", k, design0);
      if (effect > 0) keptGood++;
      trueGain += effect;
      incTruth = truth;
      if (design0 === "unpaired") groups.push(inc);
    }
  }
  return { runs: clock, candidates: plan.length, falseKeeps, keptGood, trueGain };
}

const nulls = Number(args.zero) + Number(args.worse);
console.log(
  `noise ${args.noise}, drift ${drift} sd/run${args.spike ? ", +3 sd spike during the baseline" : ""}, max_runs ${maxRuns}, ${nights} nights of ${Number(args.zero)}/${Number(args.effect)}/${Number(args.worse)} (0 / +2 / -2 sd)`,
);
console.log("design     false keeps   power at +2 sd   runs/candidate   true gain (sd)");
for (const design of args.designs.split(",") as Design[]) {
  TALLY.screen = 0;
  TALLY.grey = 0;
  TALLY.pairs.clear();
  TALLY.chosen.clear();
  TALLY.noisier = { tried: 0, kept: 0 };
  TALLY.reopened = { good: 0, null: 0 };
  let fk = 0;
  let good = 0;
  let runs = 0;
  let cands = 0;
  let gain = 0;
  for (let s = 1; s <= nights; s++) {
    const r = night(design, s);
    fk += r.falseKeeps;
    good += r.keptGood;
    runs += r.runs;
    cands += r.candidates;
    gain += r.trueGain;
  }
  console.log(
    `${design.padEnd(10)} ${`${((100 * fk) / (nulls * nights)).toFixed(2)}%`.padStart(11)}   ${`${((100 * good) / (Number(args.effect) * nights)).toFixed(1)}%`.padStart(14)}   ${(runs / cands).toFixed(2).padStart(14)}   ${(gain / nights).toFixed(1).padStart(14)}`,
  );
  if (args.reopen !== "none")
    console.log(
      `  first-pair keeps reopened by their run after the keep: ${TALLY.reopened.good} real gains, ${TALLY.reopened.null} that did nothing or harmed`,
    );
  if (TALLY.noisier.tried > 0)
    console.log(
      `  no-op changes that multiply the noise by ${args.noisier!.split(":")[1]}: ${TALLY.noisier.tried} tried, ${((100 * TALLY.noisier.kept) / TALLY.noisier.tried).toFixed(2)}% kept`,
    );
  // The unpaired design has neither a chosen screen nor pairs: nothing to break down.
  if (args.breakdown && design !== "unpaired") {
    const of = Number(args.effect) * nights;
    const pct = (n: number) => `${((100 * n) / of).toFixed(1)}%`;
    console.log(
      `  +2 sd changes: lost on the first run ${pct(TALLY.screen)}, on the second look ${pct(TALLY.grey)}`,
    );
    for (const [key, n] of [...TALLY.pairs].sort())
      console.log(`  +2 sd changes ${key}: ${pct(n)}`);
    const chosen = [...TALLY.chosen].sort((a, b) => b[1] - a[1]);
    const total = chosen.reduce((sum, [, n]) => sum + n, 0);
    for (const [key, n] of chosen.slice(0, 5))
      console.log(`  screen chosen ${((100 * n) / total).toFixed(0)}% of the time: ${key}`);
  }
}
