/**
 * A change that beat the incumbent it was made for while a keep elsewhere replaced it is re-applied
 * onto the new incumbent and measured there in pairs, its first run not screened
 * (screen.won_against; test/helpers/retrial.ts runs it as evaluate-paired.ts does). Which boundary
 * may its pairs use? Its first trial says nothing of its gain over the new incumbent: two workers'
 * changes that do the same thing (both raise the learning rate) each beat the old incumbent, and
 * the second does nothing on the first. So its pairs alone must hold false keeps to
 * 1 - confidence. Printed, for a change that does nothing and one of +2 run sds over the new
 * incumbent: the share kept and eval runs per re-trial, under the boundary for a first run no screen
 * chose (boundary.ts "unscreened") over RETRIAL_RUNS x max_runs pairs (the rule,
 * action/engine/evaluate-paired.ts) and over max_runs pairs (the rule before 2026-12-07), and under
 * the boundary of each screen the night may have chosen, which credits a selection the run did
 * not have (the rule before that).
 *
 *   node bench/retrial.ts [--trials 20000] [--max-runs 5] [--confidence 0.95]
 *
 * About 25 seconds.
 */
import { parseArgs } from "node:util";
import type { PairedDesign } from "../action/decide/judgement.ts";
import { SCREENS } from "../action/decide/screen-choice.ts";
import { RETRIAL_RUNS } from "../action/engine/evaluate-paired.ts";
import { retrials, UNSCREENED_RETRIAL } from "../test/helpers/retrial.ts";

const { values: args } = parseArgs({
  options: {
    trials: { type: "string", default: "20000" },
    "max-runs": { type: "string", default: "5" },
    confidence: { type: "string", default: "0.95" },
  },
});
const trials = Number(args.trials);
const maxRuns = Number(args["max-runs"]);
const confidence = Number(args.confidence);
if (!(trials >= 100) || !(maxRuns >= 2) || !(confidence > 0 && confidence < 1))
  throw new Error("--trials at least 100, --max-runs at least 2, --confidence between 0 and 1");

type Row = [string, PairedDesign & { first: "screened" }, number];
const designs: Row[] = [
  [
    `unscreened, ${RETRIAL_RUNS * maxRuns} pairs (the rule)`,
    UNSCREENED_RETRIAL,
    RETRIAL_RUNS * maxRuns,
  ],
  [`unscreened, ${maxRuns} pairs`, UNSCREENED_RETRIAL, maxRuns],
  ...SCREENS.map(
    (at): Row => [
      `credits a screen at ${at} sd`,
      { first: "screened", screenedAgainst: 3, screenSd: at, firstPairKeeps: true },
      maxRuns,
    ],
  ),
];
const se = Math.sqrt(((1 - confidence) * confidence) / trials);
console.log(
  `re-trials of a change that won against the incumbent it was made for: ${trials} each, max_runs ${maxRuns}, confidence ${confidence} (a rate near ${Number(((1 - confidence) * 100).toPrecision(6))}% is known to ±${(2 * se * 100).toFixed(2)} points)`,
);
console.log(
  `${"boundary".padEnd(32)}${"no-op kept".padStart(12)}${"runs".padStart(7)}${"+2 sd kept".padStart(13)}${"runs".padStart(7)}`,
);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
for (const [label, design, pairs] of designs) {
  const opts = { trials, seed: 7, maxRuns: pairs, confidence };
  const zero = retrials(0, design, opts);
  const plus = retrials(2, design, { ...opts, seed: 8 });
  console.log(
    `${label.padEnd(32)}${pct(zero.keepRate).padStart(12)}${zero.runs.toFixed(2).padStart(7)}${pct(plus.keepRate).padStart(13)}${plus.runs.toFixed(2).padStart(7)}`,
  );
}
