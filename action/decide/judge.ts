import { FUTILITY_T, greyInPairSds, sequentialBoundary } from "./boundary.ts";
import { type Comparison, compare, eps } from "./compare.ts";
import { nondeterminism } from "./determinism.ts";
import { evidence } from "./evidence.ts";
import { fmt } from "./fmt.ts";
import { guardBreach } from "./guard-breach.ts";
import { judgeSimplification } from "./judge-simplification.ts";
import type { JudgeInput, Judgement } from "./judgement.ts";
import { keepReason } from "./keep-reason.ts";
import { notBetter } from "./not-better.ts";
import { softLimitBreach } from "./soft-limit-breach.ts";
import { tUpperTail } from "./stats.ts";

// The engine, tests and benches import the judge's types from here.
export type { JudgeInput, Judgement } from "./judgement.ts";
export type { Guards, Objective, Policy, Samples } from "./policy.ts";

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
 *    the pooled noise. Keep when t reaches the sequential boundary (boundary.ts): one critical
 *    t for every look, set so that P(keep | no effect) stays under 1 - confidence over all the
 *    looks together. Stop early when t < 0.5.
 * 4. A deterministic eval (zero spread over repeated runs) keeps a candidate better by more than
 *    min_delta on two runs that agree (with max_runs >= 2; one run is enough to discard). Runs of
 *    one candidate that disagree where the incumbent's agree, in an eval judged deterministic,
 *    mark it nondeterministic and it is not kept on them, whatever the noise estimate says by
 *    then (see determinism.ts). An unknown spread (one baseline run) is decided on one run
 *    against min_delta.
 */
export function judge(input: JudgeInput): Judgement {
  const { policy } = input;
  const breach = guardBreach(policy.guards, input.candidate);
  if (breach) return { final: true, status: "guard_fail", reason: breach, evidence: null };
  const alphaTotal = 1 - policy.confidence;
  const decisive = policy.rule === "pareto" ? policy.objectives : policy.objectives.slice(0, 1);
  const comparisons = decisive.map((o) => compare(o, input));
  const looks = Math.max(1, policy.maxRuns - 1);
  const sequential = policy.maxRuns > 1 && comparisons.every((c) => c.mode === "t");
  const n = comparisons[0]!.nC;
  // Counted with the screened run's pair, which the record's evidence leaves out: said so, or
  // "after 3 pairs" here read against "2 pairs" on the dashboard.
  const runs = !input.paired
    ? "runs"
    : input.paired.first !== "screened"
      ? "pairs"
      : input.paired.unscreened
        ? "pairs (the first on its first run, measured but not screened)"
        : "pairs (the first on its screened run)";
  const firstPairKeeps = input.paired?.first === "screened" && input.paired.firstPairKeeps === true;
  // The critical t of each decisive objective (the error split over them, as for pareto).
  const critical = (c: Comparison, o: (typeof decisive)[number]) =>
    sequentialBoundary({
      incumbentRuns: input.paired?.first === "screened" ? input.paired.screenedAgainst : c.nI,
      df: c.priorDf ?? Math.max(1, c.df - (c.nC - 1)),
      maxRuns: policy.maxRuns,
      alpha: alphaTotal / decisive.length,
      screenSd: screenSd(c, o),
      paired:
        input.paired?.first === "screened" && input.paired.unscreened
          ? "unscreened"
          : input.paired?.first,
      grey:
        input.paired?.first === "screened" && input.paired.screenGrey
          ? greyInPairSds(input.paired.screenGrey)
          : undefined,
      firstPairKeeps,
      freshScreenSd: c.sd > 0 ? o.minDelta / c.sd : 0,
    });
  // The screen in units of the comparison's sd: a pair's difference has twice a run's variance.
  const screenSd = (c: Comparison, o: (typeof decisive)[number]) => {
    const at = input.paired?.first === "screened" ? input.paired.screenSd : undefined;
    if (at !== undefined) return Math.max(at / Math.SQRT2, c.sd > 0 ? o.minDelta / c.sd : 0);
    return c.sd > 0 ? o.minDelta / c.sd : 0;
  };
  // A keep needs two runs, or two pairs: a step in the machine's speed between a pair's two runs
  // (a load spike starting) fools one pair, not two. The first pair may keep where its incumbent
  // run agreed with the bar the candidate was screened against (decide/boundary.ts, firstPairAgrees).
  const firstLook = firstPairKeeps ? 1 : 2;

  const improved = comparisons.filter((c, i) => {
    const o = decisive[i]!;
    if (c.gain <= o.minDelta + eps(c, input)) return false;
    if (!sequential) return true;
    return n >= firstLook && c.gain / c.se >= critical(c, o);
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

  const exact = comparisons.every((c) => c.mode === "exact");
  if (input.deterministic || exact) {
    const why = nondeterminism(decisive, input.incumbent, input.candidate);
    if (why) return { ...final("discard", why), nondeterministic: true };
  }
  // A deterministic eval keeps on two runs that agree: one lucky run of code that lies in some
  // of its runs is not a keep.
  if (exact && policy.maxRuns >= 2 && n < 2 && improved.length > 0 && worse.length === 0) {
    return {
      final: false,
      reason: `looks better by ${fmt(primary.gain)}: a deterministic eval keeps on two runs that agree`,
    };
  }

  if (improved.length > 0 && worse.length === 0) {
    const secondary = policy.rule === "primary" ? policy.objectives.slice(1) : [];
    const soft = secondary.flatMap((o) => softLimitBreach(o, input, alphaTotal) ?? []);
    if (soft.length > 0) return final("guard_fail", soft.join("; "));
    const o = decisive[comparisons.indexOf(best)]!;
    const kept = final("keep", keepReason(best, p, o.minDelta, sequential));
    if (!sequential || !kept.evidence) return kept;
    const boundary = {
      t: best.gain / best.se,
      critical: critical(best, o),
      max_runs: policy.maxRuns,
    };
    return { ...kept, evidence: { ...kept.evidence, boundary } };
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
  // The first pair holds the screened run, chosen for looking good: whichever way it reads, the
  // second pair is the first look that can discard (the boundary's design).
  if (n === 1 && input.paired?.first === "screened")
    return {
      final: false,
      reason:
        primary.gain > 0
          ? `looks better by ${fmt(primary.gain)} in its first pair: confirming`
          : `${primary.gain < 0 ? `worse by ${fmt(-primary.gain)}` : "no better"} in its first pair, beside its ${input.paired.unscreened ? "first" : "screened"} run: one more pair decides`,
    };
  if (n === 1) {
    const promising = comparisons.some((c, i) => c.gain >= decisive[i]!.minDelta);
    if (!promising) return final("discard", notBetter(primary, decisive[0]!.minDelta));
    return {
      final: false,
      reason: `looks better by ${fmt(primary.gain)}${input.paired ? " in its first pair" : ""}: confirming`,
    };
  }
  const ts = comparisons.map((c) => c.gain / c.se);
  if (ts.every((t) => t < FUTILITY_T)) {
    return final(
      "discard",
      `not confirmed: the improvement faded to ${fmt(primary.gain)} (${fmt(ts[0]!)} standard errors) after ${n} ${runs}`,
    );
  }
  if (n >= policy.maxRuns) {
    return {
      ...final(
        "discard",
        `not confirmed after ${n} ${runs}: t = ${fmt(ts[0]!)} (p = ${fmt(p ?? 1)}), needed ${fmt(critical(primary, decisive[0]!))} (confidence ${policy.confidence} over ${input.paired ? policy.maxRuns : looks} looks)`,
      ),
      undecided: true,
    };
  }
  return { final: false, reason: `p = ${fmt(p ?? 1)} after ${n} ${runs}: confirming` };
}
