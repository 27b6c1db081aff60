/** One objective, candidate against incumbent: the gain (positive is better) and its spread. */
export interface Comparison {
  name: string;
  gain: number;
  se: number;
  sd: number;
  df: number;
  nC: number;
  nI: number;
  /** exact: zero measured spread; single: spread unknown; t: spread measured. */
  mode: "t" | "exact" | "single";
  /** Compared in pairs: nC = nI = the number of pairs, se of the mean paired difference. */
  paired?: true;
  /**
   * The degrees of freedom of the spread as known before this comparison's own runs (the
   * sequential boundary's `df`), where not `df - (nC - 1)`.
   */
  priorDf?: number;
  /** Compared within strata (device kinds or workers): each stratum's part. */
  strata?: StratumComparison[];
}

/** One stratum's part in a stratified comparison. */
export interface StratumComparison {
  stratum: string;
  /** Improvement of the candidate's mean over the incumbent's in this stratum (positive = better). */
  gain: number;
  runs: number;
  incumbentRuns: number;
}
