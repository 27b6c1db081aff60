/**
 * Equal GPU budget against karpathy's loop: at the same number of eval runs per night, which
 * ends with truly better code, autoexp (the real engine, its defaults) or karpathy's greedy loop
 * (one run per candidate, kept when better than the best measured so far)?
 *
 *   node bench/greedy.ts [--nights 12] [--runs 120] [--levels 2,1,0.5,t3] [--seed 1] [--quick]
 *                        [--pipeline true|false] [--decide '{"confidence":0.9}'] [--verbose]
 *                        [--compare REV] [--proposals N]
 *
 * --proposals N: equal proposals instead of equal runs. A night is N proposals with runs
 * unbounded (autoexp's budget.experiments N, no eval_runs: the proposals run out first, as with
 * its default of 20), greedy's N candidates one run each; autoexp's runs per night are printed.
 *
 * A night: a `command` agent proposes changes from a seeded plan of true effects sized from
 * karpathy's published results.tsv (test/fixtures; see effectPool in greedy-model.ts: about 18%
 * help, 45% do nothing, 37% harm); proposal i adds changes/c<i>.json holding its effect, and the
 * frozen eval prints `val_bpb: 0.9979 - (sum of the effects present + noise) / 1000` (goal
 * minimize, karpathy's contract). A level is effect/noise, effect being the median helpful change
 * (0.48 milli-bpb): noise sd = effect / level, Gaussian; `t3` (or `t3:<level>`) is Student t with
 * 3 df at the same sd (level 1 by default).
 *
 * autoexp's side is runBatch on a fresh repo with the config defaults (decide, workers 1) but
 * `pipeline: false` (`--decide` changes the decide settings), isolation none (no sandbox cost; it
 * does not change a decision). Why not the default `pipeline: true`: with one worker and an
 * instant agent it cannot save time, only re-run stale candidates (a candidate evaluated ahead
 * against an incumbent that a keep has since replaced is re-applied and evaluated again: its first
 * runs are on no record, 0-10 of 120 runs a night), and it makes the run order depend on timing.
 * (It also hung 1 night in 3 or 4 at the budget cut, until 5121e7c: a re-measure refused there
 * drained the queue while it held the only slot.) `--pipeline true` runs it. The budget is counted by the eval itself: each run appends a byte to a
 * counter file outside the repo, and a run past --runs is refused (exit 3, no metric, so the
 * engine records a crash, or stops as broken when it was an incumbent re-measure); after each
 * experiment or re-measure, a spent budget aborts the batch (its signal, checked between
 * experiments). The night's final code is the branch head then: a candidate whose confirmation
 * the budget cut is discarded, as a real night cut by its deadline would leave it.
 * Greedy's side is simulated (greedyNight): the same plan, the same noise draws (run n of either
 * side draws noiseAt(seed, n)), the same number of runs (the baseline's one included).
 *
 * Reported per level: the true gain of the final code (mean over nights, ± its standard error,
 * and autoexp/greedy), kept changes that do nothing or harm per night, reported minus true gain
 * (what each says it gained: greedy's best run minus its baseline run; autoexp's baseline minus
 * its incumbent's score as the batch reports them), candidates evaluated, the ceiling (the sum of
 * the helpful effects among the proposals a side evaluated), and where autoexp's runs went, from
 * the ledger: the baseline, candidates' first runs, confirmations, the incumbent's runs (its side
 * of pairs, its run after a keep, top-ups, scheduled and drift re-measures, other), and runs not
 * on record (made, but in no ledger line: a re-measure the budget cut short; with --pipeline
 * true, stale evaluations redone).
 * GREEDY_DEBUG=1 prints each night's ledger rows (and the last events when node exits on a hang).
 *
 * Time on two busy cores: --quick (2 nights per level) 196 s, the full run (12 nights) 1200 s.
 *
 * --compare REV runs this same script (and its helpers) against REV's engine in a git worktree
 * first, with the same arguments, so before and after come from one run on one machine.
 */
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { validateConfig } from "../action/config/validate-config.ts";
import { incumbentState } from "../action/decide/ledger-state.ts";
import { runBatch } from "../action/engine/run-batch.ts";
import { parseLog } from "../action/ledger/log-jsonl.ts";
import { runBefore } from "./compare-revision.ts";
import {
  type EffectPool,
  effectPool,
  greedyNight,
  makePlan,
  mix,
  type NoiseKind,
} from "./greedy-model.ts";
import { mean, se } from "./night-stats.ts";
import { planNight } from "./plan-night.ts";

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    nights: { type: "string" },
    runs: { type: "string", default: "120" },
    levels: { type: "string", default: "2,1,0.5,t3" },
    seed: { type: "string", default: "1" },
    quick: { type: "boolean", default: false },
    pipeline: { type: "string" },
    decide: { type: "string", default: "{}" },
    verbose: { type: "boolean", default: false },
    compare: { type: "string" },
    proposals: { type: "string" },
    tsv: {
      type: "string",
      default: join(ROOT, "test/fixtures/karpathy-autoresearch-H100-mar8-results.tsv"),
    },
    "neutral-below": { type: "string", default: "1" },
  },
});
const NIGHTS = Number(args.nights ?? (args.quick ? 2 : 12));
const RUNS = Number(args.runs);
/**
 * --proposals N: nights of N proposals, eval runs unbounded (autoexp's budget.experiments, as its
 * default 20 is; greedy runs each once), where equal runs is the default.
 */
const PROPOSALS = args.proposals === undefined ? null : Number(args.proposals);
const SEED = Number(args.seed);
const DECIDE = JSON.parse(args.decide!) as Record<string, unknown>;
const pool = effectPool(readFileSync(args.tsv!, "utf8"), Number(args["neutral-below"]));

interface Level {
  name: string;
  ratio: number;
  kind: NoiseKind;
}
const LEVELS: Level[] = args.levels!.split(",").map((name) => {
  const [head, tail] = name.split(":");
  if (head === "t3") return { name, ratio: Number(tail ?? 1), kind: "t3" };
  return { name, ratio: Number(head), kind: "gaussian" };
});

interface Runs {
  baseline: number;
  first: number;
  confirm: number;
  topUp: number;
  /** The incumbent's side of candidates' pairs (paired_with). */
  pairs: number;
  /** Kept code's run right after its keep (AFTER_KEEP_RUNS). */
  afterKeep: number;
  schedule: number;
  drift: number;
  other: number;
  cut: number;
}

interface Night {
  trueGain: number;
  reportedGain: number;
  candidates: number;
  kept: number;
  badKeeps: number;
  ceiling: number;
  runs?: Runs;
  stop?: string;
  seconds?: number;
}

const recent: string[] = [];
process.on("exit", (code) => {
  if (code !== 0 && process.env.GREEDY_DEBUG) console.error(recent.slice(-25).join("\n"));
});

const sumHelpful = (plan: number[], n: number) =>
  plan.slice(0, n).reduce((s, e) => s + Math.max(0, e), 0);

/** One night of autoexp through the real engine; the budget counted by the eval. */
async function autoexpNight(plan: number[], level: Level, seed: number): Promise<Night> {
  const { dir, repo, agentDir, counter, git } = planNight(
    "autoexp-greedy-",
    "greedy-eval.ts",
    plan,
    "runs",
  );
  const configFor = (budget: Record<string, number>) => ({
    name: "greedy",
    target: ["changes/*.json"],
    frozen: ["eval.ts", "greedy-model.ts", "package.json"],
    eval: {
      command: [process.execPath, "eval.ts"],
      metrics: { val_bpb: { goal: "minimize" } },
      env: {
        GREEDY_COUNTER: counter,
        GREEDY_RUNS: String(PROPOSALS === null ? RUNS : 1_000_000),
        GREEDY_SEED: String(seed),
        GREEDY_SIGMA: String(pool.effect / level.ratio),
        GREEDY_NOISE: level.kind,
      },
    },
    decide: DECIDE,
    agent: { use: "command", run: [process.execPath, join(agentDir, "agent.ts")] },
    budget,
    workers: 1,
    isolation: "none",
    pipeline: args.pipeline === "true",
  });
  // The night's runs are its budget, and the engine is told so (the screen reads what binds);
  // the eval's count still cuts the night at exactly RUNS. An engine from before
  // budget.eval_runs (--compare), which names it an unknown field of budget, is told nothing; any
  // other problem, one with eval_runs itself included, ends the bench.
  const budget = { experiments: PROPOSALS ?? 100_000, stop_after_failures: 100_000 };
  let checked = validateConfig(
    configFor(PROPOSALS === null ? { ...budget, eval_runs: RUNS } : budget),
  );
  if (
    !checked.ok &&
    checked.problems.every(
      (p) => p.path === "budget" && /unknown field `eval_runs`/.test(p.message),
    )
  )
    checked = validateConfig(configFor(budget));
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  const spent = () => (existsSync(counter) ? statSync(counter).size : 0);
  const stop = new AbortController();
  const started = performance.now();
  const result = await runBatch({
    repoDir: repo,
    config: checked.config,
    tag: "night",
    signal: stop.signal,
    onEvent: (e) => {
      if (process.env.GREEDY_DEBUG) recent.push(`${spent()} ${JSON.stringify(e).slice(0, 200)}`);
      if (PROPOSALS !== null) return;
      if ((e.type === "experiment" || e.type === "remeasure") && spent() >= RUNS) stop.abort();
    },
  }).catch((error: Error) => {
    // Paired, the budget can run out on the incumbent's side of a pair: the engine stops the
    // batch there (an incumbent that fails is an unreliable eval). The night ends as recorded.
    if (spent() >= RUNS && /the incumbent \(#\d+\) failed/.test(error.message)) return null;
    throw error;
  });
  const seconds = (performance.now() - started) / 1000;
  const log = parseLog(git("show", "autoexp/night:.autoexp/night/log.jsonl"));
  if (process.env.GREEDY_DEBUG)
    for (const l of git("show", "autoexp/night:.autoexp/night/log.jsonl").split("\n")) {
      const e = l ? JSON.parse(l) : null;
      if (e?.type === "result")
        console.log(e.iteration, e.status, e.description, e.samples.val_bpb?.length, e.reason);
      else if (e) console.log(e.type, e.reason ?? e.event ?? "", e.samples?.val_bpb?.length ?? "");
    }
  // The final code: the branch head's changes.
  const ids = git("ls-tree", "--name-only", "autoexp/night", "changes/")
    .split("\n")
    .map((p) => /c(\d+)\.json$/.exec(p)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number);
  const made = spent();
  rmSync(dir, { recursive: true, force: true });
  const runs: Runs = {
    baseline: 0,
    first: 0,
    confirm: 0,
    topUp: 0,
    pairs: 0,
    afterKeep: 0,
    schedule: 0,
    drift: 0,
    other: 0,
    cut: 0,
  };
  let candidates = 0;
  let kept = 0;
  let badKeeps = 0;
  let lastProposal = 0;
  for (const r of log.results) {
    const n = r.samples.val_bpb?.length ?? 0;
    if (r.iteration === 0) {
      runs.baseline += n;
      continue;
    }
    const id = Number(/^change (\d+):/.exec(r.description)?.[1] ?? r.iteration);
    lastProposal = Math.max(lastProposal, id);
    if (n > 0) {
      candidates++;
      runs.first++;
      runs.confirm += n - 1;
    }
    if (r.status === "keep" || r.status === "simplification") {
      kept++;
      if (plan[id - 1]! <= 0) badKeeps++;
    }
  }
  for (const m of log.remeasures) {
    const n = m.samples.val_bpb?.length ?? 0;
    if (m.reason === "top-up") runs.topUp += n;
    else if (m.paired_with !== undefined) runs.pairs += n;
    else if (m.reason === "after-keep") runs.afterKeep += n;
    else if (m.reason === "schedule") runs.schedule += n;
    else if (m.reason === "drift") runs.drift += n;
    else runs.other += n;
  }
  const recorded = Object.entries(runs).reduce((s, [, v]) => s + v, 0);
  runs.cut = made - recorded;
  if (runs.cut < 0)
    throw new Error(
      `the ledger holds ${recorded} runs but the eval counted ${made}: is the counter file reset between runs?`,
    );
  return {
    trueGain: ids.reduce((s, id) => s + plan[id - 1]!, 0),
    reportedGain: result
      ? (result.baseline - result.best) * 1000
      : (log.results[0]!.score! - incumbentState(log)!.score) * 1000,
    candidates,
    kept,
    badKeeps,
    ceiling: sumHelpful(plan, lastProposal),
    runs,
    stop: result?.stopReason ?? "budget spent on the incumbent's side of a pair",
    seconds,
  };
}

const f1 = (x: number) => x.toFixed(1);

if (args.compare)
  runBefore(args.compare, import.meta.filename, process.argv.slice(2), {
    helpers: ["greedy-model.ts", "greedy-eval.ts", "greedy-agent.ts"],
    extra: ["--tsv", args.tsv!],
  });

describe(pool);
const started = performance.now();
const table: string[][] = [];
/** autoexp's eval runs a night at each level (RUNS, unless --proposals). */
const spentRuns: number[] = [];
const where: string[][] = [];
for (const level of LEVELS) {
  const greedy: Night[] = [];
  const autoexp: Night[] = [];
  for (let night = 0; night < NIGHTS; night++) {
    const seed = mix(SEED, night);
    // More proposals than runs: autoexp never asks for more than one per run.
    const plan = makePlan(pool, seed, Math.max(RUNS, PROPOSALS ?? 0));
    const sigma = pool.effect / level.ratio;
    // Greedy's runs: its baseline's and one a candidate.
    const g = greedyNight(plan, sigma, seed, level.kind, PROPOSALS === null ? RUNS : PROPOSALS + 1);
    greedy.push({ ...g, ceiling: sumHelpful(plan, g.candidates) });
    const a = await autoexpNight(plan, level, seed);
    autoexp.push(a);
    if (args.verbose)
      console.log(
        `  ${level.name} night ${night}: greedy true ${f1(g.trueGain)} reported ${f1(g.reportedGain)} kept ${g.kept} (${g.badKeeps} bad); autoexp true ${f1(a.trueGain)} reported ${f1(a.reportedGain)} kept ${a.kept} (${a.badKeeps} bad) of ${a.candidates}, runs ${JSON.stringify(a.runs)}, ${f1(a.seconds!)} s, stop: ${a.stop}`,
      );
  }
  const col = (xs: Night[], f: (n: Night) => number) => mean(xs.map(f));
  const gGain = greedy.map((n) => n.trueGain);
  const aGain = autoexp.map((n) => n.trueGain);
  table.push([
    level.name,
    `${f1(mean(gGain))} ± ${f1(se(gGain))}`,
    `${f1(mean(aGain))} ± ${f1(se(aGain))}`,
    `${(mean(aGain) / mean(gGain)).toFixed(2)}x`,
    `${f1(col(greedy, (n) => n.ceiling))} / ${f1(col(autoexp, (n) => n.ceiling))}`,
    `${f1(col(greedy, (n) => n.kept))} / ${f1(col(autoexp, (n) => n.kept))}`,
    `${f1(col(greedy, (n) => n.badKeeps))} / ${col(autoexp, (n) => n.badKeeps).toFixed(2)}`,
    `${f1(col(greedy, (n) => n.reportedGain - n.trueGain))} / ${col(autoexp, (n) => n.reportedGain - n.trueGain).toFixed(2)}`,
    `${f1(col(greedy, (n) => n.candidates))} / ${f1(col(autoexp, (n) => n.candidates))}`,
  ]);
  const r = (k: keyof Runs) => mean(autoexp.map((n) => n.runs![k]));
  const total = (Object.keys(autoexp[0]!.runs!) as (keyof Runs)[]).reduce((t, k) => t + r(k), 0);
  spentRuns.push(total);
  const share = (x: number) => `${f1(x)} (${Math.round((100 * x) / total)}%)`;
  where.push([
    level.name,
    share(r("baseline")),
    share(r("first")),
    share(r("confirm")),
    share(r("pairs")),
    share(r("afterKeep")),
    share(r("topUp")),
    share(r("schedule") + r("drift")),
    share(r("other")),
    share(r("cut")),
    `${f1(mean(autoexp.map((n) => n.seconds!)))} s`,
  ]);
}

printTable(
  [
    "level",
    "true gain greedy",
    "autoexp",
    "a/g",
    "ceiling g/a",
    "kept g/a",
    "kept, no gain g/a",
    "reported-true g/a",
    "candidates g/a",
  ],
  table,
);
console.log(
  `\nautoexp's ${PROPOSALS === null ? RUNS : spentRuns.map(f1).join(" / ")} eval runs per night, by purpose (mean per night):`,
);
printTable(
  [
    "level",
    "baseline",
    "first runs",
    "confirmations",
    "incumbent: in pairs",
    "after keeps",
    "top-ups",
    "scheduled, drift",
    "other",
    "not on record",
    "engine time/night",
  ],
  where,
);
console.log(
  `\n${NIGHTS} nights per level, ${PROPOSALS === null ? `${RUNS} eval runs each` : `${PROPOSALS} proposals each (greedy: one run each; autoexp: as its rule spends)`}, seed ${SEED}; decide ${JSON.stringify(DECIDE)}, pipeline ${args.pipeline === "true"}; ${f1((performance.now() - started) / 1000)} s in all`,
);

function describe(p: EffectPool) {
  const neutral = p.neutralShare;
  console.log(
    `effects (milli-bpb, from ${args.tsv!.split("/").at(-1)}): ${Math.round(100 * p.helpfulShare)}% help (median ${p.effect}, mean ${f1(mean(p.helpful))}, max ${Math.max(...p.helpful)}), ${Math.round(100 * neutral)}% do nothing, ${Math.round(100 * (1 - p.helpfulShare - neutral))}% harm (median ${[...p.harmful].sort((a, b) => b - a)[p.harmful.length >> 1]}); level = effect/noise, effect = median helpful change; true gain, ceiling and reported-true in milli-bpb; g/a: greedy / autoexp, per night\n`,
  );
}

function printTable(head: string[], rows: string[][]) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}
