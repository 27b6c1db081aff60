/**
 * A cheap screen with measured transfer (issue 26): at the same eval budget, how many candidates
 * does autoexp get through with `eval.screen` (a cheap eval at a fifth of the full eval's cost)
 * and without it, how much true gain does the night end with, what rank correlation does autoexp
 * measure between the cheap and the full eval, and does it stop screening when the cheap eval is
 * unrelated to the truth?
 *
 *   node bench/cheap-screen.ts [--quick] [--nights 4] [--units 600] [--scenarios related,unrelated]
 *                              [--seed 1] [--jobs 2] [--verbose]
 *
 * Every night is autoexp's real engine (runBatch on a fresh repository, isolation none, one
 * worker, `pipeline: false`) with a `command` agent (bench/greedy-agent.ts) whose proposal i adds
 * a change file holding the i-th true effect of a seeded plan: effects ~ Normal(-1, 1.5) in units
 * of the full eval's noise sd (about a quarter help). The frozen eval (cheap-screen-eval.ts) prints
 * the truth plus noise (sd 1) for `full`, and for `cheap`:
 *   related    the truth plus more noise (sd 1.05): one cheap run's gain over the incumbent's
 *              runs correlates with the true effect at about 0.8;
 *   unrelated  an effect drawn apart from the truth per change (sd 1.5) plus that noise: about 0.
 * Costs are counted by the eval in units (a full run 5, a cheap one 1: T and T/5) in a file
 * outside the repository; a run past --units is refused, and a spent budget aborts the batch.
 *
 * Reported per scenario and side (`full`: no eval.screen; `cheap`: with it), means over nights:
 * candidates per 100 units of eval time, the true gain of the final code (its ± standard error),
 * and, with the cheap eval, the correlation of its gains with the true effects (measured on the
 * rows), the rank correlation autoexp measured with its 90% interval and the number of
 * candidates behind it, the passed/failed/explored counts, and the nights where autoexp stopped
 * screening (at which experiment). The issue's targets: >= 2x candidates per unit of eval time at
 * an equal true gain when related; autoexp stops screening when unrelated.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { validateConfig } from "../action/config/validate-config.ts";
import { cheapTransfer, spearman } from "../action/decide/transfer.ts";
import { runBatch } from "../action/engine/run-batch.ts";
import { parseLog } from "../action/ledger/log-jsonl.ts";
import { mix, noiseAt } from "./greedy-model.ts";
import { planNight } from "./plan-night.ts";

const { values: args } = parseArgs({
  options: {
    nights: { type: "string" },
    units: { type: "string" },
    scenarios: { type: "string", default: "related,unrelated" },
    seed: { type: "string", default: "1" },
    quick: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    jobs: { type: "string", default: "2" },
  },
});
const NIGHTS = Number(args.nights ?? (args.quick ? 2 : 4));
const UNITS = Number(args.units ?? (args.quick ? 500 : 800));
const SEED = Number(args.seed);
type Scenario = "related" | "unrelated";
type Side = "full" | "cheap";
const SCENARIOS = args.scenarios!.split(",") as Scenario[];

interface Night {
  candidates: number;
  units: number;
  trueGain: number;
  kept: number;
  badKeeps: number;
  /** With the cheap eval: Spearman of its gains against the true effects, over every candidate. */
  truthRho: number;
  rho: number;
  ci: [number, number] | null;
  n: number;
  counts: Record<string, number>;
  stoppedAt: number | null;
  seconds: number;
}

function plan(seed: number, length: number): number[] {
  return Array.from(
    { length },
    (_, i) => Math.round((-1 + 1.5 * noiseAt(mix(seed, 11), i, "gaussian")) * 1000) / 1000,
  );
}

async function night(side: Side, scenario: Scenario, seed: number): Promise<Night> {
  const effects = plan(seed, 2000);
  const { dir, repo, agentDir, counter, git } = planNight(
    "autoexp-cheap-",
    "cheap-screen-eval.ts",
    effects,
    "units",
  );
  const checked = validateConfig({
    name: "cheap",
    target: ["changes/*.json"],
    frozen: ["eval.ts", "greedy-model.ts", "package.json"],
    eval: {
      command: [process.execPath, "eval.ts", "full"],
      metrics: { val_bpb: { goal: "minimize" } },
      env: {
        CHEAP_COUNTER: counter,
        CHEAP_UNITS: String(UNITS),
        CHEAP_SEED: String(seed),
        CHEAP_SIGMA_FULL: "1",
        CHEAP_SIGMA: "1.05",
        CHEAP_TRUTH: scenario === "related" ? "1" : "0",
        CHEAP_UNRELATED_SD: "1.5",
        NODE_COMPILE_CACHE: join(tmpdir(), "autoexp-cheap-compile-cache"),
      },
      ...(side === "cheap" ? { screen: { command: [process.execPath, "eval.ts", "cheap"] } } : {}),
    },
    agent: { use: "command", run: [process.execPath, join(agentDir, "agent.ts")] },
    budget: { experiments: 100_000, stop_after_failures: 100_000 },
    workers: 1,
    isolation: "none",
    pipeline: false,
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  const spent = () =>
    existsSync(counter)
      ? readFileSync(counter, "utf8")
          .split("\n")
          .filter(Boolean)
          .reduce((s, l) => s + Number(l.split(" ")[0]), 0)
      : 0;
  const stop = new AbortController();
  const started = performance.now();
  await runBatch({
    repoDir: repo,
    config: checked.config,
    tag: "night",
    signal: stop.signal,
    onEvent: (e) => {
      if ((e.type === "experiment" || e.type === "remeasure") && spent() + 5 > UNITS) stop.abort();
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const log = parseLog(git("show", "autoexp/night:.autoexp/night/log.jsonl"));
  const effectOf = (description: string) =>
    effects[Number(/^change (\d+):/.exec(description)?.[1]) - 1]!;
  let candidates = 0;
  let kept = 0;
  let badKeeps = 0;
  const cheapGains: number[] = [];
  const truths: number[] = [];
  for (const r of log.results) {
    if (r.iteration === 0) continue;
    // A candidate that got an eval (cheap or full): crashes of the budget's refusal excluded.
    if ((r.samples.val_bpb?.length ?? 0) > 0 || r.cheap?.gain != null) candidates++;
    if (r.status === "keep" || r.status === "simplification") {
      kept++;
      if (effectOf(r.description) <= 0) badKeeps++;
    }
    if (r.cheap?.gain != null) {
      cheapGains.push(r.cheap.gain * 1000);
      truths.push(effectOf(r.description));
    }
  }
  const ids = git("ls-tree", "--name-only", "autoexp/night", "changes/")
    .split("\n")
    .map((p) => /c(\d+)\.json$/.exec(p)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number);
  const t = cheapTransfer(log.results);
  const stoppedAt = log.results.find((r) => r.cheap_stopped)?.iteration ?? null;
  const units = spent();
  rmSync(dir, { recursive: true, force: true });
  return {
    candidates,
    units,
    trueGain: ids.reduce((s, id) => s + effects[id - 1]!, 0),
    kept,
    badKeeps,
    truthRho: spearman(cheapGains, truths),
    rho: t.rho,
    ci: t.ci,
    n: t.n,
    counts: t.counts,
    stoppedAt,
    seconds,
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const se = (xs: number[]) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1) / xs.length);
};
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "-");

const tasks: { scenario: Scenario; side: Side; n: number }[] = [];
for (const scenario of SCENARIOS)
  for (let n = 0; n < NIGHTS; n++)
    for (const side of ["full", "cheap"] as Side[]) tasks.push({ scenario, side, n });
const results = new Map<string, Night>();
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: Math.max(1, Number(args.jobs)) }, async () => {
    while (next < tasks.length) {
      const { scenario, side, n } = tasks[next++]!;
      const r = await night(side, scenario, mix(SEED, n));
      results.set(`${scenario}/${side}/${n}`, r);
      if (args.verbose)
        console.log(
          `  ${scenario} ${side} night ${n}: ${r.candidates} candidates in ${r.units} units, true gain ${f2(r.trueGain)}, kept ${r.kept} (${r.badKeeps} no gain), rho ${f2(r.rho)} [${r.ci?.map(f2).join(", ") ?? "-"}] n ${r.n}, truth rho ${f2(r.truthRho)}, ${JSON.stringify(r.counts)}, stopped ${r.stoppedAt ?? "no"}, ${r.seconds.toFixed(1)} s`,
        );
    }
  }),
);
console.log(
  `effects ~ Normal(-1, 1.5) in full-eval noise sds; full run 5 units, cheap run 1; ${UNITS} units a night; ${NIGHTS} nights per scenario, seed ${SEED}\n`,
);
const head = [
  "scenario",
  "side",
  "cand./100 units",
  "true gain",
  "kept (no gain)",
  "cheap~truth rho",
  "measured rho [90%] (n)",
  "passed/failed/explored/crashed",
  "stopped screening",
];
const table: string[][] = [];
const targets: string[] = [];
for (const scenario of SCENARIOS) {
  const of = (side: Side) =>
    Array.from({ length: NIGHTS }, (_, n) => results.get(`${scenario}/${side}/${n}`)!);
  const rate = (xs: Night[]) => mean(xs.map((x) => (100 * x.candidates) / x.units));
  for (const side of ["full", "cheap"] as Side[]) {
    const xs = of(side);
    const gains = xs.map((x) => x.trueGain);
    const cheap = side === "cheap";
    table.push([
      scenario,
      side,
      f2(rate(xs)),
      `${f2(mean(gains))} ± ${f2(se(gains))}`,
      `${f2(mean(xs.map((x) => x.kept)))} (${f2(mean(xs.map((x) => x.badKeeps)))})`,
      cheap ? f2(mean(xs.map((x) => x.truthRho))) : "-",
      cheap
        ? xs.map((x) => `${f2(x.rho)} [${x.ci?.map(f2).join(", ") ?? "-"}] (${x.n})`).join("; ")
        : "-",
      cheap
        ? ["passed", "failed", "explored", "crashed"]
            .map((k) => f2(mean(xs.map((x) => x.counts[k] ?? 0))))
            .join("/")
        : "-",
      cheap
        ? `${xs.filter((x) => x.stoppedAt !== null).length}/${xs.length}${xs.some((x) => x.stoppedAt !== null) ? ` (at #${xs.map((x) => x.stoppedAt ?? "-").join(", #")})` : ""}`
        : "-",
    ]);
  }
  const ratio = rate(of("cheap")) / rate(of("full"));
  const gFull = mean(of("full").map((x) => x.trueGain));
  const gCheap = mean(of("cheap").map((x) => x.trueGain));
  const stopped = of("cheap").filter((x) => x.stoppedAt !== null).length;
  targets.push(
    scenario === "related"
      ? `related: ${ratio.toFixed(2)}x candidates per unit of eval time (target >= 2x), true gain ${f2(gCheap)} with the cheap eval vs ${f2(gFull)} without; screening stopped on ${stopped} of ${NIGHTS} nights (want 0)`
      : `unrelated: ${ratio.toFixed(2)}x candidates per unit, true gain ${f2(gCheap)} vs ${f2(gFull)}; screening stopped on ${stopped} of ${NIGHTS} nights (want all)`,
  );
}
const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
console.log(line(head));
for (const r of table) console.log(line(r));
console.log(`\n${targets.join("\n")}`);
console.log(`\n${((performance.now() - started) / 1000).toFixed(1)} s in all`);
