/**
 * When should autoexp stop using a cheap eval (eval.screen) that ranks candidates poorly? A seeded
 * simulation of the stop rules in action/decide/transfer.ts: for a true rank correlation of 0,
 * 0.3, 0.5 and 0.8 between the cheap and the full eval's gains, pairs arrive one at a time (the
 * candidates that got both evals) and each rule looks after every pair. Printed per rule and true
 * rho: the share of simulations stopped by 12, 20, 30 and 40 pairs (a quick bench night reaches
 * 12 to 30) and the median pairs at the stop. Stopping a rho 0.8 screen must stay rare (< 5%).
 *
 *   node bench/transfer-model.ts [--sims 4000] [--seed 1]
 *
 * Pairs are bivariate normal with Pearson correlation 2 sin(pi rho / 6), whose Spearman rho is
 * rho. The sample is random: autoexp's is the passed candidates plus a 20% share of failing ones
 * (explored), whose narrower range of cheap gains lowers the measured rho a little.
 */
import { parseArgs } from "node:util";
import {
  rankCorrelationInterval,
  spearman,
  TRANSFER_FLOOR,
  TRANSFER_MIN_N,
  TRANSFER_STOP_LEVEL,
  transferUpperBound,
} from "../action/decide/transfer.ts";
import { random } from "./greedy-model.ts";

const { values: args } = parseArgs({
  options: {
    sims: { type: "string", default: "4000" },
    seed: { type: "string", default: "1" },
  },
});
const SIMS = Number(args.sims);
const SEED = Number(args.seed);
const HORIZON = 40;
const LOOKS = [12, 20, 30, 40];
const RHOS = [0, 0.3, 0.5, 0.8];

/** A rule: whether it stops after n pairs with rank correlation r. */
interface Rule {
  name: string;
  stops: (r: number, n: number) => boolean;
}

/** Posterior P(rho > floor) with a normal prior N(0, s^2) on Fisher's z (sceptical: centred on 0). */
function posteriorAbove(r: number, n: number, s: number): number {
  const rc = Math.max(-0.999999, Math.min(0.999999, r));
  const v = (1 + (rc * rc) / 2) / (n - 3);
  const w = (s * s) / (s * s + v);
  const m = w * Math.atanh(rc);
  const sd = Math.sqrt(w * v);
  return 1 - phi((Math.atanh(TRANSFER_FLOOR) - m) / sd);
}

/** The standard normal's cdf (Abramowitz and Stegun 7.1.26 on erf, |error| < 1.5e-7). */
function phi(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp((-x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

const upper = (level: number, minN: number): Rule => ({
  name: `one-sided ${level * 100}% upper bound < ${TRANSFER_FLOOR}, n >= ${minN}`,
  stops: (r, n) => n >= minN && (transferUpperBound(r, n, level) ?? 1) < TRANSFER_FLOOR,
});
const rules: Rule[] = [
  {
    name: `before: 90% interval's upper end < ${TRANSFER_FLOOR}, n >= 12`,
    stops: (r, n) => n >= 12 && (rankCorrelationInterval(r, n, 0.9)?.[1] ?? 1) < TRANSFER_FLOOR,
  },
  upper(0.85, 8),
  upper(0.8, 10),
  upper(0.8, 8),
  upper(0.75, 8),
  {
    name: `posterior P(rho > ${TRANSFER_FLOOR}) < 0.1, prior z ~ N(0, 0.5^2), n >= 8`,
    stops: (r, n) => n >= 8 && posteriorAbove(r, n, 0.5) < 0.1,
  },
  {
    name: `posterior P(rho > ${TRANSFER_FLOOR}) < 0.2, prior z ~ N(0, 0.5^2), n >= 8`,
    stops: (r, n) => n >= 8 && posteriorAbove(r, n, 0.5) < 0.2,
  },
];

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

console.log(
  `${SIMS} simulations per true rho, pairs looked at one by one up to ${HORIZON}, seed ${SEED}; in force: ${TRANSFER_STOP_LEVEL * 100}% upper bound, n >= ${TRANSFER_MIN_N}\n`,
);
const head = ["rule", "true rho", ...LOOKS.map((l) => `stopped by ${l}`), "median n at stop"];
const table: string[][] = [];
for (const rule of rules) {
  for (const rho of RHOS) {
    const r = 2 * Math.sin((Math.PI * rho) / 6);
    const rand = random(SEED * 7919 + Math.round(rho * 100));
    const at: number[] = [];
    for (let s = 0; s < SIMS; s++) {
      const xs: number[] = [];
      const ys: number[] = [];
      let stop = Infinity;
      for (let n = 1; n <= HORIZON; n++) {
        const x = gaussian(rand);
        xs.push(x);
        ys.push(r * x + Math.sqrt(1 - r * r) * gaussian(rand));
        if (n >= 4 && rule.stops(spearman(xs, ys), n)) {
          stop = n;
          break;
        }
      }
      at.push(stop);
    }
    at.sort((a, b) => a - b);
    const share = (k: number) => `${((100 * at.filter((n) => n <= k).length) / SIMS).toFixed(1)}%`;
    const med = at[Math.floor(SIMS / 2)]!;
    table.push([
      rule.name,
      rho.toFixed(1),
      ...LOOKS.map(share),
      Number.isFinite(med) ? String(med) : `> ${HORIZON}`,
    ]);
  }
}
const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
console.log(line(head));
for (const row of table) console.log(line(row));
