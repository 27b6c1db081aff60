import type { ParsedLog } from "./log-jsonl.ts";
import { renderDashboard } from "./render-dashboard.ts";
import { renderResultsTsv } from "./results-tsv.ts";
import { viewFromLog } from "./summarize.ts";

/** Where the record lives inside the tree: `.autoexp/<tag>`. */
export function recordDir(tag: string): string {
  return `.autoexp/${tag}`;
}

/** results.tsv and dashboard.md as the ledger says. */
export function renderRecordFiles(log: ParsedLog): { results: string; dashboard: string } {
  const metrics = log.config ? [log.config.metric, ...Object.keys(log.config.guards)] : ["score"];
  const view = viewFromLog(log);
  const scores = new Map(view.rows.map((r) => [r.iteration, r.score]));
  return {
    results: renderResultsTsv(metrics, log.results, scores),
    dashboard: renderDashboard(view),
  };
}

/**
 * Every file of a record commit, by path in the tree: the ledger's text as autoexp wrote it, its
 * renderings, and notes.md once there are notes. The one place a record's files are decided,
 * for the engine and for publishing.
 */
export function recordFiles(
  tag: string,
  log: ParsedLog,
  logText: string,
  notes: string,
): Record<string, { content: string }> {
  const dir = recordDir(tag);
  const rendered = renderRecordFiles(log);
  const files: Record<string, { content: string }> = {
    [`${dir}/log.jsonl`]: { content: logText },
    [`${dir}/results.tsv`]: { content: rendered.results },
    [`${dir}/dashboard.md`]: { content: rendered.dashboard },
  };
  if (notes) files[`${dir}/notes.md`] = { content: notes };
  return files;
}
