/**
 * Does the judge keep a change that does nothing at most 1 - confidence of the time, over all its
 * looks? `node bench/calibration.ts [--confidences 0.95,0.99,0.999,0.9999] [--expected 30]
 * [--max-trials 300000]`. For each design the engine meets (unpaired against 3 or 5 incumbent
 * runs, on a young or a well-fed noise estimate; in pairs, screened at 0.5 or 1 sd or from the
 * first run) it runs the real judge on simulated no-effect candidates (action/decide/power.ts,
 * its own seed and draws, not the boundary's) and prints the share kept over alpha. Enough trials
 * that `--expected` keeps are due at alpha (at most --max-trials): a ratio over 1 by more than
 * about 2/sqrt(expected) is a boundary that lets through more than it promises.
 */
import { parseArgs } from "node:util";
import { estimatePower, type PowerSettings } from "../action/decide/power.ts";

const { values: args } = parseArgs({
  options: {
    confidences: { type: "string", default: "0.95,0.99,0.999,0.9999" },
    expected: { type: "string", default: "30" },
    "max-trials": { type: "string", default: "300000" },
  },
});

const base = { minDeltaSd: 0.25 };
const designs: [string, Omit<PowerSettings, "confidence">][] = [
  ["unpaired, 3 incumbent runs, df 2", { ...base, incumbentRuns: 3, maxRuns: 5 }],
  [
    "unpaired, 3 incumbent runs, df 20",
    { ...base, incumbentRuns: 3, maxRuns: 5, extraNoiseRuns: 18 },
  ],
  [
    "unpaired, 5 incumbent runs, df 40",
    { ...base, incumbentRuns: 5, maxRuns: 5, extraNoiseRuns: 36 },
  ],
  [
    "paired, screened at 0.5 sd, df 20",
    {
      ...base,
      incumbentRuns: 3,
      maxRuns: 10,
      extraNoiseRuns: 18,
      paired: { first: "screened", screenSd: 0.5, screenRuns: 3 },
    },
  ],
  [
    "paired, screened at 1 sd, df 40",
    {
      ...base,
      incumbentRuns: 3,
      maxRuns: 10,
      extraNoiseRuns: 38,
      paired: { first: "screened", screenSd: 1, screenRuns: 3 },
    },
  ],
  [
    "paired, screened at 1 sd with a grey zone from 0.5, df 40",
    {
      ...base,
      incumbentRuns: 3,
      maxRuns: 10,
      extraNoiseRuns: 38,
      paired: { first: "screened", screenSd: 1, screenRuns: 3, grey: { from: 0.5, mean: 0.8 } },
    },
  ],
  [
    "paired from the first run, df 20",
    { ...base, incumbentRuns: 3, maxRuns: 10, extraNoiseRuns: 18, paired: { first: "fresh" } },
  ],
];

const expected = Number(args.expected);
const maxTrials = Number(args["max-trials"]);
console.log("design | confidence | trials | kept | kept / alpha | runs a candidate");
let worst = 0;
for (const confidence of args.confidences.split(",").map(Number)) {
  const alpha = 1 - confidence;
  const trials = Math.min(maxTrials, Math.max(20_000, Math.ceil(expected / alpha)));
  for (const [name, d] of designs) {
    const r = estimatePower(0, { ...d, confidence }, trials, 4242);
    const ratio = r.keepRate / alpha;
    worst = Math.max(worst, ratio);
    console.log(
      `${name} | ${confidence} | ${trials} | ${Math.round(r.keepRate * trials)} | ${ratio.toFixed(2)} | ${r.evalsPerCandidate.toFixed(2)}`,
    );
  }
}
console.log(`worst kept / alpha: ${worst.toFixed(2)}`);
