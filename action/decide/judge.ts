import type { Evidence, Goal } from "../ledger/types.ts";
import { type Noise, UNKNOWN_NOISE } from "./noise.ts";
import { mean, tQuantileUpper, tUpperTail } from "./stats.ts";

export type Samples = Record<string, readonly number[]>;
export type Guards = Record<string, { min?: number | undefined; max?: number | undefined }>;

/** A metric the decision reads, with the direction that counts as better. */
export interface Objective {
  name: string;
  goal: Goal;
  /** The smallest improvement worth a closer look (confirmation) or, with one run, a keep. */
  minDelta: number;
  /** Secondary metrics only: how much worse they may get, in metric units (>= 0). */
  tolerance?: number | undefined;
  /** Secondary metrics only: the tolerance as a fraction of the incumbent's value (1 = may double). */
  relativeTolerance?: number | undefined;
}

export interface Policy {
  /** primary: objectives[0] must improve, the rest are soft limits. pareto: better on one, worse on none. */
  rule: "primary" | "pareto";
  objectives: readonly Objective[];
  guards: Guards;
  /** Confidence of a keep, e.g. 0.95: P(keep | no real effect) stays below 1 - confidence. */
  confidence: number;
  /** Most eval runs one candidate may get (1: decide on one run). */
  maxRuns: number;
  /** Keep a candidate with fewer lines that is equal within noise. */
  simplification: boolean;
}

export type Judgement =
  | { final: false; reason: string }
  | {
      final: true;
      status: "keep" | "simplification" | "discard" | "guard_fail";
      reason: string;
      evidence: Evidence | null;
    };

export interface JudgeInput {
  policy: Policy;
  incumbent: Samples;
  candidate: Samples;
  noise: Record<string, Noise>;
  /** Lines added minus lines removed in the target files (negative: the candidate is shorter). */
  linesDelta?: number | undefined;
}

/** A candidate "looks good" only when t reaches this; below it further runs are unlikely to help. */
const FUTILITY_T = 0.5;

interface Comparison {
  name: string;
  gain: number;
  se: number;
  sd: number;
  df: number;
  nC: number;
  nI: number;
  /** exact: zero measured spread; single: spread unknown; t: spread measured. */
  mode: "t" | "exact" | "single";
}

function compare(o: Objective, input: JudgeInput): Comparison {
  const inc = input.incumbent[o.name] ?? [];
  const cand = input.candidate[o.name] ?? [];
  const noise = input.noise[o.name] ?? UNKNOWN_NOISE;
  const diff = mean(inc) - mean(cand);
  const gain = o.goal === "minimize" ? diff : -diff;
  const mode = noise.df === 0 ? "single" : noise.sd === 0 ? "exact" : "t";
  const se = noise.sd * Math.sqrt(1 / cand.length + 1 / inc.length);
  return {
    name: o.name,
    gain,
    se,
    sd: noise.sd,
    df: noise.df,
    nC: cand.length,
    nI: inc.length,
    mode,
  };
}

/** Float rounding: 1 - 0.99 is 0.010000000000000009, which is not "more than 0.01". */
function eps(c: Comparison, input: JudgeInput): number {
  return 1e-12 * Math.max(1, Math.abs(mean(input.incumbent[c.name] ?? [0])));
}

function evidence(c: Comparison, confidence: number): Evidence {
  if (c.mode !== "t") {
    return {
      metric: c.name,
      gain: c.gain,
      effect_sigma: null,
      p: null,
      ci: null,
      runs: c.nC,
      incumbent_runs: c.nI,
      sd: c.sd,
      test: c.mode,
    };
  }
  const half = tQuantileUpper((1 - confidence) / 2, c.df) * c.se;
  return {
    metric: c.name,
    gain: c.gain,
    effect_sigma: c.gain / c.sd,
    p: tUpperTail(c.gain / c.se, c.df),
    ci: [c.gain - half, c.gain + half],
    runs: c.nC,
    incumbent_runs: c.nI,
    sd: c.sd,
    test: "t",
  };
}

const fmt = (x: number) => Number(x.toPrecision(4)).toString();

function guardBreach(guards: Guards, candidate: Samples): string | null {
  for (const [name, bound] of Object.entries(guards)) {
    const values = candidate[name];
    if (!values || values.length === 0) return `guard ${name} was not reported`;
    for (const v of values) {
      if (bound.max !== undefined && v > bound.max)
        return `guard ${name} = ${v} is above its max ${bound.max}`;
      if (bound.min !== undefined && v < bound.min)
        return `guard ${name} = ${v} is below its min ${bound.min}`;
    }
  }
  return null;
}

/**
 * How much worse a soft-limited metric got beyond what it may, when that is beyond noise.
 * Returns a reason, or null when the metric is within its limit.
 */
function softLimitBreach(o: Objective, input: JudgeInput, alpha: number): string | null {
  const c = compare(o, input);
  const incMean = mean(input.incumbent[o.name] ?? [0]);
  const allowed = (o.tolerance ?? 0) + (o.relativeTolerance ?? 0) * Math.abs(incMean);
  const excess = -c.gain - allowed;
  if (excess <= eps(c, input)) return null;
  if (c.mode === "t" && tUpperTail(excess / c.se, c.df) >= alpha) return null;
  const limit =
    o.relativeTolerance !== undefined
      ? `${fmt(o.relativeTolerance * 100)}% allowed`
      : `${fmt(allowed)} allowed`;
  return `${o.name} got worse by ${fmt(-c.gain)} (${limit}${c.mode === "t" ? ", beyond noise" : ""})`;
}

/**
 * Judges a candidate from its samples so far: keep, discard, guard_fail, simplification, or
 * "run it again". Pure: a function of the policy, the incumbent's and the candidate's samples,
 * and the noise estimate, so it is unit-tested without git or processes.
 *
 * The sequential rule (see README, "Deciding under noise"):
 * 1. Any guard outside its bound in any run: guard_fail, at once.
 * 2. After one run, a candidate whose improvement is below min_delta is discarded: a clearly
 *    worse candidate costs one eval.
 * 3. Otherwise it runs again, up to max_runs. After each run from the second on, a one-sided
 *    t-test of "the candidate is no better" on all its runs against all the incumbent's, with
 *    the pooled noise. Keep when p < (1 - confidence) / (max_runs - 1): the union bound over
 *    the looks keeps P(keep | no effect) under 1 - confidence. Stop early when t < 0.5.
 * 4. A deterministic eval (zero spread over repeated runs) or an unknown spread (one baseline
 *    run) is decided on one run against min_delta.
 */
export function judge(input: JudgeInput): Judgement {
  const { policy } = input;
  const breach = guardBreach(policy.guards, input.candidate);
  if (breach) return { final: true, status: "guard_fail", reason: breach, evidence: null };
  const alphaTotal = 1 - policy.confidence;
  const decisive = policy.rule === "pareto" ? policy.objectives : policy.objectives.slice(0, 1);
  const comparisons = decisive.map((o) => compare(o, input));
  const looks = Math.max(1, policy.maxRuns - 1);
  const alphaLook = alphaTotal / looks / decisive.length;
  const sequential = policy.maxRuns > 1 && comparisons.every((c) => c.mode === "t");
  const n = comparisons[0]!.nC;

  const improved = comparisons.filter((c, i) => {
    const o = decisive[i]!;
    if (c.gain <= o.minDelta + eps(c, input)) return false;
    if (!sequential) return true;
    return n >= 2 && tUpperTail(c.gain / c.se, c.df) < alphaLook;
  });
  const worse =
    policy.rule === "pareto"
      ? decisive.flatMap((o) => softLimitBreach(o, input, alphaTotal) ?? [])
      : [];
  const primary = comparisons[0]!;
  const best = improved[0] ?? primary;
  const p = best.mode === "t" ? tUpperTail(best.gain / best.se, best.df) : null;
  const final = (status: "keep" | "simplification" | "discard" | "guard_fail", reason: string) =>
    ({ final: true, status, reason, evidence: evidence(best, policy.confidence) }) as const;

  if (improved.length > 0 && worse.length === 0) {
    const secondary = policy.rule === "primary" ? policy.objectives.slice(1) : [];
    const soft = secondary.flatMap((o) => softLimitBreach(o, input, alphaTotal) ?? []);
    if (soft.length > 0) return final("guard_fail", soft.join("; "));
    return final(
      "keep",
      keepReason(best, p, decisive[comparisons.indexOf(best)]!.minDelta, sequential),
    );
  }

  const simpler = policy.simplification && (input.linesDelta ?? 0) < 0;
  if (!sequential) {
    if (
      simpler &&
      worse.length === 0 &&
      comparisons.every((c, i) => c.gain >= -decisive[i]!.minDelta - eps(c, input))
    ) {
      return final(
        "simplification",
        `equal within min_delta and ${-input.linesDelta!} line(s) shorter`,
      );
    }
    if (worse.length > 0) return final("discard", `worse: ${worse.join("; ")}`);
    return final("discard", notBetter(primary, decisive[0]!.minDelta));
  }

  if (simpler) return judgeSimplification(input, comparisons, decisive, worse);
  if (worse.length > 0 && n >= 2) return final("discard", `worse: ${worse.join("; ")}`);
  if (n === 1) {
    const promising = comparisons.some((c, i) => c.gain >= decisive[i]!.minDelta);
    if (!promising) return final("discard", notBetter(primary, decisive[0]!.minDelta));
    return { final: false, reason: `looks better by ${fmt(primary.gain)}: confirming` };
  }
  const ts = comparisons.map((c) => c.gain / c.se);
  if (ts.every((t) => t < FUTILITY_T)) {
    return final(
      "discard",
      `not confirmed: the improvement faded to ${fmt(primary.gain)} (${fmt(ts[0]!)} standard errors) after ${n} runs`,
    );
  }
  if (n >= policy.maxRuns) {
    return final(
      "discard",
      `not confirmed after ${n} runs: p = ${fmt(p ?? 1)}, needed < ${fmt(alphaLook)} (confidence ${policy.confidence}, ${looks} looks)`,
    );
  }
  return { final: false, reason: `p = ${fmt(p ?? 1)} after ${n} runs: confirming` };
}

/**
 * Equal within noise and shorter: runs to max_runs unless it is clearly worse (by 2 sd on its
 * first run, or worse beyond noise at any later look), then needs both "not worse beyond noise"
 * and a mean within min_delta of the incumbent.
 */
function judgeSimplification(
  input: JudgeInput,
  comparisons: readonly Comparison[],
  decisive: readonly Objective[],
  worse: readonly string[],
): Judgement {
  const { policy } = input;
  const n = comparisons[0]!.nC;
  const alpha = 1 - policy.confidence;
  const final = (status: "simplification" | "discard", reason: string) =>
    ({
      final: true,
      status,
      reason,
      evidence: evidence(comparisons[0]!, policy.confidence),
    }) as const;
  if (worse.length > 0) return final("discard", `shorter, but worse: ${worse.join("; ")}`);
  const clearlyWorse = comparisons.findIndex((c) =>
    n === 1 ? c.gain < -2 * c.sd : tUpperTail(-c.gain / c.se, c.df) < alpha,
  );
  if (clearlyWorse >= 0) {
    const c = comparisons[clearlyWorse]!;
    return final("discard", `shorter, but ${c.name} is worse by ${fmt(-c.gain)} (beyond noise)`);
  }
  if (n < policy.maxRuns) return { final: false, reason: "shorter: checking it is not worse" };
  const beyond = comparisons.findIndex((c, i) => c.gain < -decisive[i]!.minDelta - eps(c, input));
  if (beyond >= 0) {
    const c = comparisons[beyond]!;
    return final(
      "discard",
      `shorter, but ${c.name} is worse by ${fmt(-c.gain)}, more than min_delta ${fmt(decisive[beyond]!.minDelta)}`,
    );
  }
  return final(
    "simplification",
    `equal within noise over ${n} runs (change ${fmt(comparisons[0]!.gain)}) and ${-input.linesDelta!} line(s) shorter`,
  );
}

function keepReason(
  c: Comparison,
  p: number | null,
  minDelta: number,
  sequential: boolean,
): string {
  if (c.mode === "t" && !sequential)
    return `${c.name} better by ${fmt(c.gain)} > min_delta ${fmt(minDelta)} on ${c.nC} run(s), not confirmed (p = ${fmt(p!)})`;
  if (c.mode === "t")
    return `${c.name} better by ${fmt(c.gain)} (${fmt(c.gain / c.sd)} sd, p = ${fmt(p!)}, ${c.nC} vs ${c.nI} runs)`;
  if (c.mode === "exact")
    return `${c.name} better by ${fmt(c.gain)} > min_delta ${fmt(minDelta)} (deterministic eval)`;
  return `${c.name} better by ${fmt(c.gain)} > min_delta ${fmt(minDelta)} (one run, noise unknown)`;
}

function notBetter(c: Comparison, minDelta: number): string {
  if (c.gain <= 0)
    return `not better (${c.name} ${c.gain === 0 ? "unchanged" : `worse by ${fmt(-c.gain)}`})`;
  return `improved by ${fmt(c.gain)}, not more than min_delta ${fmt(minDelta)}`;
}
