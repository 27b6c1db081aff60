import { cutMarkdown, cutMarkdownChars } from "../action/ledger/cut-markdown.ts";
import { type ParsedLog, parseLog } from "../action/ledger/log-jsonl.ts";
import {
  chanceKeepsNote,
  experimentsText,
  isKeptExperiment,
  nightFigures,
} from "../action/ledger/night-figures.ts";
import { renderAttribution } from "../action/ledger/render-attribution.ts";
import { renderBranches } from "../action/ledger/render-branches.ts";
import { renderChart } from "../action/ledger/render-chart.ts";
import { renderCheapEval } from "../action/ledger/render-cheap-eval.ts";
import {
  evalRunsFact,
  evalTimeText,
  formatDelta,
  formatEvidence,
  formatPercent,
  formatScore,
  renderCounts,
  renderNoise,
  renderNondeterministic,
  renderPairedNote,
  renderPrintedTwice,
} from "../action/ledger/render-dashboard.ts";
import { renderVerified } from "../action/ledger/render-verified.ts";
import { type LedgerView, viewFromLog } from "../action/ledger/summarize.ts";
import { inertMarkdown } from "../action/util/markdown-inert.ts";

/** GitHub refuses PR bodies over 65,536 characters; stay under with room for the marker. */
export const BODY_LIMIT = 65_000;

export function marker(tag: string): string {
  return `<!-- autoexp:pr tag=${tag} -->`;
}

/** A ledger read leniently: lines that are not JSON ledger entries are counted, not fatal. */
export function readLedger(text: string): { log: ParsedLog; unreadable: number } {
  const log = parseLog(text, { lenient: true });
  return { log, unreadable: log.unreadable };
}

export interface PrContext {
  tag: string;
  /** https://github.com/owner/repo */
  repoUrl: string;
  /** Links to the workflow runs that produced the record, newest first. */
  runs?: readonly { url: string; title: string }[];
  /** The branch holds `.autoexp/<tag>/progress.svg`: the body shows it above the chart. */
  progressSvg?: boolean;
  /** `autoexp split`'s section: a link to each change set's own draft PR. */
  split?: string;
}

export interface RenderedPr {
  title: string;
  body: string;
  /** Kept experiments on the branch (baseline not counted). */
  kept: number;
}

/**
 * The PR for one tag, from its ledger (null: missing): the change baseline to best, the kept
 * experiments with commit links and confidence, counts by status, the chart, noise, guards, cost
 * and time, run links. Always within GitHub's size limit; whatever could not be read is said.
 */
export function renderPr(ledger: string | null, ctx: PrContext): RenderedPr {
  const head = marker(ctx.tag);
  if (ledger === null) {
    return {
      title: `autoexp ${ctx.tag}: no record found`,
      body: `${head}\n## autoexp · ${ctx.tag}\n\n> [!WARNING]\n> \`.autoexp/${ctx.tag}/log.jsonl\` was not found on \`autoexp/${ctx.tag}\`: nothing to summarise.\n`,
      kept: 0,
    };
  }
  const { log, unreadable } = readLedger(ledger);
  let view: LedgerView;
  try {
    view = viewFromLog(log, ctx.tag);
  } catch (error) {
    return {
      title: `autoexp ${ctx.tag}: the record could not be read`,
      body: `${head}\n## autoexp · ${ctx.tag}\n\n> [!WARNING]\n> The ledger on \`autoexp/${ctx.tag}\` could not be summarised (${inertMarkdown(error instanceof Error ? error.message : String(error))}).\n`,
      kept: 0,
    };
  }
  const figures = nightFigures(view);
  const kept = view.rows.filter(isKeptExperiment);
  const change =
    figures.baseline !== null && figures.best !== null
      ? `${view.metric} ${formatScore(figures.baseline)} → ${formatScore(figures.best)}${formatPercent(figures.changePercent)}`
      : `${view.metric}: no baseline`;
  const title = `autoexp ${ctx.tag}: ${change}, ${figures.kept} kept`;
  const byIteration = new Map(log.results.map((r) => [r.iteration, r]));
  const link = (iteration: number, short: string) => {
    const full = byIteration.get(iteration)?.commit_full;
    return full ? `[\`${short}\`](${ctx.repoUrl}/commit/${full})` : short ? `\`${short}\`` : "";
  };
  const chance = chanceKeepsNote(view);
  const header = [
    head,
    `## autoexp · ${ctx.tag}`,
    "",
    ...(view.verified ? [renderVerified(view.verified), ""] : []),
    `**${change}** (${view.goal}) over ${experimentsText(figures.experiments)}; ${figures.kept} kept, ${keptHow(view)}.`,
    "",
    ...(chance ? [chance, ""] : []),
    renderCounts(view),
  ];
  const facts: string[] = [renderNoise(view)];
  if (view.minDelta !== null) facts.push(`min_delta ${formatScore(view.minDelta)}`);
  const guards = log.config ? Object.entries(log.config.guards) : [];
  if (guards.length > 0)
    facts.push(
      `guards: ${guards.map(([n, g]) => `${n}${g.min !== undefined ? ` ≥ ${g.min}` : ""}${g.max !== undefined ? ` ≤ ${g.max}` : ""}`).join(", ")}`,
    );
  if (view.costUsd > 0) facts.push(`cost $${view.costUsd.toFixed(2)}`);
  facts.push(`eval time: ${evalTimeText(view)}`);
  const evalRuns = evalRunsFact(view);
  if (evalRuns) facts.push(evalRuns);
  if (view.stopReason) facts.push(`last batch stopped: ${inertMarkdown(view.stopReason, 600)}`);
  const warnings: string[] = [];
  if (unreadable > 0)
    warnings.push(
      `> [!WARNING]\n> ${unreadable} line(s) of log.jsonl could not be read and are left out of this summary.`,
    );
  for (const d of view.drift) warnings.push(`> [!WARNING]\n> Drift: ${inertMarkdown(d, 600)}`);
  for (const c of view.caveats) warnings.push(`> [!CAUTION]\n> ${inertMarkdown(c, 600)}`);
  if (view.printedTwice.length > 0) warnings.push(renderPrintedTwice(view));
  if (view.nondeterministic?.length) warnings.push(renderNondeterministic(view));
  // The cheap eval's transfer, as the dashboard shows it: a reviewer sees whether candidates were
  // discarded on it and how well it ranked them like the full eval.
  const cheap = view.cheapEval ? renderCheapEval(view.cheapEval) : "";
  const pairedNote = view.paired && kept.length > 0 ? renderPairedNote(view) : "";
  const keptTable = [
    `### Kept (${kept.length})`,
    "",
    kept.length > 0
      ? [
          `| # | commit | ${view.metric} | Δ | confidence | description |`,
          "|--:|---|--:|--:|---|---|",
          ...kept.map(
            (r) =>
              `| ${r.iteration} | ${link(r.iteration, r.commit)} | ${formatScore(r.score)} | ${formatDelta(r.delta, r.against)} | ${formatEvidence(r, view.goal)} | ${inertMarkdown(r.description)} |`,
          ),
        ].join("\n")
      : "Nothing kept: the branch holds the baseline only.",
    ...(pairedNote ? ["", pairedNote] : []),
  ];
  const shares = view.attribution ? renderAttribution(view.attribution) : "";
  const tree = renderBranches(view.branches, {
    heading: "###",
    link: (n) => {
      const short = byIteration.get(n)?.commit;
      return short ? `#${n} ${link(n, short)}` : `#${n}`;
    },
  });
  const blob = `${ctx.repoUrl}/blob/autoexp/${ctx.tag}/.autoexp/${ctx.tag}`;
  // One chart: progress.svg when the branch holds it (the PR is made after publish pushed it; an
  // absolute ?raw=true URL, which GitHub answers with the file itself, so an <img> shows it in
  // public and private repositories alike), else the Mermaid chart GitHub draws from the text.
  const chart = ctx.progressSvg
    ? `[![${ctx.tag}: every experiment, the kept ones labelled, and the best so far](${blob}/progress.svg?raw=true)](${blob}/progress.svg)`
    : renderChart(view);
  const runs = (ctx.runs ?? [])
    .slice(0, 10)
    .map((r) => `- [${inertMarkdown(r.title, 200)}](${r.url})`);
  const footer = [
    "",
    `Review: \`git log --first-parent autoexp/${ctx.tag}\` holds one commit per kept change (record commits touch only \`.autoexp/\`); every other candidate is at \`refs/autoexp/${ctx.tag}/<n>\`. Full record: [\`dashboard.md\`](${blob}/dashboard.md), [\`log.jsonl\`](${blob}/log.jsonl).`,
    ...(ctx.split ? ["", ctx.split] : []),
    ...(runs.length > 0 ? ["", "Runs:", ...runs] : []),
  ];
  const parts = [
    header.join("\n"),
    facts.join(" · "),
    ...warnings,
    chart,
    keptTable.join("\n"),
    cheap,
    tree,
    shares,
    footer.join("\n"),
  ].filter(Boolean);
  let body = parts.join("\n\n");
  if (body.length > BODY_LIMIT) {
    // Keep the newest kept rows that fit; the rest is in dashboard.md.
    const fixed = body.length - keptTable.join("\n").length;
    const rows = keptTable[2]!.split("\n");
    const room = BODY_LIMIT - fixed - 300;
    const out: string[] = [];
    let size = 0;
    for (let i = rows.length - 1; i >= 2; i--) {
      if (size + rows[i]!.length + 1 > room) break;
      out.unshift(rows[i]!);
      size += rows[i]!.length + 1;
    }
    const shown = out.length;
    const table = [rows[0], rows[1], ...out].join("\n");
    const note = `_${kept.length - shown} older kept experiment(s) are not listed here, to stay within GitHub's size limit; see dashboard.md._`;
    body = [
      header.join("\n"),
      facts.join(" · "),
      ...warnings,
      chart,
      `### Kept (${kept.length})\n\n${note}\n\n${table}${pairedNote ? `\n\n${pairedNote}` : ""}`,
      cheap,
      tree,
      shares,
      footer.join("\n"),
    ]
      .filter(Boolean)
      .join("\n\n");
    if (body.length > BODY_LIMIT)
      body = cutMarkdownChars(body, BODY_LIMIT, "_(cut to GitHub's size limit; see dashboard.md)_");
  }
  return { title: title.slice(0, 250), body, kept: kept.length };
}

/** How a keep was decided: two runs that agree (a deterministic eval) or a test at a confidence. */
function keptHow(view: Pick<LedgerView, "deterministic" | "noise" | "confidence">): string {
  if (view.deterministic && view.noise === 0)
    return "each on two runs that agree (deterministic eval)";
  const at = view.confidence !== null ? `${view.confidence * 100}%` : "the configured";
  return `each after a test at ${at} confidence`;
}

/** Lines of the PR body an answer to `/autoexp status` shows at most. */
export const ANSWER_LINES = 40;

/**
 * The answer to `/autoexp status`: the PR's title and the head of its body (markers left out),
 * cut at a block boundary so a table, a code block or the chart is never cut in two.
 */
export function renderStatusAnswer(pr: RenderedPr, maxLines = ANSWER_LINES): string {
  const body = pr.body
    .split("\n")
    .filter((l) => !l.startsWith("<!--"))
    .join("\n");
  return `${pr.title}\n\n${cutMarkdown(body, maxLines)}`;
}
