/**
 * Deciding under noise, measured through the real engine (real git, real eval processes, a real
 * `command` agent), against synthetic evals whose truth is known.
 *
 * The target file holds `truth: <x>`; the frozen eval prints `score: <truth + noise>` (noise sd 1,
 * Gaussian or Student-t with 3 df scaled to sd 1). The agent follows a seeded plan of true
 * effects (0, +2 sd, -2 sd), reading the incumbent's truth and writing truth + effect, so every
 * keep can be scored against the truth. A row's effect is counted against the incumbent it was
 * judged against (a +2 proposed on an incumbent since replaced by a +2 keep is a no-op there). The same plan runs under autoexp's rule (defaults) and
 * the naive greedy rule (one run, keep if better than the best), side by side.
 *
 * Usage: node bench/noise.ts [--zero 200] [--effect 100] [--worse 30] [--noise gaussian|t3|both]
 *        [--drift 0.02]   (drift: the eval's score creeps up by this many sd per eval)
 *        [--workers 4 [--offset 1.5] [--pooled]] [--before] [--screen 0]
 *        [--isolation none]  (the eval counts its own runs: "every eval run (eval's count)"; the
 *        ledger's, "all runs on record (ledger)", is every run but the baseline's)
 *        [--changes slots]  (changes merge onto a newer incumbent and keep their effect there)
 *        [--decide '{"baseline_runs": 3}']  (added to every autoexp column's decide section)
 *        [--noisier F:K]  (a share F of the no-op changes multiply the eval's noise by K, for good
 *        once kept: a change that does nothing but make the eval less stable; their keep rate is
 *        shown apart)
 *        (KEEP=1 keeps each night's repository and prints where; DEBUG=1 prints every row)
 * Pooled over --repeat nights, power shows the nights' range and the standard error of their mean:
 * a night's changes are not independent draws (a bar read wrong early moves many later keeps), so
 * 4 nights of 50 +2 sd changes are known to about ±3 to 5 points, not the ±2.8 of 200 draws.
 * "+2 sd lost" says where the +2 sd changes that were not kept went, as shares of them all: under
 * the screen on their first run, on the second look, in pairs, or judged against an incumbent a
 * keep had since replaced ("repl"; then anything else, after a "+"). "+2 sd won, then tried again":
 * those that beat the incumbent they were made for while a keep replaced it, and were judged
 * again on the new one (their row's `reapplied`), and how many of them that second trial kept.
 * "won, replaced": every evaluation that won and was left behind, whatever its change's
 * truth, by when the keep that replaced its incumbent landed (`replaced_during`): in its last
 * pair, in its run after its keep, or while it waited for its turn to be recorded.
 * "+2 sd stopped, then tried again": those stopped still in the running by a keep elsewhere (and
 * never winning), how many the trial on the new incumbent kept, and how many it screened out.
 * "of +2 sd: first trial, after stop": their screen z, on a first trial and on one after a stop
 * (final rows only: a trial that passes its screen is the likelier to be stopped again, so these
 * read low, the more so where keeps come often).
 * "bar - true at screen-outs": where the bar each first run screened out on its own met stood, less
 * the truth of the incumbent on that worker (offsets out): 0 for a fair bar; a bar stuck high on one
 * worker screens out its real gains too ("over 1 sd": the share of screen-outs on a bar that
 * high). A high bar screens out more, so this reads above the bars' average over all screens.
 * "bar checks": candidates measured in pairs from their first run because the last
 * SCREENED_OUT_RUN on their worker had been screened out (decide/stuck-bar.ts).
 *
 * --screen V adds a column with decide.screen_sd fixed at V run sds (0: min_delta's, the screen before
 * `screen: auto`). --before adds a column with decide.paired: false (the rule before pairs: the candidate against
 * the incumbent's earlier runs, topped up after each keep, a concurrent baseline per worker).
 *
 * With --workers N, the same plan also runs on N workers whose fake devices differ: worker k's
 * eval adds k x offset sd to the score (it reads AUTOEXP_WORKER, as a real eval's device would
 * differ). Columns: autoexp on 1 worker; autoexp on N offset workers (compare_within: worker);
 * with --pooled, autoexp comparing across workers (compare_within: any); and the naive parallel
 * comparison (one run each, kept when above the best, wherever it ran). Sized for minutes:
 * `--workers 4 --zero 60 --effect 30 --worse 5 --noise gaussian` took about 8 minutes on two busy
 * cores; `node bench/noise-model.ts` gives the same comparison by simulation, to ±0.5%.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { validateConfig } from "../action/config/validate-config.ts";
import { keptInPairs } from "../action/decide/ledger-runs.ts";
import { incumbentState } from "../action/decide/ledger-state.ts";
import { meanAndSd } from "../action/decide/stats.ts";
import { runBatch } from "../action/engine/run-batch.ts";
import { evalSpent } from "../action/ledger/eval-spent.ts";
import { parseLog } from "../action/ledger/log-jsonl.ts";
import type { ResultEntry } from "../action/ledger/types.ts";
import { createRandom } from "../action/util/random.ts";

const { values: args } = parseArgs({
  options: {
    zero: { type: "string", default: "200" },
    effect: { type: "string", default: "100" },
    worse: { type: "string", default: "30" },
    noise: { type: "string", default: "both" },
    drift: { type: "string", default: "0" },
    seed: { type: "string", default: "3" },
    repeat: { type: "string", default: "1" },
    workers: { type: "string", default: "1" },
    offset: { type: "string", default: "1.5" },
    pooled: { type: "boolean", default: false },
    isolation: { type: "string", default: "auto" },
    before: { type: "boolean", default: false },
    screen: { type: "string" },
    pipeline: { type: "string", default: "true" },
    changes: { type: "string", default: "absolute" },
    decide: { type: "string", default: "{}" },
    noisier: { type: "string" },
  },
});
if (args.changes !== "absolute" && args.changes !== "slots")
  throw new Error(`--changes ${args.changes}: give absolute or slots`);
const [noisierShare, noisierK] = (args.noisier ?? "0:1").split(":").map(Number) as [number, number];
if (!(noisierShare >= 0 && noisierShare <= 1 && noisierK > 0))
  throw new Error(`--noisier ${args.noisier}: give F:K, a share F from 0 to 1 and a factor K`);
if (noisierShare > 0 && args.changes === "slots")
  throw new Error("--noisier works with --changes absolute only");

/** A planned change: its true effect, or [effect, K] for one that multiplies the noise by K. */
type Step = number | [number, number];

/**
 * The target's truth: the sum of its `truth:` line and its set slots (`idea <i>: <effect>`; an
 * unset slot reads `-`). One source for the eval, the agent and the bench's own reading.
 */
const TRUTH_SOURCE = String.raw`function truthOf(text) {
  let t = 0;
  for (const m of text.matchAll(/^(?:truth|idea \d+): (-?\d[\d.e+-]*)$/gm)) t += Number(m[1]);
  return t;
}`;
const readTruth = new Function(`${TRUTH_SOURCE}; return truthOf;`)() as (text: string) => number;

const EVAL = `const fs = require("node:fs");
${TRUTH_SOURCE}
const text = fs.readFileSync("candidate.txt", "utf8");
const truth = truthOf(text);
const scale = Number(/^scale: (\\S+)$/m.exec(text)?.[1] ?? 1);
const u = () => { let x = 0; while (x === 0) x = Math.random(); return x; };
const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
let noise = gauss();
if (process.env.NOISE === "t3") {
  const chi = gauss() ** 2 + gauss() ** 2 + gauss() ** 2;
  noise = noise / Math.sqrt(chi / 3) / Math.sqrt(3);
}
noise *= scale;
let drift = 0;
if (process.env.DRIFT_FILE) {
  const n = Number(fs.existsSync(process.env.DRIFT_FILE) ? fs.readFileSync(process.env.DRIFT_FILE, "utf8") : 0);
  fs.writeFileSync(process.env.DRIFT_FILE, String(n + 1));
  drift = n * Number(process.env.DRIFT);
}
const offset = Number(process.env.AUTOEXP_WORKER ?? 0) * Number(process.env.OFFSET ?? 0);
if (process.env.COUNT_FILE) fs.appendFileSync(process.env.COUNT_FILE, "1");
console.log("score: " + (truth + noise + drift + offset));
`;

const AGENT = `const fs = require("node:fs");
const plan = JSON.parse(fs.readFileSync(process.env.PLAN_FILE, "utf8"));
const i = Number(process.env.AUTOEXP_ITERATION);
const [effect, k] = Array.isArray(plan[i - 1]) ? plan[i - 1] : [plan[i - 1], 1];
${TRUTH_SOURCE}
const text = fs.readFileSync("candidate.txt", "utf8");
const truth = truthOf(text);
const next = Math.round((truth + effect) * 1e6) / 1e6;
const scale = Number(/^scale: (\\S+)$/m.exec(text)?.[1] ?? 1) * k;
if (process.env.SLOTS) fs.writeFileSync("candidate.txt", text.replace(new RegExp("^idea " + i + ": .*$", "m"), "idea " + i + ": " + effect));
else fs.writeFileSync("candidate.txt", "truth: " + next + (scale !== 1 ? "\\nscale: " + scale : "") + "\\nidea: " + i + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "effect=" + effect + " truth=" + next + (k !== 1 ? " noisier=" + k : ""));
`;

/**
 * --changes slots: the target holds a slot per planned change, each between blank lines, and
 * change i sets its own slot to its effect, so that a change re-applied onto an incumbent that
 * moved meanwhile merges cleanly and keeps its effect there (changes add up, as independent real
 * changes mostly do). absolute (the default, as the figures before 2026-12-06 were measured): the
 * agent writes the incumbent's truth plus its effect, and a re-application never merges (the
 * agent is asked again, with the same planned effect). A row's truth is read from its commit.
 */
const slotted = (n: number) =>
  `truth: 0\n${Array.from({ length: n }, (_, i) => `\nidea ${i + 1}: -\n`).join("")}`;

interface Outcome {
  label: string;
  zero: { n: number; kept: number };
  effect: { n: number; kept: number };
  worse: { n: number; kept: number; evals: number };
  candidateEvals: number;
  /** The candidates' runs no decision of their row used (`reapplied` entries, a duplicate's `ran`). */
  leftEvals: number;
  remeasureEvals: number;
  candidates: number;
  curseAtKeep: number[];
  /** Each kept row's level (ResultEntry.level) on each stratum less the truth there, offsets out. */
  levelAtKeep: number[];
  /** The screen's z of each no-op change: centred on 0 when the runs screened against are fair. */
  zeroZ: number[];
  /**
   * Where each bar a first run was screened out on stood, less the truth of the incumbent it was
   * judged against on that worker (run sds, offsets out): above 0, a bar that screens out more.
   */
  barGap: number[];
  /** Rows measured in pairs from their first run because their stratum's bar was in doubt. */
  barChecks: number;
  /** The screen's z of +2 sd changes screened on a first trial, and on a trial after a stop. */
  effectZ: { plain: number[]; stopped: number[] };
  finalGap: number;
  finalTruth: number;
  seconds: number;
  /** Eval runs the eval itself counted (--isolation none), else null. */
  counted: number | null;
  /**
   * Where the +2 sd changes that were not kept went: discarded on their first run, on the
   * second look, in pairs, judged against an incumbent a keep had replaced (`against`), other.
   */
  lost: { first: number; second: number; pairs: number; replaced: number; other: number };
  /** The "replaced" losses by where their trial ended: first run, second look, pairs. */
  replacedAt: { first: number; second: number; pairs: number };
  /**
   * +2 sd changes that beat the incumbent they were made for while a keep elsewhere replaced it,
   * and were judged again on the new one (ResultEntry.reapplied: re-applied with --changes slots,
   * else proposed again by the agent with the same planned effect): how many, and how many of
   * those the second trial kept.
   */
  wonThenAgain: { n: number; kept: number };
  /**
   * Every evaluation that beat its incumbent and was left behind (a `reapplied` entry with status
   * keep, whatever the change's truth), by when the keep that replaced its incumbent landed.
   */
  wonWhen: { trial: number; after_keep: number; wait: number };
  /**
   * +2 sd changes stopped still in the running (a keep elsewhere replaced their incumbent) and
   * never won a trial: how many, how many the trial on the new incumbent kept, and how many it
   * discarded on its screen there.
   */
  stoppedThenAgain: { n: number; kept: number; screened: number };
  /** +2 sd rows judged against an incumbent a keep had replaced (`against`): none are kept. */
  replacedN: number;
  /**
   * Each night's power (+2 sd changes kept, as a share), one entry for a night and one per night
   * pooled: nights are not independent draws of their changes (a bar read wrong early moves
   * many later keeps), so a batch's power is known only as well as its nights agree.
   */
  nightPower: number[];
  /** --noisier: the no-op changes that multiplied the noise, and how many were kept. */
  noisier: { n: number; kept: number };
}

async function runOne(
  label: string,
  decide: Record<string, unknown>,
  plan: Step[],
  noise: string,
  drift: number,
  workers = 1,
  offset = 0,
): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), "autoexp-noise-"));
  const repo = join(dir, "repo");
  const git = (...a: string[]) => execFileSync("git", a, { cwd: repo, stdio: "pipe" });
  execFileSync("git", ["init", "-q", "-b", "main", repo]);
  git("config", "user.name", "bench");
  git("config", "user.email", "bench@example.com");
  writeFileSync(
    join(repo, "candidate.txt"),
    args.changes === "slots" ? slotted(plan.length) : "truth: 0\n",
  );
  writeFileSync(join(repo, "eval.js"), EVAL);
  git("add", "-A");
  git("commit", "-qm", "start");
  const planFile = join(dir, "plan.json");
  writeFileSync(planFile, JSON.stringify(plan));
  writeFileSync(join(dir, "agent.js"), AGENT);
  const checked = validateConfig({
    name: "noise",
    target: ["candidate.txt"],
    frozen: ["eval.js"],
    eval: {
      command: ["node", "eval.js"],
      metrics: { score: { goal: "maximize" } },
      env: {
        NOISE: noise,
        DRIFT: String(drift),
        OFFSET: String(offset),
        ...(drift ? { DRIFT_FILE: join(dir, "evals") } : {}),
        // Every eval run the night made, counted by the eval itself (the ledger's count should
        // match it): outside the repo, so only without a sandbox.
        ...(args.isolation === "none" ? { COUNT_FILE: join(dir, "count") } : {}),
      },
    },
    decide,
    // The agent runs in the sandbox with an allow-listed environment: it is given the plan.
    agent: {
      use: "command",
      run: ["node", join(dir, "agent.js")],
      pass_env: ["PLAN_FILE", "SLOTS"],
      read_only: [planFile],
    },
    budget: { experiments: plan.length, stop_after_failures: 1000 },
    workers,
    isolation: args.isolation,
    pipeline: args.pipeline !== "false",
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  const started = performance.now();
  await runBatch({
    repoDir: repo,
    config: checked.config,
    tag: "bench",
    env: {
      ...process.env,
      PLAN_FILE: planFile,
      ...(args.changes === "slots" ? { SLOTS: "1" } : {}),
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const log = parseLog(
    execFileSync("git", ["show", "autoexp/bench:.autoexp/bench/log.jsonl"], {
      cwd: repo,
      encoding: "utf8",
      maxBuffer: 1 << 28,
    }),
  );
  const counted = existsSync(join(dir, "count")) ? statSync(join(dir, "count")).size : null;
  // Each row's truth, from its commit's target (a re-applied change's description is its own).
  const truths = new Map<number, number>([[0, 0]]);
  for (const r of log.results.slice(1)) {
    const text = r.commit_full
      ? execFileSync("git", ["show", `${r.commit_full}:candidate.txt`], {
          cwd: repo,
          encoding: "utf8",
        })
      : "";
    truths.set(
      r.iteration,
      r.commit_full ? readTruth(text) : Number(/truth=(\S+)/.exec(r.description)?.[1]),
    );
  }
  if (process.env.KEEP) console.log(`kept the night in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  // The candidates' runs no decision of their row used, as the dashboard counts them.
  const spent = evalSpent(log, "score").runs;
  const out: Outcome = {
    label,
    zero: { n: 0, kept: 0 },
    effect: { n: 0, kept: 0 },
    worse: { n: 0, kept: 0, evals: 0 },
    candidateEvals: 0,
    leftEvals: spent.leftBehind + spent.duplicates,
    remeasureEvals: log.remeasures.reduce((s, m) => s + (m.samples.score?.length ?? 0), 0),
    candidates: 0,
    curseAtKeep: [],
    levelAtKeep: [],
    zeroZ: [],
    barGap: [],
    barChecks: 0,
    effectZ: { plain: [], stopped: [] },
    finalGap: 0,
    finalTruth: 0,
    seconds,
    counted,
    lost: { first: 0, second: 0, pairs: 0, replaced: 0, other: 0 },
    replacedAt: { first: 0, second: 0, pairs: 0 },
    nightPower: [],
    wonThenAgain: { n: 0, kept: 0 },
    wonWhen: { trial: 0, after_keep: 0, wait: 0 },
    stoppedThenAgain: { n: 0, kept: 0, screened: 0 },
    replacedN: 0,
    noisier: { n: 0, kept: 0 },
  };
  if (process.env.DEBUG)
    for (const m of log.remeasures)
      console.log(
        "remeasure",
        m.iteration,
        m.paired_with ?? "",
        JSON.stringify(m.samples.score?.map((v) => Number(v.toFixed(2)))),
        JSON.stringify(
          log.results
            .find((r) => r.iteration === m.paired_with)
            ?.samples.score?.map((v) => Number(v.toFixed(2))),
        ),
      );
  const truthOf = (r: { iteration: number }) => truths.get(r.iteration)!;
  // What a run read, without its worker's fixed offset (the fake device's): reported scores
  // mix devices, and the winner's curse is about selection, not about which device ran a keep.
  const free = (s: { samples: Record<string, number[]>; runs_on?: { worker: number }[] }) =>
    (s.samples.score ?? []).map((v, i) => v - (s.runs_on?.[i]?.worker ?? 0) * offset);
  let incumbentTruth = 0;
  const truthAt = new Map<number, number>([[0, 0]]);
  for (const r of log.results.slice(1)) {
    if (process.env.DEBUG)
      console.log(
        r.iteration,
        r.status,
        r.description,
        r.samples.score?.length,
        r.reason,
        r.against === undefined ? "" : `vs #${r.against}`,
        JSON.stringify(r.evidence?.strata ?? []),
        JSON.stringify(r.runs_on?.map((o) => o.worker) ?? []),
        `residual ${(avg(free(r)) - truthOf(r)).toFixed(2)}`,
      );
    // The change's effect against the incumbent it was judged against: a candidate proposed on
    // an incumbent that a keep has since replaced (workers, pipelining) is +2 over the old one but
    // nothing over the new one, since the agent wrote an absolute truth (old + 2). Counting it as
    // +2 would charge the rule with the bench's own staleness.
    const judgedAgainst = r.against !== undefined ? truthAt.get(r.against)! : incumbentTruth;
    const effect = Math.round(truthOf(r) - judgedAgainst);
    const kept = r.status === "keep" ? 1 : 0;
    if (process.env.DEBUG) console.log("effect", r.iteration, effect, r.status, r.reason);
    truthAt.set(r.iteration, truthOf(r));
    if (kept) incumbentTruth = truthOf(r);
    const evals = r.samples.score?.length ?? 0;
    out.candidates++;
    out.candidateEvals += evals;
    const bucket = effect === 0 ? out.zero : effect > 0 ? out.effect : out.worse;
    bucket.n++;
    bucket.kept += kept;
    if (effect === 0 && /noisier=/.test(r.description)) {
      out.noisier.n++;
      out.noisier.kept += kept;
    }
    if (effect < 0) out.worse.evals += evals;
    // Where a trial that was not kept ended: its first run, the second look, pairs, or other.
    const stage = lostAt(r.screen);
    if (effect > 0 && !kept) {
      out.lost[r.against !== undefined ? "replaced" : stage]++;
      if (r.against !== undefined && stage !== "other") out.replacedAt[stage]++;
    }
    if (effect > 0 && r.against !== undefined) out.replacedN++;
    for (const a of r.reapplied ?? [])
      if (a.status === "keep" && a.replaced_during) out.wonWhen[a.replaced_during]++;
    if (effect > 0 && r.reapplied?.some((a) => a.status === "keep")) {
      out.wonThenAgain.n++;
      out.wonThenAgain.kept += kept;
    } else if (effect > 0 && r.reapplied?.some((a) => a.status === "stopped")) {
      out.stoppedThenAgain.n++;
      out.stoppedThenAgain.kept += kept;
      if (!kept && (stage === "first" || stage === "second")) out.stoppedThenAgain.screened++;
    }
    if (effect === 0 && r.screen) out.zeroZ.push(r.screen.z);
    // A first run screened out on its own: the bar it met is that run less its gain.
    const first = r.samples.score;
    if (r.screen && first?.length === 1 && r.evidence?.gain !== undefined) {
      const worker = r.runs_on?.[0]?.worker ?? 0;
      out.barGap.push(first[0]! - r.evidence.gain - worker * offset - judgedAgainst);
    }
    if (r.bar_checked !== undefined) out.barChecks++;
    if (effect > 0 && r.screen && r.screen.won_against === undefined && r.against === undefined)
      out.effectZ[r.reapplied?.length ? "stopped" : "plain"].push(r.screen.z);
    if (kept) out.curseAtKeep.push(avg(free(r)) - truthOf(r));
    // A level on stratum "worker k" stands where worker k's fake device reads; "all" (pooled,
    // one worker) on worker 0's.
    for (const [stratum, level] of Object.entries((kept && r.level?.strata) || {})) {
      const worker = Number(/^worker (\d+)$/.exec(stratum)?.[1] ?? 0);
      out.levelAtKeep.push(level.mean - worker * offset - truthOf(r));
    }
  }
  const inc = incumbentState(log)!;
  const incRow = log.results.find((r) => r.iteration === inc.iteration)!;
  out.finalTruth = inc.iteration === 0 ? 0 : truthOf(incRow);
  // With drift the eval itself moved; the gap is only meaningful without it. The runs autoexp
  // scores the incumbent on: kept in pairs, those made after its keep (ledger-state.ts).
  const later = log.remeasures.filter((m) => m.iteration === inc.iteration);
  const runs = keptInPairs(incRow) && later.length > 0 ? later : [incRow, ...later];
  out.finalGap = avg(runs.flatMap(free)) - out.finalTruth;
  if (out.effect.n > 0) out.nightPower = [out.effect.kept / out.effect.n];
  return out;
}

/** Where a trial that was not kept ended, read from its row's screen. */
function lostAt(screen: ResultEntry["screen"]): "first" | "second" | "pairs" | "other" {
  if (!screen) return "other";
  if (screen.won_against !== undefined) return "pairs";
  if (screen.z < (screen.grey?.from ?? screen.at)) return "first";
  if (screen.second !== undefined && screen.second < screen.grey!.mean) return "second";
  return "pairs";
}

/** Over several nights: their range and the standard error of their mean, in points. */
function spread(xs: number[]): string {
  if (xs.length < 2) return "";
  const se = meanAndSd(xs).sd / Math.sqrt(xs.length);
  const p = (x: number) => (100 * x).toFixed(0);
  return ` (nights ${p(Math.min(...xs))}-${p(Math.max(...xs))}%, ±${(100 * se).toFixed(1)} SE)`;
}

const pct = (k: number, n: number) => (n ? `${((100 * k) / n).toFixed(1)}%` : "-");
const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

function report(outs: Outcome[]) {
  const rows: [string, (o: Outcome) => string][] = [
    ["false keeps (true effect 0)", (o) => `${pct(o.zero.kept, o.zero.n)} of ${o.zero.n}`],
    [
      "power (true effect +2 sd)",
      (o) => `${pct(o.effect.kept, o.effect.n)} of ${o.effect.n}${spread(o.nightPower)}`,
    ],
    [
      "+2 sd lost: 1st, 2nd, pairs, repl",
      (o) =>
        [o.lost.first, o.lost.second, o.lost.pairs, o.lost.replaced]
          .map((k) => pct(k, o.effect.n))
          .join(" ") + (o.lost.other ? ` +${pct(o.lost.other, o.effect.n)}` : ""),
    ],
    [
      "  repl lost at: 1st, 2nd, pairs",
      (o) =>
        [o.replacedAt.first, o.replacedAt.second, o.replacedAt.pairs]
          .map((k) => pct(k, o.effect.n))
          .join(" "),
    ],
    [
      "  power where not replaced",
      (o) =>
        `${pct(o.effect.kept, o.effect.n - o.replacedN)} of ${o.effect.n - o.replacedN} (${o.replacedN} replaced)`,
    ],
    [
      "+2 sd won, then tried again",
      (o) =>
        `${pct(o.wonThenAgain.n, o.effect.n)}, ${pct(o.wonThenAgain.kept, o.wonThenAgain.n)} of them kept`,
    ],
    [
      "  won, replaced: trial/after/wait",
      (o) => {
        const w = o.wonWhen;
        const n = w.trial + w.after_keep + w.wait;
        return `${[w.trial, w.after_keep, w.wait].map((k) => pct(k, n)).join(" ")} of ${n}`;
      },
    ],
    [
      "+2 sd stopped, then tried again",
      (o) =>
        `${pct(o.stoppedThenAgain.n, o.effect.n)}, ${pct(o.stoppedThenAgain.kept, o.stoppedThenAgain.n)} kept, ${pct(o.stoppedThenAgain.screened, o.stoppedThenAgain.n)} screened out`,
    ],
    ...(outs.some((o) => o.noisier.n > 0)
      ? ([
          [
            `  no-ops with noise x${noisierK}: kept`,
            (o: Outcome) => `${pct(o.noisier.kept, o.noisier.n)} of ${o.noisier.n}`,
          ],
        ] as [string, (o: Outcome) => string][])
      : []),
    ["kept although worse (-2 sd)", (o) => `${pct(o.worse.kept, o.worse.n)} of ${o.worse.n}`],
    ["evals per worse candidate", (o) => (o.worse.evals / Math.max(1, o.worse.n)).toFixed(2)],
    ["evals per candidate", (o) => (o.candidateEvals / o.candidates).toFixed(2)],
    [
      "  with incumbent re-runs",
      (o) => ((o.candidateEvals + o.remeasureEvals) / o.candidates).toFixed(2),
    ],
    [
      "  all runs on record (ledger)",
      (o) => ((o.candidateEvals + o.remeasureEvals + o.leftEvals) / o.candidates).toFixed(2),
    ],
    [
      "  every eval run (eval's count)",
      (o) => (o.counted === null ? "- (--isolation none)" : (o.counted / o.candidates).toFixed(2)),
    ],
    [
      "curse at keep, offsets out (sd)",
      (o) => `${avg(o.curseAtKeep).toFixed(2)} mean over ${o.curseAtKeep.length} keeps`,
    ],
    [
      "level at keep - true, offsets out",
      (o) =>
        o.levelAtKeep.length
          ? `${avg(o.levelAtKeep).toFixed(2)} mean over ${o.levelAtKeep.length} levels`
          : "-",
    ],
    [
      "screen z of no-op changes (mean)",
      (o) => (o.zeroZ.length ? `${avg(o.zeroZ).toFixed(2)} over ${o.zeroZ.length}` : "-"),
    ],
    [
      "bar - true at screen-outs (sd)",
      (o) =>
        o.barGap.length
          ? `${avg(o.barGap).toFixed(2)} mean, ${pct(o.barGap.filter((g) => g > 1).length, o.barGap.length)} over 1 sd`
          : "-",
    ],
    [
      "bar checks (pairs from run 1)",
      (o) => `${o.barChecks} (${pct(o.barChecks, o.candidates)} of candidates)`,
    ],
    [
      "  of +2 sd: first trial, after stop",
      (o) =>
        [o.effectZ.plain, o.effectZ.stopped]
          .map((z) => (z.length ? `${avg(z).toFixed(2)} over ${z.length}` : "-"))
          .join(", "),
    ],
    ["reported best - true, offsets out", (o) => o.finalGap.toFixed(2)],
    ["final true value reached", (o) => o.finalTruth.toFixed(1)],
    ["wall time", (o) => `${o.seconds.toFixed(0)} s`],
  ];
  const width = 34;
  // Each column as wide as its widest cell (30 at least), so the columns stay in line.
  const cells = rows.map(([, f]) => outs.map(f));
  const cols = outs.map((o, i) =>
    Math.max(30, o.label.length + 2, ...cells.map((row) => row[i]!.length + 2)),
  );
  console.log(`${"".padEnd(width)}${outs.map((o, i) => o.label.padEnd(cols[i]!)).join("")}`);
  for (const [r, [name]] of rows.entries())
    console.log(`${name.padEnd(width)}${cells[r]!.map((c, i) => c.padEnd(cols[i]!)).join("")}`);
}

function makePlan(seed: number): Step[] {
  const random = createRandom(seed);
  const plan: Step[] = [
    ...Array<number>(Number(args.zero)).fill(0),
    ...Array<number>(Number(args.effect)).fill(2),
    ...Array<number>(Number(args.worse)).fill(-2),
  ];
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  // --noisier: its own stream, so that the plan's effects are the same with it or without.
  const noisy = createRandom(seed + 7919);
  return plan.map((e) =>
    e === 0 && noisierShare > 0 && noisy() < noisierShare ? [0, noisierK] : e,
  );
}

/** Adds up replicates: rates over all their candidates, gaps averaged. */
function pool(outs: Outcome[]): Outcome {
  const sum = (f: (o: Outcome) => number) => outs.reduce((a, o) => a + f(o), 0);
  return {
    label: `${outs[0]!.label} x${outs.length}`,
    zero: { n: sum((o) => o.zero.n), kept: sum((o) => o.zero.kept) },
    effect: { n: sum((o) => o.effect.n), kept: sum((o) => o.effect.kept) },
    worse: {
      n: sum((o) => o.worse.n),
      kept: sum((o) => o.worse.kept),
      evals: sum((o) => o.worse.evals),
    },
    candidateEvals: sum((o) => o.candidateEvals),
    leftEvals: sum((o) => o.leftEvals),
    remeasureEvals: sum((o) => o.remeasureEvals),
    candidates: sum((o) => o.candidates),
    curseAtKeep: outs.flatMap((o) => o.curseAtKeep),
    levelAtKeep: outs.flatMap((o) => o.levelAtKeep),
    zeroZ: outs.flatMap((o) => o.zeroZ),
    barGap: outs.flatMap((o) => o.barGap),
    barChecks: sum((o) => o.barChecks),
    effectZ: {
      plain: outs.flatMap((o) => o.effectZ.plain),
      stopped: outs.flatMap((o) => o.effectZ.stopped),
    },
    finalGap: sum((o) => o.finalGap) / outs.length,
    finalTruth: sum((o) => o.finalTruth) / outs.length,
    seconds: sum((o) => o.seconds),
    counted: outs.some((o) => o.counted === null) ? null : sum((o) => o.counted ?? 0),
    lost: {
      first: sum((o) => o.lost.first),
      second: sum((o) => o.lost.second),
      pairs: sum((o) => o.lost.pairs),
      replaced: sum((o) => o.lost.replaced),
      other: sum((o) => o.lost.other),
    },
    replacedAt: {
      first: sum((o) => o.replacedAt.first),
      second: sum((o) => o.replacedAt.second),
      pairs: sum((o) => o.replacedAt.pairs),
    },
    nightPower: outs.flatMap((o) => o.nightPower),
    replacedN: sum((o) => o.replacedN),
    wonThenAgain: {
      n: sum((o) => o.wonThenAgain.n),
      kept: sum((o) => o.wonThenAgain.kept),
    },
    wonWhen: {
      trial: sum((o) => o.wonWhen.trial),
      after_keep: sum((o) => o.wonWhen.after_keep),
      wait: sum((o) => o.wonWhen.wait),
    },
    stoppedThenAgain: {
      n: sum((o) => o.stoppedThenAgain.n),
      kept: sum((o) => o.stoppedThenAgain.kept),
      screened: sum((o) => o.stoppedThenAgain.screened),
    },
    noisier: { n: sum((o) => o.noisier.n), kept: sum((o) => o.noisier.kept) },
  };
}

const drift = Number(args.drift);
const kinds = args.noise === "both" ? ["gaussian", "t3"] : [args.noise!];
const repeats = Number(args.repeat);
const workers = Number(args.workers);
const offset = Number(args.offset);
const GREEDY = { confirm: false, baseline_runs: 1, min_delta: 0 };
/** --decide: settings every autoexp column adds to its own (greedy's are its rule). */
const extra = JSON.parse(args.decide!) as Record<string, unknown>;

/** The rules compared, side by side on the same plan. */
function columns(): { label: string; decide: Record<string, unknown>; workers: number }[] {
  if (workers <= 1)
    return [
      { label: "autoexp (defaults)", decide: {}, workers: 1 },
      ...(args.screen !== undefined
        ? [
            {
              label: `paired, screen ${args.screen}`,
              decide: { screen_sd: Number(args.screen) },
              workers: 1,
            },
          ]
        : []),
      ...(args.before
        ? [{ label: "unpaired (before)", decide: { paired: false }, workers: 1 }]
        : []),
      { label: "greedy (1 run, > best)", decide: GREEDY, workers: 1 },
    ];
  const n = `${workers} workers`;
  return [
    { label: "autoexp, 1 worker", decide: {}, workers: 1 },
    { label: `autoexp, ${n}`, decide: { compare_within: "worker" }, workers },
    ...(args.screen !== undefined
      ? [
          {
            label: `paired, screen ${args.screen}, ${n}`,
            decide: { compare_within: "worker", screen_sd: Number(args.screen) },
            workers,
          },
        ]
      : []),
    ...(args.before
      ? [
          {
            label: `unpaired (before), ${n}`,
            decide: { compare_within: "worker", paired: false },
            workers,
          },
        ]
      : []),
    ...(args.pooled
      ? [{ label: `autoexp pooled, ${n}`, decide: { compare_within: "any" }, workers }]
      : []),
    { label: `naive parallel, ${n}`, decide: { ...GREEDY, compare_within: "any" }, workers },
  ];
}

for (const noise of kinds) {
  const cols = columns().filter((c) => !process.env.ONLY || c.label.includes(process.env.ONLY));
  const all: Outcome[][] = cols.map(() => []);
  for (let r = 0; r < repeats; r++) {
    const plan = makePlan(Number(args.seed) + r);
    console.log(
      `\n== noise: ${noise === "t3" ? "Student-t, 3 df (heavy tails), sd 1" : "Gaussian, sd 1"}${drift ? `, drift +${drift} sd per eval` : ""}${workers > 1 ? `; worker k adds k x ${offset} sd` : ""}; ${plan.length} candidates (plan seed ${Number(args.seed) + r})`,
    );
    const outs = await Promise.all(
      cols.map((c) =>
        runOne(
          c.label,
          c.decide.confirm === false ? c.decide : { ...extra, ...c.decide },
          plan,
          noise,
          drift,
          c.workers,
          c.workers > 1 ? offset : 0,
        ),
      ),
    );
    report(outs);
    for (const [i, o] of outs.entries()) all[i]!.push(o);
  }
  if (repeats > 1) {
    console.log(`\n== ${noise}: all ${repeats} replicates together`);
    report(all.map(pool));
  }
}
