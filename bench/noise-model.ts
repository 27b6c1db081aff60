/**
 * The decision rule alone, by simulation (no git, no processes): 100,000 candidates per case,
 * so the rates are exact to about ±0.1%. `bench/noise.ts` measures the same through the real
 * engine. Usage: node bench/noise-model.ts [trials]
 */

import { judge, type Policy } from "../action/decide/judge.ts";
import { pooledNoise } from "../action/decide/noise.ts";
import { createRandom, gaussian } from "../action/util/random.ts";

const trials = Number(process.argv[2] ?? 100_000);
const maxRuns = Number(process.env.MAX_RUNS ?? 5);
const screen = Number(process.env.SCREEN ?? 0.25);
const random = createRandom(7);
const gauss = gaussian(random);
/** Student t with 3 degrees of freedom, scaled to unit variance (sd of t3 is sqrt(3)). */
const t3 = () => {
  const z = gauss();
  const chi = gauss() ** 2 + gauss() ** 2 + gauss() ** 2;
  return z / Math.sqrt(chi / 3) / Math.sqrt(3);
};

function policy(maxRuns: number, minDelta: number): Policy {
  return {
    rule: "primary",
    objectives: [{ name: "score", goal: "maximize", minDelta }],
    guards: {},
    confidence: 0.95,
    maxRuns,
    simplification: false,
  };
}

/** One candidate against an incumbent measured `nI` times; returns kept and evals used. */
function run(effect: number, nI: number, noiseRuns: number, draw: () => number, greedy: boolean) {
  const incumbent = Array.from({ length: nI }, draw);
  // The noise estimate: the baseline's runs plus `noiseRuns - nI` other replicates.
  const extra = Array.from({ length: Math.max(0, noiseRuns - nI) }, draw);
  const before = pooledNoise(greedy ? [] : [incumbent, extra]);
  const p = greedy ? policy(1, 0) : policy(maxRuns, screen * before.sd);
  const candidate: number[] = [];
  while (true) {
    candidate.push(effect + draw());
    // As in the engine: the candidate's own runs join the noise estimate.
    const noise = greedy ? before : pooledNoise([incumbent, extra, candidate]);
    const j = judge({
      policy: p,
      incumbent: { score: incumbent },
      candidate: { score: candidate },
      noise: { score: noise },
    });
    if (j.final) return { kept: j.status === "keep", evals: candidate.length };
  }
}

function measure(
  label: string,
  effect: number,
  nI: number,
  noiseRuns: number,
  draw: () => number,
  greedy: boolean,
) {
  let kept = 0;
  let evals = 0;
  for (let i = 0; i < trials; i++) {
    const r = run(effect, nI, noiseRuns, draw, greedy);
    kept += r.kept ? 1 : 0;
    evals += r.evals;
  }
  return `${label.padEnd(44)} kept ${((100 * kept) / trials).toFixed(1).padStart(5)}%  evals/candidate ${(evals / trials).toFixed(2)}`;
}

for (const [noiseName, draw] of [
  ["gaussian", gauss],
  ["student-t3 (heavy tails)", t3],
] as const) {
  console.log(`\nnoise: ${noiseName}`);
  for (const [nI, noiseRuns] of (process.env.NI
    ? [[Number(process.env.NI), 40]]
    : [
        [5, 5],
        [5, 40],
        [1, 1],
      ]) as [number, number][]) {
    const greedy = nI === 1;
    const name = greedy
      ? "greedy (one run each)"
      : `autoexp, incumbent ${nI} runs, noise df ${noiseRuns - 2 + (noiseRuns > nI ? 0 : 1)}`;
    console.log(measure(`${name}, effect 0`, 0, nI, noiseRuns, draw, greedy));
    console.log(measure(`${name}, effect 2 sd`, 2, nI, noiseRuns, draw, greedy));
    console.log(measure(`${name}, effect -2 sd`, -2, nI, noiseRuns, draw, greedy));
  }
}

/**
 * Several workers whose devices differ: worker k reads k x OFFSET sd high on the same code. A
 * candidate runs on a random worker; the incumbent has 5 runs made alone (the baseline) and, on
 * the candidate's worker, 5 runs the engine makes beside it first (a concurrent baseline). The
 * worst case: in the engine, later candidates on that worker reuse those runs. Within workers (autoexp), pooled (autoexp's test, all runs
 * together) and naive (one run each, on any two workers).
 */
const workers = Number(process.env.WORKERS ?? 4);
const offset = Number(process.env.OFFSET ?? 1.5);
function runOffset(effect: number, how: "within" | "pooled" | "naive") {
  const k = Math.floor(random() * workers);
  if (how === "naive") {
    const j = Math.floor(random() * workers);
    return { kept: effect + k * offset + gauss() > j * offset + gauss(), evals: 1 };
  }
  const serial = Array.from({ length: 5 }, gauss);
  const others = Array.from({ length: 40 }, gauss);
  const screenAt = screen * pooledNoise([serial, others]).sd;
  const here: number[] = [];
  const candidate: number[] = [];
  while (true) {
    if (how === "within") while (here.length < 5) here.push(k * offset + gauss());
    candidate.push(effect + k * offset + gauss());
    const noise = pooledNoise([serial, others, here, candidate]);
    const strata = {
      incumbent: { serial: { score: serial }, here: { score: here } },
      candidate: { here: { score: candidate } },
    };
    const j = judge({
      policy: policy(maxRuns, screenAt),
      incumbent: { score: [...serial, ...here] },
      candidate: { score: candidate },
      noise: { score: noise },
      ...(how === "within" ? { strata } : {}),
    });
    if (j.final) return { kept: j.status === "keep", evals: candidate.length + here.length };
  }
}
console.log(`\n${workers} workers, worker k reads k x ${offset} sd high (gaussian noise)`);
for (const how of ["within", "pooled", "naive"] as const)
  for (const effect of [0, 2]) {
    let kept = 0;
    let evals = 0;
    for (let i = 0; i < trials; i++) {
      const r = runOffset(effect, how);
      kept += r.kept ? 1 : 0;
      evals += r.evals;
    }
    const label = {
      within: "autoexp (within workers)",
      pooled: "autoexp's test, pooled",
      naive: "naive (one run each)",
    }[how];
    console.log(
      `${`${label}, effect ${effect} sd`.padEnd(44)} kept ${((100 * kept) / trials).toFixed(1).padStart(5)}%  evals/candidate ${(evals / trials).toFixed(2)}`,
    );
  }
