import { formatDuration } from "../util/duration.ts";
import { inertCode, inertMarkdown } from "../util/markdown-inert.ts";
import { type RunsSpent, totalRuns } from "./eval-spent.ts";
import { formatDelta, formatPercent, formatScore, plural } from "./format-score.ts";
import {
  chanceKeepsNote,
  changeInterval,
  experimentsText,
  isKeptExperiment,
  nightFigures,
} from "./night-figures.ts";
import { renderAttribution } from "./render-attribution.ts";
import { renderBranches } from "./render-branches.ts";
import { cacheWriteSentences } from "./render-cache-writes.ts";
import { renderChart } from "./render-chart.ts";
import { renderCheapEval } from "./render-cheap-eval.ts";
import { renderSplit } from "./render-split.ts";
import { renderVerified } from "./render-verified.ts";
import type { LedgerView, ViewRow } from "./summarize.ts";
import { type Goal, STATUSES, type Status } from "./types.ts";

const MAX_TABLE_ROWS = 200;

// The number formats live in their own file (render-verified uses them too); re-exported here.
export { formatDelta, formatPercent, formatScore } from "./format-score.ts";

/** The headline: baseline to best with the change in percent. */
export function renderHeadline(view: LedgerView): string {
  const f = nightFigures(view);
  const bestText =
    f.bestIteration !== null
      ? `best **${formatScore(f.best)}**${formatPercent(f.changePercent)} at #${f.bestIteration} \`${f.bestCommit}\``
      : "no measurement yet";
  return `**${view.metric}** (${view.goal}): baseline **${formatScore(view.baseline)}** → ${bestText}`;
}

/** The noise estimate in words: what a reviewer needs to judge the deltas. */
export function renderNoise(
  view: Pick<LedgerView, "noise" | "noiseDf" | "deterministic" | "nondeterministic"> &
    Partial<Pick<LedgerView, "confidence">>,
): string {
  // A results.tsv (no config, no confidence) holds one run per experiment.
  if (view.noise === null && view.confidence === null)
    return "noise: unknown (a results.tsv records one run per experiment)";
  if (view.noise === null) return "noise: unknown (one baseline run; set decide.baseline_runs ≥ 2)";
  if (view.noise === 0)
    return "noise: none (repeated runs agree exactly: deterministic eval; a keep needs two runs that agree)";
  const first = view.nondeterministic?.[0];
  if (view.deterministic && first !== undefined)
    return `noise: sd ${formatScore(view.noise)} (${view.noiseDf} df), the spread of runs of the same code that disagreed from #${first} on: the baseline's runs agreed exactly, so the eval was judged deterministic until then`;
  return `noise: sd ${formatScore(view.noise)}${view.noiseDf > 0 ? ` (pooled, ${view.noiseDf} df)` : ""}`;
}

/** The experiments (the baseline not among them) by status, in a fixed, readable order. */
export function renderCounts(view: LedgerView): string {
  const { experiments, counts } = nightFigures(view);
  // Most frequent first; ties in the order statuses are defined, so the line is stable.
  const rank = (status: string) => STATUSES.indexOf(status as Status);
  // Nondeterministic rows are discards (a flag, not a status): counted within them.
  const flagged = view.nondeterministic?.length ?? 0;
  const parts = Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || rank(a[0]) - rank(b[0]))
    .map(
      ([status, n]) =>
        `${n} ${status}${status === "discard" && flagged > 0 ? ` (${flagged} nondeterministic)` : ""}`,
    );
  if (parts.length === 0) return "0 experiments after the baseline";
  return `${experimentsText(experiments)} after the baseline: ${parts.join(" · ")}`;
}

/**
 * How sure a keep is, in one cell: effect in noise units, p-value, the interval of the change
 * (in metric units, with the sign of the row's Δ), runs or pairs. A sequential keep leads with its
 * t and the bar it reached; kept in pairs after a screen, with the test that kept it (over every
 * pair), before figures that leave out the screened run, as the row's value and Δ do.
 */
export function formatEvidence(row: Pick<ViewRow, "evidence" | "runs">, goal: Goal): string {
  const e = row.evidence;
  if (!e) return row.runs ? `${row.runs} run${row.runs > 1 ? "s" : ""}` : "";
  if (e.test === "exact") return `deterministic eval, ${e.runs} run${e.runs > 1 ? "s" : ""}`;
  if (e.test === "single" || e.p === null) return "one run, noise unknown";
  const ci = e.ci ? `, CI ${formatInterval(changeInterval(e.ci, goal))}` : "";
  const p = e.p < 0.0001 ? "p < 0.0001" : `p = ${Number(e.p.toPrecision(2))}`;
  // Compared within strata: where the candidate ran, and so the incumbent's runs it met.
  const on = e.strata?.length ? ` on ${e.strata.map((s) => s.stratum).join(", ")}` : "";
  const size = e.paired ? plural(e.runs, "pair") : `${e.runs} vs ${e.incumbent_runs} runs`;
  const figures = `${formatScore(e.effect_sigma)} sd, ${p}${ci}, ${size}${on}`;
  const t = (x: number) => Number(x.toPrecision(3));
  // The looks its bar allowed for (a re-trial's are twice the night's): absent in old records.
  const looks = (max: number | undefined) =>
    max === undefined ? "" : ` (a bar for up to ${plural(max, e.paired ? "pair" : "run")})`;
  const d = e.decided;
  if (d)
    return `kept on ${plural(d.runs, "pair")}: t = ${t(d.t)} ≥ ${t(d.critical)}${looks(d.max_runs)}; without its screened run: ${figures}`;
  // Its own runs decided: the same test, and the bar it reached.
  const b = e.boundary;
  return b ? `kept at t = ${t(b.t)} ≥ ${t(b.critical)}${looks(b.max_runs)}; ${figures}` : figures;
}

/** "[−36.2, −7.40]": an interval of changes, each with its sign. */
export function formatInterval([lo, hi]: readonly [number, number]): string {
  return `[${formatDelta(lo)}, ${formatDelta(hi)}]`;
}

function renderTable(
  rows: readonly ViewRow[],
  metric: string,
  goal: Goal,
  withStatus: boolean,
): string {
  const head = withStatus
    ? `| # | commit | ${metric} | Δ | runs | status | description |\n|--:|---|--:|--:|--:|---|---|`
    : `| # | commit | ${metric} | Δ | confidence | description |\n|--:|---|--:|--:|---|---|`;
  const body = rows.map((r) =>
    [
      "",
      r.iteration,
      r.commit ? `\`${r.commit}\`` : "",
      formatScore(r.score),
      formatDelta(r.delta, r.against),
      withStatus ? (r.runs ?? "") : formatEvidence(r, goal),
      ...(withStatus ? [r.nondeterministic ? `${r.status} (nondeterministic)` : r.status] : []),
      inertMarkdown(r.description),
      "",
    ]
      .join(" | ")
      .trim(),
  );
  return [head, ...body].join("\n");
}

/**
 * Renders dashboard.md: headline, counts, noise, the chart, the kept experiments and all of them.
 * One chart, the Mermaid one: this file is also the job summary, where GitHub renders Mermaid but
 * no relative image (and the record is not pushed yet when the summary is written). `progressSvg`:
 * the record holds progress.svg beside this file, and a line says so.
 */
export function renderDashboard(view: LedgerView, options: { progressSvg?: boolean } = {}): string {
  const kept = view.rows.filter(isKeptExperiment);
  const recent = view.rows.slice(-MAX_TABLE_ROWS);
  const parts = [`# autoexp · ${view.title}`, ""];
  if (view.verified) parts.push(renderVerified(view.verified), "");
  parts.push(renderHeadline(view), "", renderCounts(view));
  const facts: string[] = [];
  facts.push(renderNoise(view));
  if (view.minDelta !== null) facts.push(`min_delta: ${formatScore(view.minDelta)}`);
  if (view.confidence !== null && view.noise)
    facts.push(`keeps need ${view.confidence * 100}% confidence`);
  if (view.evalSeconds > 0) facts.push(`eval time: ${evalTimeText(view)}`);
  const runs = evalRunsFact(view);
  if (runs) facts.push(runs);
  if (view.costUsd > 0) facts.push(`cost: $${view.costUsd.toFixed(2)}`);
  if (view.tokensIn + view.tokensOut > 0)
    facts.push(`tokens: ${formatCount(view.tokensIn)} in, ${formatCount(view.tokensOut)} out`);
  if (view.stopReason) facts.push(`last batch stopped: ${inertMarkdown(view.stopReason, 600)}`);
  if (facts.length > 0) parts.push("", facts.join(" · "));
  for (const d of view.drift) parts.push("", `> [!WARNING]\n> Drift: ${inertMarkdown(d, 600)}`);
  for (const c of view.caveats) parts.push("", `> [!CAUTION]\n> ${inertMarkdown(c, 600)}`);
  const chance = chanceKeepsNote(view);
  if (chance) parts.push("", chance);
  if (view.cacheWrites?.length) parts.push("", renderCacheWrites(view));
  if (view.cheapEval) parts.push("", renderCheapEval(view.cheapEval));
  for (const i of view.imported)
    parts.push(
      "",
      `Imported history: ${i.rows} experiment(s) from ${inertCode(i.source)} (${i.kept} kept there), shown to the agent as already tried; not part of this tag's record.`,
    );
  if (view.printedTwice.length > 0) parts.push("", renderPrintedTwice(view));
  if (view.nondeterministic?.length) parts.push("", renderNondeterministic(view));
  const chart = renderChart(view);
  if (chart) parts.push("", chart);
  if (chart && options.progressSvg)
    parts.push(
      "",
      "_progress.svg, beside this file, draws the same runs with each kept one labelled._",
    );
  parts.push("", `## Kept (${kept.length})`, "");
  parts.push(
    kept.length > 0 ? renderTable(kept, view.metric, view.goal, false) : "Nothing kept yet.",
  );
  if (view.paired) parts.push("", renderPairedNote(view));
  if (view.attribution) parts.push("", renderAttribution(view.attribution));
  if (view.split) parts.push("", renderSplit(view.split));
  if (view.branches) parts.push("", renderBranches(view.branches));
  parts.push(
    "",
    `## All experiments${recent.length < view.rows.length ? ` (last ${recent.length} of ${view.rows.length})` : ""}`,
    "",
  );
  parts.push(renderTable(recent, view.metric, view.goal, true), "");
  return parts.join("\n");
}

/**
 * What a row's value and Δ are when candidates were measured in pairs: a reader who subtracts
 * two values of the table does not get its Δ, and should know why.
 */
export function renderPairedNote(view: Pick<LedgerView, "sameWorkers">): string {
  const workers = view.sameWorkers
    ? " On several workers a value is the baseline's value plus the experiment's gain over the baseline on the workers both ran on (their devices may read differently, and the two ran on them in different shares), so that values on different workers compare."
    : "";
  return `_Measured in pairs: an experiment's Δ compares its runs with the incumbent's runs made beside them (the same machine, at the same time), not two values of this table. A value is the mean of the runs it counts: a first run that passed the screen and the runs a keep was decided on are left out, as they were chosen for looking good (a kept change is scored on its runs since).${workers} A confidence that begins "kept on N pairs: t ≥ bar" gives the test that kept the change, over every pair, its screened run's included: the bar holds false keeps to 1 − confidence over every look it allowed for (in brackets) and allows for the screen's choice. The figures after it leave the screened run out._`;
}

/** A flag for kept runs whose eval printed a metric twice: code may print its own score. */
export function renderPrintedTwice(view: Pick<LedgerView, "printedTwice">): string {
  const list = view.printedTwice
    // Metric names are the config's ([A-Za-z_][\w.\-/]*): shown as they are, like the column head.
    .map((p) => `#${p.iteration} (${p.metrics.join(", ")})`)
    .join(", ");
  return `> [!WARNING]\n> A metric was printed more than once in kept experiment(s) ${list}: the harness prints it once, so the kept code may print its own score. Read those diffs before merging.`;
}

/**
 * A flag for experiments whose runs disagreed in an eval judged deterministic: not kept on them,
 * and the reason the noise is no longer zero.
 */
export function renderNondeterministic(view: Pick<LedgerView, "nondeterministic">): string {
  const list = (view.nondeterministic ?? []).map((n) => `#${n}`);
  const shown = list.length > 20 ? [...list.slice(0, 20), `and ${list.length - 20} more`] : list;
  return `> [!WARNING]\n> Nondeterministic: ${list.length} experiment(s) gave different values in runs of the same code, in an eval judged deterministic (its baseline's runs agreed exactly): ${shown.join(", ")}. They were not kept on those runs (code that prints a better score in some of its runs looks like this), and from the first on candidates were judged by the noisy rule with the spread of those runs.`;
}

/**
 * What runs wrote into the declared writable caches. Each run wrote into its own copy, put back
 * before the next run, so no run read another's writes; the paths are an eval's, shown inert.
 */
export function renderCacheWrites(view: Pick<LedgerView, "cacheWrites">): string {
  const sentences = cacheWriteSentences(view.cacheWrites ?? [], (t) => inertCode(t));
  return [
    "> [!NOTE]",
    "> Written into writable caches (isolation.writable), each run into its own copy of the cache:",
    ...sentences.map((s) => `> - ${s}`),
  ].join("\n");
}

/** 950, 12.3k, 4.1M. */
function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1e6) return `${Number((n / 1e3).toPrecision(3))}k`;
  return `${Number((n / 1e6).toPrecision(3))}M`;
}

/**
 * "1h 2m", and with evaluations left behind "1h 2m (12m of it on 31 runs of candidates a keep
 * elsewhere left behind)".
 */
export function evalTimeText(view: LedgerView): string {
  const total = formatDuration(view.evalSeconds * 1000);
  const left = view.leftBehind;
  if (!left) return total;
  return `${total} (${formatDuration(left.seconds * 1000)} of it on ${left.runs} run${left.runs === 1 ? "" : "s"} of candidates a keep elsewhere left behind)`;
}

/**
 * "eval runs: 412 (215 of candidates, 130 of the incumbent beside candidates or new to a worker,
 * 20 right after keeps, 37 of candidates a keep elsewhere left behind, 10 of the baseline)": every
 * run on record, by what it was for; the parts add up to the total. Null: none on record (or a
 * results.tsv). The dashboard, the PR and `autoexp status` each say it so.
 */
export function evalRunsFact(view: Pick<LedgerView, "runs">): string | null {
  return view.runs && totalRuns(view.runs) > 0 ? `eval runs: ${evalRunsText(view.runs)}` : null;
}

function evalRunsText(runs: RunsSpent): string {
  const parts: [number, string][] = [
    [runs.candidates, "of candidates"],
    [runs.beside, "of the incumbent beside candidates or new to a worker"],
    [runs.afterKeeps, "right after keeps"],
    [runs.branchPoints, "of branch points"],
    [runs.rerun, "other re-runs of the incumbent"],
    [runs.leftBehind, "of candidates a keep elsewhere left behind"],
    [runs.duplicates, "of candidates found duplicates when recorded"],
    [runs.baseline, "of the baseline"],
  ];
  const said = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  return `${totalRuns(runs)} (${said.join(", ")})`;
}
