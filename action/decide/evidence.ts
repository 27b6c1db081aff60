import type { Evidence } from "../ledger/types.ts";
import type { Comparison } from "./compare.ts";
import { tQuantileUpper, tUpperTail } from "./stats.ts";

/** What the ledger records of a comparison: the gain, and with a t-test its p and interval. */
export function evidence(c: Comparison, confidence: number): Evidence {
  return {
    ...plainEvidence(c, confidence),
    ...(c.paired ? { paired: true } : {}),
    ...(c.strata ? { strata: strataEvidence(c) } : {}),
  };
}

/** What each stratum contributed: where the candidate ran and how many incumbent runs it met. */
function strataEvidence(c: Comparison): NonNullable<Evidence["strata"]> {
  return (c.strata ?? []).map((s) => ({
    stratum: s.stratum,
    gain: Number(s.gain.toPrecision(6)),
    runs: s.runs,
    incumbent_runs: s.incumbentRuns,
  }));
}

function plainEvidence(c: Comparison, confidence: number): Evidence {
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
