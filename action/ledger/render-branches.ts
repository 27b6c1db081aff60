import { inertMarkdown } from "../util/markdown-inert.ts";
import { formatScore } from "./format-score.ts";
import type { ParsedLog } from "./log-jsonl.ts";
import { type BranchEntry, type BranchPointEntry, KEPT } from "./types.ts";

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
}

/** The tree from the ledger's branch lines and rows; null when no branch line was written. */
export function branchTree(log: Pick<ParsedLog, "branches" | "results">): BranchTree | null {
  const switches = log.branches ?? [];
  if (switches.length === 0) return null;
  const points = new Map<number, BranchPointEntry>();
  for (const s of switches) for (const p of s.points) points.set(p.iteration, p);
  const first = switches[0]!.iteration;
  const branches = new Map<number | null, BranchTree["branches"][number]>();
  for (const r of log.results) {
    if (r.iteration < first) continue;
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
  return { branches: [...branches.values()], switches };
}

/**
 * The tree as Markdown, for the dashboard and the PR alike: each branch point with its gap to the
 * incumbent as measured, the proposals made on it and the keeps they gave, then the switches
 * with their reasons. `heading`: the section's level; `link`: how an experiment is named (the PR
 * links commits). Empty when the strategy never branched.
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
    const gap = b.point
      ? `${b.point.gain >= 0 ? "+" : "−"}${formatScore(Math.abs(b.point.gain))} ${b.point.measured === "paired" ? "(measured beside it)" : "(means at different times)"}`
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
  return [
    `${options.heading ?? "##"} Branches (${tree.switches.length} switch${tree.switches.length === 1 ? "" : "es"})`,
    "",
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
  ].join("\n");
}
