import { firstPairAgrees, type ScreenGrey } from "../decide/boundary.ts";
import { barStaleness, STALE_WINDOW } from "../decide/first-pair.ts";
import { fmt } from "../decide/fmt.ts";
import {
  keptLevel,
  type Level,
  movedLevel,
  STRICT_SD,
  screenedLevel,
  withRuns,
} from "../decide/kept-level.ts";
import { SCREEN_RUNS } from "../decide/ledger-runs.ts";
import type { Noise } from "../decide/noise.ts";
import type { Policy, Samples } from "../decide/policy.ts";
import {
  atLeast,
  chooseScreen,
  describeScreen,
  designOf,
  fitEffects,
  HISTORY_WINDOW,
  MIN_HISTORY,
  type ScreenPoint,
  slackFor,
} from "../decide/screen-choice.ts";
import { mean } from "../decide/stats.ts";
import { type CompareWithin, type StrataSamples, splitByStratum } from "../decide/strata.ts";
import { judgedAgainst, KEPT, type ResultEntry } from "../ledger/types.ts";
import type { EngineContext, Verdict } from "./experiment.ts";
import { nightLeft } from "./night-left.ts";

/** Paired measurement's screen (evaluate-paired.ts): where it sits, and a first run against it. */
export interface Screen {
  /**
   * The policy for the first run's judgement: the primary objective's min_delta raised to the
   * lowest first run that is not discarded (the grey zone's lower edge, else the screen).
   */
  policy: Policy;
  /** Whether that sits above min_delta (a discard under it is the screen's, not min_delta's). */
  raised: boolean;
  /** Why a first run under it is discarded. */
  reason: string;
  /** The first run is in the grey zone: it passes only on a second look (secondLook). */
  grey: ScreenGrey | null;
  record: NonNullable<Verdict["screen"]>;
}

/** The second look at a candidate whose first run fell in the grey zone. */
export interface SecondLook {
  /** The policy for the mean of the two runs: min_delta raised to the grey zone's bar for it. */
  policy: Policy;
  /** The candidate's two runs as one (their mean), for that judgement. */
  mean: Samples;
  /** Why the mean under the bar is discarded. */
  reason: string;
  record: NonNullable<Verdict["screen"]>;
}

/**
 * Where the screen sits for this candidate (decide.screen_sd; auto: chosen from the night's first
 * runs on record, decide/screen-choice.ts, with or without a grey zone) and how its first run
 * scored against it. Null where the run-to-run noise is not known yet (the screen is min_delta's).
 */
export function screenFor(
  ctx: EngineContext,
  policy: Policy,
  noise: Record<string, Noise>,
  against: Samples,
  cand: Samples,
): Screen | null {
  const sd = noise[ctx.metric]?.sd ?? 0;
  const runs = against[ctx.metric] ?? [];
  const first = cand[ctx.metric]?.[0];
  const objective = policy.objectives.find((o) => o.name === ctx.metric);
  if (!(sd > 0) || runs.length === 0 || first === undefined || !objective) return null;
  const minDeltaSd = objective.minDelta / sd;
  const setting = ctx.config.decide.screen_sd;
  const history = screenHistory(ctx);
  const left = setting === "auto" ? nightLeft(ctx) : undefined;
  const choice =
    setting === "auto"
      ? chooseScreen(history, {
          maxRuns: policy.maxRuns,
          alpha: 1 - policy.confidence,
          minDelta: minDeltaSd,
          // The bar it has: a bar of one run screens far less surely than one of ten.
          screenRuns: runs.length,
          perRunSlack: slackFor(ctx.workers),
          ...(left ? { left } : {}),
        })
      : { ...designOf(setting), why: "decide.screen_sd" };
  const design = atLeast(choice, minDeltaSd);
  const lowest = design.grey ? design.grey.from : design.at;
  const z = gainOf(ctx, first, runs) / sd;
  const record = {
    at: r3(design.at),
    z: r3(z),
    against: runs.length,
    ...(design.grey ? { grey: { from: r3(design.grey.from), mean: r3(design.grey.mean) } } : {}),
  };
  return {
    policy: raisedTo(policy, ctx.metric, lowest * sd),
    raised: lowest > minDeltaSd,
    reason: `${z > 0 ? "better" : "worse"} by ${fmt(Math.abs(z * sd))} (${r3(Math.abs(z))} sd) in its first run, under the screen at ${describeScreen(design)} (${choice.why}): not measured in pairs`,
    grey: design.grey && z < design.at ? design.grey : null,
    record,
  };
}

/**
 * The grey zone's second look: the mean of the candidate's two first runs against the runs the
 * first was screened against, judged as one run with min_delta raised to the zone's bar.
 */
export function secondLook(
  ctx: EngineContext,
  screen: Screen & { grey: ScreenGrey },
  noise: Record<string, Noise>,
  against: Samples,
  cand: Samples,
): SecondLook {
  const sd = noise[ctx.metric]!.sd;
  const mean2 = Object.fromEntries(Object.entries(cand).map(([k, v]) => [k, [mean(v)]]));
  const z = gainOf(ctx, mean2[ctx.metric]![0]!, against[ctx.metric]!) / sd;
  return {
    policy: raisedTo(screen.policy, ctx.metric, screen.grey.mean * sd),
    mean: mean2,
    reason: `${z > 0 ? "better" : "worse"} by ${fmt(Math.abs(z * sd))} (${r3(Math.abs(z))} sd) over its two first runs (the first ${screen.record.z} sd, in the screen's grey zone from ${screen.grey.from} sd), under the bar for their mean at ${r3(screen.grey.mean)} sd: not measured in pairs`,
    record: { ...screen.record, second: r3(z) },
  };
}

/**
 * The incumbent's run in the candidate's first pair against the bar the candidate was screened
 * against: the record gains its z (`incumbent_z`, as a gain), and the first pair is a look of the
 * paired test when that run agrees with the bar (decide/boundary.ts, firstPairAgrees). With the night's latest
 * first pairs, it says how stale the bars have stood (`stale`, barStaleness), where they have.
 */
export function firstPair(
  ctx: EngineContext,
  screen: Screen,
  noise: Record<string, Noise>,
  against: Samples,
  incumbentRun: number,
): { keeps: boolean; record: NonNullable<Verdict["screen"]> } {
  const runs = against[ctx.metric]!;
  const z = r3(gainOf(ctx, incumbentRun, runs) / noise[ctx.metric]!.sd);
  const stale = r3(barStaleness([...firstPairZs(ctx), z]));
  return {
    keeps: firstPairAgrees(z, runs.length),
    record: { ...screen.record, incumbent_z: z, ...(stale > 0 ? { stale } : {}) },
  };
}

/**
 * The night's latest first pairs' `incumbent_z` on record, oldest first: the STALE_WINDOW - 1
 * before this one (decide/first-pair.ts, barStaleness), read from the end of the ledger.
 */
function firstPairZs(ctx: EngineContext): number[] {
  const results = ctx.store.log!.results;
  const out: number[] = [];
  for (let i = results.length - 1; i >= 0 && out.length < STALE_WINDOW - 1; i--) {
    const z = results[i]!.screen?.incumbent_z;
    if (z !== undefined) out.push(z);
  }
  return out.reverse();
}

/** The night's screened first runs on record, oldest first (what the screen is chosen from). */
export function screenHistory(ctx: EngineContext): ScreenPoint[] {
  return ctx.store.log!.results.flatMap((r) =>
    r.screen ? [{ z: r.screen.z, against: r.screen.against }] : [],
  );
}

/** What the night knows of the incumbent on each stratum, and the stratum the candidate ran on. */
export interface IncumbentRuns {
  within: CompareWithin;
  stratum: string;
  /** Its runs on record (its score's: never the runs it was kept on), by stratum. */
  runs: StrataSamples;
  /** Its own level on the candidate's stratum, where it was kept in pairs with one there. */
  level?: Level;
}

/**
 * The bar a candidate's first run is screened against, read with the candidates screened against
 * the same incumbent on the same stratum since its keep (decide/kept-level.ts, screenedLevel): a
 * bar that stands high keeps more candidates under it, and they say so. `bar` is the incumbent's
 * bar there (evaluate.ts, screenAgainst): its level standing in for runs, then its runs since; or
 * its runs alone where it has no level (the baseline; code kept before the night's first runs
 * said how often its proposals help). It stands for as many runs as the posterior is worth
 * (SCREEN_RUNS at most), on the level's strict side where the row has one. Unchanged until the
 * night has MIN_HISTORY first runs, and while no candidate has been screened against it.
 */
export function readBar(
  ctx: EngineContext,
  incumbent: number,
  where: IncumbentRuns,
  bar: Record<string, number[]>,
  strict: number,
  sd: number,
): Record<string, number[]> {
  const history = screenHistory(ctx);
  const candidates = beside(ctx, incumbent, where);
  const runs = bar[ctx.metric] ?? [];
  if (history.length < MIN_HISTORY || candidates.length === 0 || runs.length === 0 || !(sd > 0))
    return bar;
  const start = where.level
    ? withRuns(where.level, where.runs[where.stratum]?.[ctx.metric] ?? [], SCREEN_RUNS)
    : withRuns(undefined, runs, SCREEN_RUNS);
  const read = screenedLevel({
    start,
    candidates,
    sd,
    goal: ctx.goal === "minimize" ? -1 : 1,
    prior: fitEffects(history.slice(-HISTORY_WINDOW)),
  });
  const stand = Math.max(1, Math.min(SCREEN_RUNS, Math.round(read.runs)));
  return { ...bar, [ctx.metric]: Array.from({ length: stand }, () => read.mean + strict) };
}

/**
 * The runs on the primary metric of each candidate judged against `incumbent` since its keep
 * (rows after its own, not kept, judged against it: on several workers, rows recorded after a
 * later keep were judged against that one unless they say otherwise) on `where`'s stratum: the
 * latest HISTORY_WINDOW of them.
 */
function beside(ctx: EngineContext, incumbent: number, where: IncumbentRuns): number[][] {
  const all = ctx.store.log!.results;
  // From the incumbent's own row on: what came before was judged against earlier incumbents, and
  // the cost stays that of the rows since its keep.
  const start = all.findLastIndex((r) => r.iteration === incumbent);
  const results = all.slice(Math.max(0, start));
  const against = judgedAgainst(results);
  // Nor from before a drift reset of it: those ran on the machine as it was (a machine 12 sd
  // slower since read candidates from before as 12 sd gains, and took its bar back down to them).
  const reset = ctx.store.log!.remeasures.findLast((m) => m.reset && m.iteration === incumbent);
  const out: number[][] = [];
  for (let i = results.length - 1; i >= 0; i--) {
    const r = results[i]!;
    if (r.iteration === incumbent || r.iteration === reset?.after) break;
    if (KEPT.has(r.status) || against[i] !== incumbent) continue;
    const runs =
      where.within === "any"
        ? r.samples?.[ctx.metric]
        : splitByStratum(r.samples ?? {}, r.runs_on, where.within)[where.stratum]?.[ctx.metric];
    if (runs && runs.length > 0) out.push(runs);
    // The latest are plenty (the bar stands for 10 runs at most), and cost stays flat on a long
    // plateau.
    if (out.length === HISTORY_WINDOW) break;
  }
  return out.reverse();
}

/**
 * Code just kept in pairs: its level on the primary metric on every stratum its incumbent has runs
 * on (decide/kept-level.ts), for the screen's bar from now on (ResultEntry.level), with the bar's
 * strict side (STRICT_SD) to add. Where it was decided, from its runs, the incumbent's beside
 * them, and what the night knew of the incumbent there: its own level (without the strict side: a
 * margin built on a margin would add up over a night's keeps) and its runs since. On another
 * stratum, the incumbent's runs there moved by the gain: not its level there, which was itself
 * moved, so that a moved level built on a moved level would carry every keep's error in the gain
 * on (on 4 workers, bars 1.5 run sds high on one night of two). The prior is fitted on `history`,
 * the night's first runs as the candidate began (screenHistory), so that the record does not
 * depend on what other workers recorded meanwhile. Null until the night's first runs say how
 * often its proposals help (MIN_HISTORY), or where the noise is not known.
 */
export function keptLevels(
  ctx: EngineContext,
  history: readonly ScreenPoint[],
  where: IncumbentRuns,
  incumbent: Samples,
  candidate: Samples,
  sd: number,
): NonNullable<ResultEntry["level"]> | null {
  const beside = incumbent[ctx.metric] ?? [];
  const runs = candidate[ctx.metric] ?? [];
  if (history.length < MIN_HISTORY || !(sd > 0) || runs.length === 0 || beside.length === 0)
    return null;
  const prior = fitEffects(history.slice(-HISTORY_WINDOW));
  const goal = ctx.goal === "minimize" ? -1 : 1;
  const here = keptLevel({
    before: withRuns(where.level, where.runs[where.stratum]?.[ctx.metric] ?? [], SCREEN_RUNS),
    beside,
    candidate: runs,
    sd,
    goal,
    prior,
  });
  const strata: Record<string, Level> = { [where.stratum]: rounded(here.level) };
  for (const stratum of Object.keys(where.runs)) {
    const there = withRuns(undefined, where.runs[stratum]?.[ctx.metric] ?? [], SCREEN_RUNS);
    if (stratum !== where.stratum && there.runs > 0)
      strata[stratum] = rounded(movedLevel(there, here.gain, sd, goal));
  }
  const strict = Number((goal * STRICT_SD * sd).toPrecision(12));
  return { metric: ctx.metric, within: where.within, strict, strata };
}

function rounded(level: Level): Level {
  return { mean: Number(level.mean.toPrecision(12)), runs: r3(level.runs) };
}

/**
 * Why a keep decided on its first pair is reopened by the kept code's run after the keep, or null
 * when that run bears the keep out. The one-pair test takes the candidate to be as noisy as the
 * night, and its one run in that pair was chosen by the screen: a change that does nothing but
 * add noise passes it far more often than the confidence says. Its run after the keep, read no
 * better than the runs it was screened against or than the incumbent's run beside it, sets that
 * pair aside and sends the trial back to fresh pairs (that run and a fresh incumbent run beside it
 * the first) until the paired test decides again. Measured (bench/paired-model.ts, 20 nights;
 * --reopen fresh, against no reopening): noise as the night's, false keeps 2.61% to 1.80%, power
 * 64.3% to 63.3%, 2.03 to 2.10 runs per candidate; 5% of the no-ops doubling the noise, those
 * kept 21.4% to 11.2%, false keeps 5.00% to 2.22%, power 38.2% to 47.0%. Going on from the first
 * pair instead (--reopen pairs-both): 1.96%, 64.5%, 2.10; 15.8%, 3.46%, 41.9%. Reopening can only
 * undo keeps the test made, so false keeps stay within its confidence.
 */
export function reopenedBy(
  ctx: EngineContext,
  after: number,
  against: readonly number[],
  beside: number,
): string | null {
  const overBar = gainOf(ctx, after, against);
  const overBeside = gainOf(ctx, after, [beside]);
  if (overBar > 0 && overBeside > 0) return null;
  const short =
    overBar <= 0
      ? `the ${against.length === 1 ? "run" : `${against.length} runs' mean`} it was screened against (${fmt(mean(against))})`
      : `the incumbent's run beside it (${fmt(beside)})`;
  return `kept on its first pair, then its run after the keep read ${fmt(after)}, no better than ${short}: measured in pairs again`;
}

function gainOf(ctx: EngineContext, run: number, against: readonly number[]): number {
  return (ctx.goal === "minimize" ? -1 : 1) * (run - mean(against));
}

function raisedTo(policy: Policy, metric: string, minDelta: number): Policy {
  return {
    ...policy,
    objectives: policy.objectives.map((o) =>
      o.name === metric ? { ...o, minDelta: Math.max(o.minDelta, minDelta) } : o,
    ),
  };
}

const r3 = (x: number) => Number(x.toPrecision(3));
