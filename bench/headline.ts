/**
 * What the headline says a night gained, against the truth, on several workers whose devices
 * read differently: `node bench/headline.ts [--seeds 1,2,3,4] [--workers 4] [--zero 30 --effect 15
 * --worse 5]`. Each seed is one `bench/noise.ts` night (kept with KEEP=1), worker k reading k x
 * 1.5 sd high. Per night it prints the final code's true gain over the baseline (its files' truth,
 * as bench/noise.ts's eval reads it), what the headline shows (the PR's title, the dashboard's:
 * best - baseline, action/ledger/summarize.ts), and what the plain means of the baseline's and the
 * best's runs say (the headline before 2026-12-07: they mix the workers in different shares);
 * then the mean and the largest error of each.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ledgerSamples } from "../action/decide/ledger-state.ts";
import { mean } from "../action/decide/stats.ts";
import { parseLog } from "../action/ledger/log-jsonl.ts";
import { nightFigures } from "../action/ledger/night-figures.ts";
import { viewFromLog } from "../action/ledger/summarize.ts";
import { KEPT } from "../action/ledger/types.ts";

const { values: args } = parseArgs({
  options: {
    seeds: { type: "string", default: "1,2,3,4" },
    workers: { type: "string", default: "4" },
    zero: { type: "string", default: "30" },
    effect: { type: "string", default: "15" },
    worse: { type: "string", default: "5" },
  },
});

/** The truth of candidate.txt as bench/noise.ts's eval reads it: its `truth:` and `idea N:` lines. */
function truthOf(text: string): number {
  let t = 0;
  for (const m of text.matchAll(/^(?:truth|idea \d+): (-?\d[\d.e+-]*)$/gm)) t += Number(m[1]);
  return t;
}

const rows: { seed: string; truth: number; headline: number; plain: number }[] = [];
for (const seed of args.seeds.split(",")) {
  const out = execFileSync(
    process.execPath,
    [
      join(import.meta.dirname, "noise.ts"),
      ...["--workers", args.workers, "--zero", args.zero, "--effect", args.effect],
      ...["--worse", args.worse, "--noise", "gaussian", "--seed", seed, "--repeat", "1"],
      ...["--isolation", "none"],
    ],
    { encoding: "utf8", env: { ...process.env, KEEP: "1", ONLY: `autoexp, ${args.workers}` } },
  );
  const dir = /kept the night in (\S+)/.exec(out)![1]!;
  const repo = join(dir, "repo");
  const git = (...a: string[]) =>
    execFileSync("git", ["-C", repo, ...a], { encoding: "utf8", maxBuffer: 1 << 30 });
  const log = parseLog(git("show", "autoexp/bench:.autoexp/bench/log.jsonl"));
  const best = log.results.findLast((r) => KEPT.has(r.status))!;
  const truth =
    best.iteration === 0 ? 0 : truthOf(git("show", `${best.commit_full}:candidate.txt`));
  const figures = nightFigures(viewFromLog(log, "bench"));
  const runs = ledgerSamples(log).current;
  const plain =
    mean(runs.get(best.iteration)?.score ?? [best.score!]) - mean(runs.get(0)?.score ?? []);
  rows.push({ seed, truth, headline: figures.change ?? 0, plain });
  console.log(
    `seed ${seed}: true gain ${truth.toFixed(2)}, headline ${figures.change?.toFixed(2)}, plain means ${plain.toFixed(2)}`,
  );
  rmSync(dir, { recursive: true, force: true });
}
const errors = (f: (r: (typeof rows)[number]) => number) => rows.map((r) => f(r) - r.truth);
for (const [name, e] of [
  ["headline", errors((r) => r.headline)],
  ["plain means", errors((r) => r.plain)],
] as const)
  console.log(
    `${name} - true gain over ${rows.length} nights: mean ${mean(e).toFixed(2)}, mean |error| ${mean(e.map(Math.abs)).toFixed(2)}, largest ${Math.max(...e.map(Math.abs)).toFixed(2)}`,
  );
