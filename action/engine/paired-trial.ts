import { randomInt } from "node:crypto";
import type { Stop } from "../decide/budget.ts";
import { withWeightedScore } from "../decide/build-policy.ts";
import { lastKept } from "../decide/ledger-state.ts";
import { addSamples, appendSamples, meansOf } from "../decide/samples.ts";
import { candidateRun, incumbentRun, runFailure } from "./eval-runs.ts";
import type { Candidate, EngineContext, FailedVerdict, LostVerdict } from "./experiment.ts";
import type { Screen } from "./paired-screen.ts";
import { round } from "./propose.ts";
import type { CheckedOutcome, Slot } from "./slot.ts";

/** The worker (and its device) a run was made on. */
type RunsOn = { worker: number; device: Slot["device"] };

/** A new pair's seed: both its sides get it as AUTOEXP_SEED (common random numbers). */
export function drawSeed(): number {
  return randomInt(1, 2 ** 31);
}

/**
 * One paired trial's runs as they are made, on one slot: the candidate's, the incumbent's beside
 * them and each pair's seed, and what a verdict of the trial records of them, whatever ended it
 * (evaluate-paired.ts decides on them).
 */
export class PairedTrial {
  /** The candidate's runs, per metric, in the order made (the weighted score included). */
  readonly cand: Record<string, number[]> = {};
  /** The incumbent's runs beside them, per metric. */
  readonly inc: Record<string, number[]> = {};
  /** Each pair's seed, in order; the incumbent's runs are recorded with them. */
  readonly seeds: number[] = [];
  /** The candidate's runs made so far: the next one's index (its log is `<iteration>-<runs>`). */
  runs = 0;
  /** The screen the first run met, as the record will show it (null: paired from the start). */
  screen: Screen | null = null;
  evalSeconds = 0;
  tail = "";
  readonly printedTwice = new Set<string>();
  readonly #ctx: EngineContext;
  readonly #candidate: Candidate;
  readonly #slot: Slot;
  readonly #linesDelta: number | undefined;
  readonly #here: RunsOn;
  /** Where each of the incumbent's runs beside the candidate ran. */
  readonly #incOn: RunsOn[] = [];
  #incSeconds = 0;

  constructor(
    ctx: EngineContext,
    candidate: Candidate,
    slot: Slot,
    linesDelta: number | undefined,
  ) {
    this.#ctx = ctx;
    this.#candidate = candidate;
    this.#slot = slot;
    this.#linesDelta = linesDelta;
    this.#here = { worker: slot.id, device: slot.device };
  }

  /** The experiment this trial measures. */
  get iteration(): number {
    return this.#candidate.iteration;
  }

  /**
   * One run of the candidate with the pair's seed: its metrics join `cand`, or, where it gave no
   * score, the verdict that ends the trial.
   */
  async runCandidate(seed: number): Promise<FailedVerdict | null> {
    const { iteration } = this.#candidate;
    const outcome = await candidateRun(
      this.#ctx,
      this.#slot,
      this.#candidate.commit!,
      iteration,
      this.runs++,
      { ...this.#ctx.evalEnv, AUTOEXP_SEED: String(seed) },
    );
    this.took(outcome);
    const failed = this.failed(outcome);
    if (failed) return failed;
    const baselineMeans = this.#ctx.store.log!.config!.baseline_metrics ?? {};
    addSamples(this.cand, withWeightedScore(outcome.metrics, this.#ctx.config, baselineMeans));
    return null;
  }

  /**
   * Takes runs of the candidate made outside the trial into it (its runs after a keep,
   * eval-runs.ts): a reopened keep's run after it is the candidate's side of its next pair.
   */
  adopt(runs: { samples: Record<string, number[]>; evalSeconds: number; tail: string }): void {
    appendSamples(this.cand, runs.samples);
    this.evalSeconds += runs.evalSeconds;
    this.tail = runs.tail;
  }

  /** Counts a run of the candidate's code made outside `runCandidate` (after a keep). */
  took(outcome: Pick<CheckedOutcome, "durationMs" | "tail" | "printedTwice">): void {
    this.evalSeconds += outcome.durationMs / 1000;
    this.tail = outcome.tail;
    for (const m of outcome.printedTwice) this.printedTwice.add(m);
  }

  /** One run of the incumbent beside the candidate, with the pair's seed; a failed one stops. */
  async runIncumbent(seed: number): Promise<Stop | null> {
    const { iteration, parent } = this.#candidate;
    const measured = await incumbentRun(
      this.#ctx,
      this.#slot,
      parent,
      `${iteration}-${this.runs}-incumbent-${this.#incOn.length}`,
      { ...this.#ctx.evalEnv, AUTOEXP_SEED: String(seed) },
    );
    if ("kind" in measured) return measured;
    this.#incSeconds += measured.seconds;
    addSamples(this.inc, measured.metrics);
    this.#incOn.push(this.#here);
    return null;
  }

  /** The verdict that a run without a score ends the trial with (as unpaired), or null. */
  failed(outcome: CheckedOutcome): FailedVerdict | null {
    const failed = runFailure(outcome, this.runs - 1);
    if (!failed) return null;
    const { parent } = this.#candidate;
    return {
      judgedAgainst: parent.iteration,
      score: null,
      delta: null,
      guard_pass: null,
      commit: this.#candidate.commit!,
      ...(this.#candidate.key ? { key: this.#candidate.key } : {}),
      evalSeconds: round(this.evalSeconds),
      tail: this.tail,
      samples: this.cand,
      ...this.#concurrent(),
      ...failed,
    };
  }

  /** What a verdict of this trial records of its runs: the first `ranRuns` on this worker. */
  ranHere(ranRuns: number) {
    const { commit, key } = this.#candidate;
    return {
      commit: commit!,
      ...(key ? { key } : {}),
      tail: this.tail,
      evalSeconds: round(this.evalSeconds),
      ...(this.#linesDelta !== undefined ? { linesDelta: this.#linesDelta } : {}),
      ...(this.printedTwice.size > 0 ? { printedTwice: [...this.printedTwice] } : {}),
      ...(this.screen ? { screen: this.screen.record } : {}),
      ...(this.#ctx.workers > 1
        ? { runsOn: Array.from({ length: ranRuns }, () => this.#here) }
        : {}),
      ...this.#concurrent(),
    };
  }

  /**
   * The keep elsewhere (several workers, pipelining) that replaced the incumbent this trial is
   * judged against, or null: read from the record as it stands now.
   */
  replacedBy(): number | null {
    const now = lastKept(this.#ctx.store.log!.results)?.iteration;
    return now === undefined || now === this.#candidate.parent.iteration ? null : now;
  }

  /**
   * Still in the running when a keep replaced its incumbent: stopped at this run boundary,
   * neither lost nor kept, and re-applied onto the new incumbent (steps.ts, isStale), where it is
   * tried once, from its screen on. Finished, a trial against an incumbent the record has left
   * could only lead to a second trial (a win is judged again on the new one): on four workers,
   * 41.6% of the +2 sd changes won a first trial and only 63.9% of those the second (bench/noise
   * --changes slots). The runs it made stay in the verdict for a record that ends here (the
   * batch stops before it is re-applied).
   */
  stopped(by: number): LostVerdict {
    const { parent } = this.#candidate;
    const metrics = meansOf(this.cand);
    const score = metrics[this.#ctx.metric]!;
    const runs = this.runs;
    return {
      status: "discard",
      undecided: true,
      stopped: true,
      judgedAgainst: parent.iteration,
      score,
      delta: Number((score - parent.score).toPrecision(12)),
      metrics,
      samples: this.cand,
      guard_pass: null,
      reason: `stopped after ${runs} run${runs === 1 ? "" : "s"}, still in the running: #${by} replaced #${parent.iteration}, the incumbent it was judged against, meanwhile`,
      ...this.ranHere(runs),
    };
  }

  /** The incumbent's runs beside the candidate, recorded as its re-measure (none: nothing). */
  #concurrent() {
    return this.#incOn.length > 0
      ? {
          concurrent: {
            samples: this.inc,
            runsOn: this.#incOn,
            evalSeconds: round(this.#incSeconds),
            paired: true as const,
            seeds: this.seeds,
          },
        }
      : {};
  }
}
