import type { ResultEntry } from "../ledger/types.ts";
import { type CompareWithin, stratumOf } from "./strata.ts";

/**
 * Candidates in a row screened out on one stratum, none of them beside an incumbent run there,
 * after which the next one there is measured in pairs from its first run (evaluate.ts). A bar
 * that stands high on one worker screens out nearly everything there, real gains too, and a
 * screened-out trial runs nothing that would show it: on bench/noise's 4 offset workers, one
 * worker's bars stood 2 to 4 sd high for 120 of a night's 165 candidates, after one outlying run
 * of the incumbent there set the offsets between workers. On a fair bar, ten in a row are rare
 * (about 1% of the time where two candidates in three are screened out).
 */
export const SCREENED_OUT_RUN = 10;

/**
 * How many of the latest candidates whose first run was on `stratum` were screened out (a
 * screened first run, no first pair), counted back from the end of the record to the first one
 * that met an incumbent run there (a first pair, or pairs from its first run). Pure.
 */
export function screenedOutInARow(
  results: readonly ResultEntry[],
  within: CompareWithin,
  stratum: string,
): number {
  let count = 0;
  for (let i = results.length - 1; i >= 0; i--) {
    const r = results[i]!;
    if (r.status === "baseline") break;
    if (!r.runs_on?.length || stratumOf(within, r.runs_on[0]) !== stratum) continue;
    if (!r.screen || r.screen.incumbent_z !== undefined) break;
    count++;
  }
  return count;
}
