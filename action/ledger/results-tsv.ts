import { recordField } from "../util/record-field.ts";
import type { ResultEntry } from "./types.ts";

/** A row of a karpathy-style results.tsv: commit, metric columns, status, description. */
export interface TsvRow {
  commit: string;
  values: Record<string, number>;
  status: string;
  description: string;
}

/** A line of a results.tsv that could not be read: its number (1-based) and why. */
export interface SkippedLine {
  line: number;
  reason: string;
}

export interface ParsedTsv {
  metrics: string[];
  rows: TsvRow[];
  /** Lines left out because they could not be read. */
  skipped: SkippedLine[];
}

/**
 * Renders results.tsv exactly as karpathy/autoresearch writes it: header
 * `commit<TAB>metric...<TAB>status<TAB>description`, 6 decimals, crash rows 0.000000.
 * Repeated runs show the mean.
 */
export function renderResultsTsv(
  metrics: readonly string[],
  results: readonly ResultEntry[],
  /** Current scores by iteration (a kept commit's mean over all its runs, re-measures included). */
  scores?: ReadonlyMap<number, number | null>,
): string {
  const lines = [["commit", ...metrics, "status", "description"].join("\t")];
  for (const r of results) {
    const values = metrics.map((m, i) => {
      const v = i === 0 ? (scores?.get(r.iteration) ?? r.score ?? r.metrics[m]) : r.metrics[m];
      return (v !== undefined && v !== null && Number.isFinite(v) ? v : 0).toFixed(6);
    });
    lines.push(
      [
        recordField(r.commit) || "-------",
        ...values,
        recordField(r.status),
        recordField(r.description),
      ].join("\t"),
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Parses any karpathy-style results.tsv (the first row's commit may be the word `baseline`).
 * A line that cannot be read (too few columns, a value that is not a number) is skipped and
 * named in `skipped`, so one broken line written by hand does not hide a night of results.
 */
export function parseResultsTsv(text: string): ParsedTsv {
  const lines = text.split(/\r?\n/).map((line, i) => ({ line, number: i + 1 }));
  const content = lines.filter((l) => l.line.trim() !== "");
  const header = content[0]?.line.split("\t") ?? [];
  const statusAt = header.indexOf("status");
  if (header[0] !== "commit" || statusAt < 2) {
    throw new Error(
      "not a results.tsv: the header must be commit<TAB>metric...<TAB>status<TAB>description",
    );
  }
  const metrics = header.slice(1, statusAt);
  const rows: TsvRow[] = [];
  const skipped: SkippedLine[] = [];
  for (const { line, number } of content.slice(1)) {
    const cells = line.split("\t");
    if (cells.length < statusAt + 1) {
      skipped.push({
        line: number,
        reason: `${cells.length} column${cells.length === 1 ? "" : "s"}, expected ${header.length}`,
      });
      continue;
    }
    const values: Record<string, number> = {};
    const bad = metrics.find((m, j) => {
      const cell = cells[j + 1]!.trim();
      values[m] = Number(cell);
      return cell === "" || !Number.isFinite(values[m]);
    });
    if (bad !== undefined) {
      skipped.push({
        line: number,
        reason: `${bad} is not a number (${JSON.stringify(cells[metrics.indexOf(bad) + 1])})`,
      });
      continue;
    }
    rows.push({
      commit: cells[0]!,
      values,
      status: cells[statusAt]!,
      description: cells.slice(statusAt + 1).join("\t"),
    });
  }
  return { metrics, rows, skipped };
}
