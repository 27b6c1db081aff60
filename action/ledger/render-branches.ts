import { inertMarkdown } from "../util/markdown-inert.ts";
import { formatDelta } from "./format-score.ts";
import { type LineRun, lineRuns, renderLineRuns } from "./line-runs.ts";
import type { ParsedLog } from "./log-jsonl.ts";
import {
  type BranchEntry,
  type BranchPointEntry,
  type Goal,
  KEPT,
  type ResultEntry,
} from "./types.ts";

/** Switches listed at most (the newest); log.jsonl's branch lines hold them all. */
const MAX_SWITCHES = 20;

/** The tree strategy `branch` grew: its points, the proposals made on each, what each gave. */
export interface BranchTree {
  /** Every branch point proposed on, in the order first proposed on; `null`: the incumbent. */
  branches: {
    on: number | null;
    /** As the latest branch line offering it recorded it (absent for the incumbent). */
    point?: BranchPointEntry;
    proposals: number;
    /** Experiments proposed on it that were kept. */
    kept: number[];
  }[];
  /** Every switch of branch, oldest first. */
  switches: BranchEntry[];
  /** The primary metric's goal: a point's gap is shown as the metric's own change, as Δ is. */
  goal: Goal;
  /** Every revisit (a discard's change judged again on a later incumbent), oldest first. */
  revisits: {
    iteration: number;
    of: number;
    status: ResultEntry["status"];
    delta: number | null;
    against?: number;
  }[];
  /** Matrix runs (rows carrying `line`), oldest first: each line a branch from their start. */
  lines: LineRun[];
}

/**
 * The tree from the ledger's branch lines and rows; null when it never branched, revisited, nor
 * ran as a matrix.
 */
export function branchTree(
  log: Pick<ParsedLog, "branches" | "results"> & { config?: ParsedLog["config"] },
): BranchTree | null {
  const switches = log.branches ?? [];
  const revisits = log.results.flatMap((r) =>
    r.revisit_of === undefined
      ? []
      : [
          {
            iteration: r.iteration,
            of: r.revisit_of,
            status: r.status,
            delta: r.delta,
            ...(r.against !== undefined ? { against: r.against } : {}),
          },
        ],
  );
  const lines = lineRuns(log.results);
  if (switches.length === 0 && revisits.length === 0 && lines.length === 0) return null;
  const points = new Map<number, BranchPointEntry>();
  for (const s of switches) for (const p of s.points) points.set(p.iteration, p);
  const first = switches[0]?.iteration ?? Number.POSITIVE_INFINITY;
  const branches = new Map<number | null, BranchTree["branches"][number]>();
  for (const r of log.results) {
    if (r.iteration < first || r.revisit_of !== undefined) continue;
    const on = r.proposed_on ?? null;
    let b = branches.get(on);
    if (!b) {
      const point = on === null ? undefined : points.get(on);
      b = { on, ...(point ? { point } : {}), proposals: 0, kept: [] };
      branches.set(on, b);
    }
    b.proposals++;
    if (KEPT.has(r.status) && r.score !== null) b.kept.push(r.iteration);
  }
  return {
    branches: [...branches.values()],
    switches,
    revisits,
    lines,
    goal: log.config?.goal ?? "minimize",
  };
}

/**
 * The tree as Markdown, for the dashboard and the PR alike: each branch point with its gap to the
 * incumbent as measured, the proposals made on it and the keeps they gave, then the switches
 * with their reasons; then a matrix's lines as branches (line-runs.ts), then the revisits.
 * `heading`: the section's level; `link`: how an experiment is named (the PR links commits).
 * Empty when there is no tree (branchTree null).
 */
export function renderBranches(
  tree: BranchTree | null | undefined,
  options: { heading?: string; link?: (iteration: number) => string } = {},
): string {
  if (!tree) return "";
  const name = options.link ?? ((n: number) => `#${n}`);
  const rows = tree.branches.map((b) => {
    const where =
      b.on === null
        ? "the incumbent"
        : `${name(b.on)} (${b.point?.kind === "kept" ? "earlier incumbent" : "near-miss"})`;
    // The metric's own change, as the kept table's Δ: a point worse on a minimised metric is +.
    const delta = b.point ? (tree.goal === "maximize" ? 1 : -1) * b.point.gain : 0;
    const gap = b.point
      ? `${formatDelta(delta)} ${b.point.gain >= 0 ? "better" : "worse"} ${b.point.measured === "paired" ? "(measured beside it)" : "(means at different times)"}`
      : "";
    const kept = b.kept.length > 0 ? b.kept.map(name).join(", ") : "none";
    return `| ${where} | ${gap} | ${b.proposals} | ${kept} |`;
  });
  const shown = tree.switches.slice(-MAX_SWITCHES);
  const switches = shown.map(
    (s) =>
      `- #${s.iteration}: ${s.from === null ? "the incumbent" : `#${s.from}`} → ${s.on === null ? "the incumbent" : `#${s.on}`}: ${inertMarkdown(s.reason, 400)}`,
  );
  const more =
    tree.switches.length > shown.length
      ? [`- _${tree.switches.length - shown.length} earlier switch(es) in log.jsonl_`]
      : [];
  const branched =
    tree.switches.length === 0
      ? []
      : [
          "Strategy `branch`: after a stall the agent also proposed from these points. Every candidate was measured beside the incumbent and kept only when it beat it; a keep's code is the point's plus the change. Gaps are to the incumbent of the switch that offered the point.",
          "",
          "| proposed on | gap to the incumbent | proposals | kept |",
          "|---|--:|--:|---|",
          ...rows,
          "",
          "Switches:",
          "",
          ...more,
          ...switches,
        ];
  const revisited = tree.revisits
    .slice(-MAX_SWITCHES)
    .map(
      (r) =>
        `| ${name(r.iteration)} | ${name(r.of)} | ${r.status} | ${formatDelta(r.delta, r.against)} |`,
    );
  const revisits =
    tree.revisits.length === 0
      ? []
      : [
          "Revisits: a discard judged against an incumbent since replaced, its change re-applied onto the incumbent and measured beside it again (each at most once).",
          "",
          "| revisit | of discard | verdict | delta |",
          "|---|---|---|--:|",
          ...(tree.revisits.length > revisited.length
            ? [`| _${tree.revisits.length - revisited.length} earlier in log.jsonl_ | | | |`]
            : []),
          ...revisited,
        ];
  const lines = renderLineRuns(tree.lines, name);
  const lineCount = tree.lines.reduce((n, run) => n + run.lines.length, 0);
  const title = [
    `${tree.switches.length} switch${tree.switches.length === 1 ? "" : "es"}`,
    ...(tree.revisits.length > 0
      ? [`${tree.revisits.length} revisit${tree.revisits.length === 1 ? "" : "s"}`]
      : []),
    ...(lineCount > 0 ? [`${lineCount} matrix line${lineCount === 1 ? "" : "s"}`] : []),
  ].join(", ");
  const parts = [branched, lines, revisits].filter((p) => p.length > 0);
  return [
    `${options.heading ?? "##"} Branches (${title})`,
    "",
    ...parts.flatMap((p, i) => (i > 0 ? ["", ...p] : p)),
  ].join("\n");
}
