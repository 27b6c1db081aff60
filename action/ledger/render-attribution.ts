import { inertMarkdown } from "../util/markdown-inert.ts";
import { formatVerifiedChange } from "./render-verified.ts";
import type { AttributedChange, AttributeEntry } from "./types.ts";

/** What a change's row says beside its effect: flagged, conflicting, or nothing. */
export function attributionVerdict(c: AttributedChange): string {
  if (c.status === "conflict")
    return `no longer reverts cleanly (${(c.conflicts ?? []).map((f) => inertMarkdown(f, 80)).join(", ")}): not measured`;
  if (c.status === "superseded") return "later changes undid it: not in the final code";
  if (!c.effect || c.effect.ci === null) return "too few pairs for an interval";
  if (c.effect.ci[1] < 0) return "⚠ candidate to drop: the final code is better without it";
  if (c.drop_candidate) return "⚠ candidate to drop: its interval includes zero";
  return "carries part of the gain";
}

/**
 * "Each kept change's share": every kept change's marginal effect (the final code minus the final
 * code without it) with its interval, the ones indistinguishable from zero flagged. Pure.
 */
export function renderAttribution(a: AttributeEntry): string {
  const rows = a.changes.map((c) => {
    const effect = c.effect ? formatVerifiedChange(c.effect, a.goal, a.confidence) : "—";
    const pairs = c.effect ? String(c.effect.pairs) : "";
    return `| ${c.iteration} | \`${c.commit.slice(0, 7)}\` | ${inertMarkdown(c.description, 120)} | ${effect} | ${pairs} | ${attributionVerdict(c)} |`;
  });
  const flagged = a.changes.filter((c) => c.drop_candidate).map((c) => `#${c.iteration}`);
  return [
    "### Each kept change's share",
    "",
    `The final code (#${a.final_iteration}) measured against itself without each kept change (reverted three-way), interleaved, ${a.pairs} pairs per change: the change's marginal effect on ${a.metric}.`,
    "",
    `| # | commit | change | ${a.metric}, final − without it | pairs | |`,
    "|--:|---|---|---|--:|---|",
    ...rows,
    "",
    `_${a.runs} eval runs, ${Math.round(a.eval_seconds)} s of eval time (estimated ${Math.round(a.estimated_seconds)} s)${flagged.length > 0 ? `; candidates to drop: ${flagged.join(", ")}` : ""}._`,
  ].join("\n");
}
