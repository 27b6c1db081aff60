import { fmt } from "../decide/fmt.ts";
import type { Noise } from "../decide/noise.ts";
import type { Policy, Samples } from "../decide/policy.ts";
import { chooseScreen } from "../decide/screen-choice.ts";
import { mean } from "../decide/stats.ts";
import type { EngineContext, Verdict } from "./experiment.ts";

/** The incumbent's latest runs a candidate's first run is screened against. */
export const SCREEN_RUNS = 10;

/** Paired measurement's screen (evaluate-paired.ts): where it sits, and a first run against it. */
export interface Screen {
  /** The policy for the first run's judgement: the primary objective's min_delta raised to the screen. */
  policy: Policy;
  /** Whether the screen sits above min_delta (a discard under it is the screen's, not min_delta's). */
  raised: boolean;
  /** Why a first run under the screen is discarded. */
  reason: string;
  record: NonNullable<Verdict["screen"]>;
}

/**
 * Where the screen sits for this candidate (decide.screen_sd; auto: chosen from the night's first
 * runs on record, decide/screen-choice.ts) and how its first run scored against it. Null where
 * the run-to-run noise is not known yet (the screen is min_delta's).
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
  const history = ctx.store.log!.results.flatMap((r) =>
    r.screen ? [{ z: r.screen.z, against: r.screen.against }] : [],
  );
  const choice =
    setting === "auto"
      ? chooseScreen(history, {
          maxRuns: policy.maxRuns,
          alpha: 1 - policy.confidence,
          minDelta: minDeltaSd,
          screenRuns: SCREEN_RUNS,
        })
      : { at: setting, why: "decide.screen_sd" };
  const at = Math.max(choice.at, minDeltaSd);
  const gain = (ctx.goal === "minimize" ? -1 : 1) * (first - mean(runs));
  const z = gain / sd;
  const r3 = (x: number) => Number(x.toPrecision(3));
  return {
    policy: {
      ...policy,
      objectives: policy.objectives.map((o) =>
        o === objective ? { ...o, minDelta: Math.max(o.minDelta, at * sd) } : o,
      ),
    },
    raised: at > minDeltaSd,
    reason: `${gain > 0 ? "better" : "worse"} by ${fmt(Math.abs(gain))} (${r3(z)} sd) in its first run, under the screen at ${r3(at)} sd (${choice.why}): not measured in pairs`,
    record: { at: r3(at), z: r3(z), against: runs.length },
  };
}
