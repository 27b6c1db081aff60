import type { ResultEntry } from "../../ledger/types.ts";
import { clip } from "../../util/text.ts";
import type { ContextInput } from "./context-input.ts";
import { fmt } from "./fmt.ts";
import { keepLast } from "./keep-last.ts";

/** The latest experiments in full, one line each: status, score, change, evidence, reason. */
export function renderRecent(
  rows: readonly ResultEntry[],
  input: ContextInput,
  max: number,
): string {
  if (rows.length === 0) return "(none yet: this is the first experiment)";
  const lines = rows.map((r) => {
    const delta =
      r.delta !== null && r.status !== "baseline"
        ? ` Δ${r.delta >= 0 ? "+" : ""}${fmt(r.delta)}`
        : "";
    const score = r.score !== null ? ` ${input.metric}=${fmt(r.score)}` : "";
    const ev = r.evidence
      ? ` (${r.evidence.p !== null ? `p=${fmt(r.evidence.p)}, ` : ""}${r.evidence.runs} run${r.evidence.runs === 1 ? "" : "s"})`
      : "";
    const why = r.reason && r.status !== "keep" ? ` — ${clip(r.reason, 160)}` : "";
    return `- #${r.iteration} ${r.status}${score}${delta}${ev}: ${clip(r.description, 200)}${why}`;
  });
  return keepLast(lines, max);
}
