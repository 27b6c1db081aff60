import type { Goal } from "../ledger/types.ts";

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
