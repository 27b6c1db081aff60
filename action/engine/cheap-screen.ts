import { createHash } from "node:crypto";
import type { Config, MetricSpec } from "../config/schema.ts";
import { goalMetrics } from "../config/validate-config.ts";
import type { Stop } from "../decide/budget.ts";
import { fmt } from "../decide/fmt.ts";
import { mean } from "../decide/stats.ts";
import { cheapNoise, cheapTransfer, TRANSFER_FLOOR } from "../decide/transfer.ts";
import type { CheapRecord, CheapStop } from "../ledger/types.ts";
import type { Candidate, CheapDiscardVerdict, EngineContext, FailedVerdict } from "./experiment.ts";
import { round } from "./propose.ts";
import type { CheckedOutcome, Slot } from "./slot.ts";

/** The incumbent's cheap runs made before a candidate is compared with them (after each keep). */
export const CHEAP_INCUMBENT_RUNS = 3;
/** The incumbent's latest cheap runs a candidate is compared with. */
export const CHEAP_AGAINST = 10;
/**
 * A candidate passes when its cheap gain is above this many sds of a gain's noise. Measured on
 * bench/cheap-screen.ts --quick (related, 2 nights): 0.5 sd: 1.36x candidates per unit of eval
 * time, true gain 10.9; 1 sd: 1.52x, 14.4; 1.5 sd: 1.72x, 14.0 (without the cheap eval: 5.8).
 */
export const CHEAP_PASS_SD = 1.5;
/**
 * The share of failing candidates sent on to the full eval anyway: without them the transfer
 * would be measured only on candidates the cheap eval liked (a truncated sample, whose rank
 * correlation says little about the ones it discards).
 */
export const CHEAP_EXPLORE = 0.2;
/**
 * The share once the transfer is shown good (CONFIRM_MIN_N or more candidates with both and the
 * interval's lower end at TRANSFER_FLOOR or above): the measurement goes on, at less cost.
 */
export const CHEAP_EXPLORE_CONFIRMED = 0.05;
/**
 * Candidates with both evals before a good transfer cuts the exploration share: more than the
 * stop rule needs (TRANSFER_MIN_N), since cutting it early leaves the correlation measured on
 * few discarded candidates.
 */
export const CONFIRM_MIN_N = 12;

/** What the cheap eval says: on to the full eval (with its record), or the verdict it gave. */
export type CheapOutcome =
  | { go: true; record?: CheapRecord; stopped?: CheapStop }
  | { go: false; verdict: CheapDiscardVerdict | FailedVerdict };

/**
 * The cheap eval (eval.screen), run before the full eval: the candidate's one cheap run against
 * the incumbent's latest cheap runs (the incumbent runs it on this slot first while it has fewer
 * than CHEAP_INCUMBENT_RUNS). A candidate that does not beat them by CHEAP_PASS_SD sds of a gain's
 * noise is discarded without a full run, but for a seeded CHEAP_EXPLORE share, sent on anyway.
 * Runs through the slot as every eval run does (a fresh copy, the sandbox, the env, the frozen
 * check, a fresh AUTOEXP_SEED); the incumbent's and the candidate's cheap runs look the same to
 * the eval. Once the transfer to the full eval has been measured poor (decide/transfer.ts),
 * no longer run: the first candidate after says so. What it saw is the ledger as the candidate
 * began, so the outcome does not depend on timing. A failing incumbent: a `broken` stop.
 */
export async function cheapScreen(
  ctx: EngineContext,
  candidate: Candidate,
  slot: Slot,
): Promise<CheapOutcome | Stop> {
  const screen = ctx.config.eval.screen;
  if (!screen) return { go: true };
  const log = ctx.store.log!;
  const rows = log.results.slice(0, candidate.historyLength);
  const transfer = cheapTransfer(rows);
  if (transfer.state === "stopped") return { go: true };
  if (transfer.stopNow) return { go: true, stopped: transfer.stopNow };
  const { iteration, parent } = candidate;
  const commit = candidate.commit!;
  const { metric, goal, config } = cheapEval(ctx.config, ctx.goal);
  const frozen = log.config!.frozen_hashes;
  let seconds = 0;
  const run = async (code: string, name: string): Promise<CheckedOutcome> => {
    const outcome = await slot.evaluate(config, code, name, ctx.evalEnv, frozen);
    seconds += outcome.durationMs / 1000;
    return outcome;
  };
  const before = rows.flatMap((r) => (r.cheap?.of === parent.iteration ? r.cheap.incumbent : []));
  const made: number[] = [];
  while (before.length + made.length < CHEAP_INCUMBENT_RUNS) {
    const outcome = await run(parent.commit, `${iteration}-cheap-incumbent-${made.length}`);
    const value = outcome.metrics[metric];
    if (outcome.status !== "ok" || outcome.tampered.length > 0 || value === undefined)
      return {
        kind: "broken",
        reason: `the incumbent (#${parent.iteration}) failed the cheap eval (eval.screen) on worker ${slot.id} (${outcome.problem ?? `changed ${outcome.tampered.join(", ")}`}): the cheap eval is not reliable, so the batch stopped. Log: ${outcome.logPath}`,
      };
    made.push(value);
  }
  const outcome = await run(commit, `${iteration}-cheap`);
  const value = outcome.status === "ok" ? (outcome.metrics[metric] ?? null) : null;
  const against = [...before, ...made].slice(-CHEAP_AGAINST);
  const sign = goal === "minimize" ? -1 : 1;
  const gain = value === null ? null : sign * (value - mean(against));
  const noise = cheapNoise([
    ...rows,
    { cheap: { of: parent.iteration, incumbent: made } as CheapRecord },
  ]);
  const gainSd = noise.sd * Math.sqrt(1 + 1 / against.length);
  const threshold = noise.df >= 2 ? CHEAP_PASS_SD * gainSd : null;
  const r6 = (x: number) => Number(x.toPrecision(6));
  const record = (outcome: CheapRecord["outcome"]): CheapRecord => ({
    metric,
    of: parent.iteration,
    value,
    incumbent: made,
    against: against.length,
    gain: gain === null ? null : r6(gain),
    sd: noise.df > 0 ? r6(noise.sd) : null,
    threshold: threshold === null ? null : r6(threshold),
    outcome,
    seconds: round(seconds),
  });
  const base = {
    judgedAgainst: parent.iteration,
    ...(candidate.key ? { key: candidate.key } : {}),
    commit,
    samples: {},
    evalSeconds: round(seconds),
    tail: outcome.tail,
    score: null,
    delta: null,
    guard_pass: null,
  } as const;
  if (outcome.tampered.length > 0)
    return {
      go: false,
      verdict: {
        ...base,
        metrics: {},
        status: "violation",
        reason: `the cheap eval's run (eval.screen) changed frozen files: ${outcome.tampered.slice(0, 5).join(", ")}`,
        cheap: record("crashed"),
      },
    };
  if (gain === null)
    return {
      go: false,
      verdict: {
        ...base,
        metrics: {},
        status: outcome.status === "timeout" ? "timeout" : "crash",
        reason: `the cheap eval (eval.screen): ${outcome.problem ?? outcome.status}`,
        cheap: record("crashed"),
      },
    };
  if (threshold === null || gain > threshold) return { go: true, record: record("passed") };
  const words = `the cheap eval (eval.screen): ${metric} ${gain > 0 ? "better" : "worse"} by ${fmt(Math.abs(gain))} than the incumbent #${parent.iteration}'s ${against.length} cheap runs, under the ${fmt(threshold)} needed (${CHEAP_PASS_SD} sd of its noise, sd ${fmt(noise.sd)})`;
  const confirmed =
    transfer.n >= CONFIRM_MIN_N && transfer.ci !== null && transfer.ci[0] >= TRANSFER_FLOOR;
  if (explores(ctx.tag, iteration, confirmed ? CHEAP_EXPLORE_CONFIRMED : CHEAP_EXPLORE))
    return { go: true, record: record("explored") };
  return {
    go: false,
    verdict: {
      ...base,
      metrics: {},
      status: "discard",
      reason: `${words}: not given the full eval`,
      cheap: record("failed"),
    },
  };
}

/** The cheap eval's metric, its goal, and the config its runs use (only that metric is read). */
export function cheapEval(
  config: Config,
  primaryGoal: "minimize" | "maximize",
): { metric: string; goal: "minimize" | "maximize"; config: Pick<Config, "eval" | "frozen"> } {
  const screen = config.eval.screen!;
  const metric =
    screen.metric ??
    (config.decide.rule === "weighted" ? goalMetrics(config)[0]! : undefined) ??
    config.decide.primary ??
    goalMetrics(config)[0]!;
  const declared: MetricSpec | undefined = config.eval.metrics[metric];
  const goal = declared?.goal ?? primaryGoal;
  return {
    metric,
    goal,
    config: {
      frozen: config.frozen,
      eval: {
        ...config.eval,
        command: screen.command,
        timeout: screen.timeout ?? config.eval.timeout,
        metrics: { [metric]: { goal } },
      },
    },
  };
}

/** The seeded draw that sends a failing candidate on to the full eval (same on a resume). */
export function explores(tag: string, iteration: number, share = CHEAP_EXPLORE): boolean {
  const h = createHash("sha256").update(`${tag}/${iteration}/cheap`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < share;
}
