import type { Comparison, StratumComparison } from "./comparison.ts";
import type { Noise } from "./noise.ts";
import type { Objective, Samples } from "./policy.ts";
import { mean } from "./stats.ts";

/**
 * Comparisons within strata: a candidate is compared with incumbent runs made on the same kind
 * of device (or the same worker), never across devices, so a fixed offset between an H100 and
 * an H200, or between a worker running alone and workers running at once, is not read as
 * progress. Pure.
 */

/** `decide.compare_within`: what makes two runs comparable. */
export type CompareWithin = "device" | "worker" | "any";

/** Where one run ran, as `runs_on` records it. */
export interface RunOn {
  worker: number;
  device: string | null;
}

/** Samples per stratum, then per metric. */
export type StrataSamples = Record<string, Record<string, number[]>>;

/** Runs with no recorded worker ran with no other worker running: the baseline, a serial batch. */
export const SERIAL = "serial";

/** A GPU's kind: its name without the index ("NVIDIA H100 #3" -> "NVIDIA H100"). */
export function deviceKind(device: string): string {
  return device.replace(/ #\d+$/, "");
}

/** The stratum of one run: its device kind, its worker, or one for all (`any`). */
export function stratumOf(within: CompareWithin, run: RunOn | undefined): string {
  if (within === "any") return "all";
  if (!run) return SERIAL;
  if (within === "worker") return `worker ${run.worker}`;
  return run.device === null ? "cpu" : deviceKind(run.device);
}

/** Splits runs' samples (run i is index i of every metric) by the stratum each run ran in. */
export function splitByStratum(
  samples: Samples,
  runsOn: readonly RunOn[] | undefined,
  within: CompareWithin,
): StrataSamples {
  const out: StrataSamples = {};
  for (const [metric, values] of Object.entries(samples)) {
    values.forEach((v, i) => {
      const s = stratumOf(within, runsOn?.[i]);
      out[s] ??= {};
      out[s][metric] ??= [];
      out[s][metric].push(v);
    });
  }
  return out;
}

/** Adds `more` into `into`, stratum by stratum (a new object; neither input changes). */
export function mergeStrata(into: StrataSamples, more: StrataSamples): StrataSamples {
  const out: StrataSamples = {};
  for (const source of [into, more])
    for (const [s, metrics] of Object.entries(source))
      for (const [m, values] of Object.entries(metrics)) {
        out[s] ??= {};
        out[s][m] = [...(out[s][m] ?? []), ...values];
      }
  return out;
}

/** All strata's samples together, per metric. */
export function flattenStrata(strata: StrataSamples): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const metrics of Object.values(strata))
    for (const [m, values] of Object.entries(metrics)) {
      out[m] ??= [];
      out[m].push(...values);
    }
  return out;
}

/**
 * The candidate against the incumbent on one objective, stratum by stratum: in each stratum
 * where both ran, the difference of means d_s, with weight w_s = 1 / (1/nC_s + 1/nI_s) (the
 * inverse of its variance in units of the within-stratum noise); the gain is the weighted mean
 * of the d_s and its standard error sd / sqrt(sum w_s). A per-stratum offset cancels in every
 * d_s. With one stratum this is the plain two-sample comparison. Candidate runs in a stratum
 * the incumbent never ran in are not compared (the engine runs the incumbent there first).
 * `noise` must be the spread within strata (groups split by stratum).
 */
export function compareStrata(
  o: Objective,
  incumbent: StrataSamples,
  candidate: StrataSamples,
  noise: Noise,
): Comparison {
  const parts: StratumComparison[] = [];
  let weights = 0;
  let weighted = 0;
  for (const stratum of Object.keys(candidate).sort()) {
    const cand = candidate[stratum]?.[o.name] ?? [];
    const inc = incumbent[stratum]?.[o.name] ?? [];
    if (cand.length === 0 || inc.length === 0) continue;
    const diff = mean(inc) - mean(cand);
    const gain = o.goal === "minimize" ? diff : -diff;
    const w = 1 / (1 / cand.length + 1 / inc.length);
    weights += w;
    weighted += w * gain;
    parts.push({ stratum, gain, runs: cand.length, incumbentRuns: inc.length });
  }
  if (parts.length === 0)
    throw new Error(
      `no stratum holds runs of both the candidate (${Object.keys(candidate).join(", ") || "none"}) and the incumbent (${Object.keys(incumbent).join(", ") || "none"}) for ${o.name}`,
    );
  return {
    name: o.name,
    gain: weighted / weights,
    se: noise.sd / Math.sqrt(weights),
    sd: noise.sd,
    df: noise.df,
    nC: parts.reduce((n, p) => n + p.runs, 0),
    nI: parts.reduce((n, p) => n + p.incumbentRuns, 0),
    mode: noise.df === 0 ? "single" : noise.sd === 0 ? "exact" : "t",
    strata: parts,
  };
}
