import { clip } from "../../util/text.ts";
import { fmt } from "./fmt.ts";
import type { RunCurves } from "./read-curves.ts";
import { type CurveSummary, fmtX } from "./summarise-curve.ts";

const INTRO =
  "How the metrics the eval printed while it ran moved (each experiment's first run): start, quartiles, end, the lowest value, the shape.";

/**
 * The curves of the incumbent and the latest candidates within `max` characters, never cut
 * mid-line: the oldest candidates go first, then all but each run's first series; "" when not
 * even the incumbent's first series fits (or there is nothing to show).
 */
export function renderCurves(runs: readonly RunCurves[], metric: string, max: number): string {
  if (runs.length === 0) return "";
  const ordered = [...runs].sort(
    (a, b) => Number(b.incumbent) - Number(a.incumbent) || a.iteration - b.iteration,
  );
  for (const series of [Number.POSITIVE_INFINITY, 1]) {
    for (let drop = 0; drop < ordered.length; drop++) {
      const shown = [ordered[0]!, ...ordered.slice(1 + drop)];
      const text = [INTRO, ...shown.map((r) => renderRun(r, metric, series))].join("\n");
      if (text.length <= max) return text;
    }
  }
  return "";
}

function renderRun(run: RunCurves, metric: string, series: number): string {
  const score = run.score !== null ? `, ${metric}=${fmt(run.score)}` : "";
  const who = run.incumbent ? `${run.status}, the incumbent` : run.status;
  const head = `- #${run.iteration} ${who}${score}: ${clip(run.description, 80)}${run.partial ? " (a long log: its middle not read)" : ""}`;
  return [head, ...run.series.slice(0, series).map((s) => `  ${renderSeries(s)}`)].join("\n");
}

/** `loss by step (137 points): 1.552 @10, ... ; lowest 0.4711 @1130; falling, flat from ...` */
function renderSeries(s: CurveSummary): string {
  const points = s.points.map((p) => `${fmt(p.y)} @${fmtX(p.x)}`).join(", ");
  const low = s.min ? `; lowest ${fmt(s.min.y)} @${fmtX(s.min.x)}` : "";
  const axis = s.x === "line" ? "by line printed" : `by ${s.x}`;
  return `${clip(s.name, 40)} ${axis} (${s.count} points): ${points}${low}; ${s.shape}`;
}
