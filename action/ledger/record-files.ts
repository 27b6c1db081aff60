import type { ParsedLog } from "./log-jsonl.ts";
import { renderProgressSvg } from "./progress-svg.ts";
import { renderDashboard } from "./render-dashboard.ts";
import { renderResultsTsv } from "./results-tsv.ts";
import { type Segmented, segment, segmentFiles } from "./segments.ts";
import { viewFromLog } from "./summarize.ts";

/** Where the record lives inside the tree: `.autoexp/<tag>`. */
export function recordDir(tag: string): string {
  return `.autoexp/${tag}`;
}

/** results.tsv, dashboard.md and progress.svg as the ledger says. */
export function renderRecordFiles(
  log: ParsedLog,
  tag?: string,
): { results: string; dashboard: string; progress: string } {
  const metrics = log.config ? [log.config.metric, ...Object.keys(log.config.guards)] : ["score"];
  const view = viewFromLog(log, tag);
  const scores = new Map(view.rows.map((r) => [r.iteration, r.score]));
  return {
    results: renderResultsTsv(metrics, log.results, scores),
    dashboard: renderDashboard(view, { progressSvg: true }),
    progress: renderProgressSvg(view),
  };
}

export type Renderings = ReturnType<typeof renderRecordFiles>;

/**
 * Every file of a record commit, by path in the tree: the ledger's text as autoexp wrote it (laid
 * out in segments, see segments.ts), its renderings, and notes.md once there are notes. The one
 * place a record's files are decided, for the engine and for publishing.
 */
export function recordFiles(
  tag: string,
  log: ParsedLog,
  logText: string | Segmented,
  notes: string,
  rendered: Renderings = renderRecordFiles(log, tag),
): Record<string, { content: string }> {
  const dir = recordDir(tag);
  const layout = typeof logText === "string" ? segment(logText) : logText;
  const files: Record<string, { content: string }> = {};
  for (const [path, content] of Object.entries(segmentFiles(layout))) {
    files[`${dir}/${path}`] = { content };
  }
  files[`${dir}/results.tsv`] = { content: rendered.results };
  files[`${dir}/dashboard.md`] = { content: rendered.dashboard };
  files[`${dir}/progress.svg`] = { content: rendered.progress };
  if (notes) files[`${dir}/notes.md`] = { content: notes };
  return files;
}
