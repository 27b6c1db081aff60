import type { ResultEntry } from "./types.ts";

/** A row of a karpathy-style results.tsv: commit, metric columns, status, description. */
export interface TsvRow {
  commit: string;
  values: Record<string, number>;
  status: string;
  description: string;
}

export interface ParsedTsv {
  metrics: string[];
  rows: TsvRow[];
}

/** Tabs and newlines would break the format; karpathy's notebook splits on tabs. */
function clean(text: string): string {
  return text.replace(/[\t\r\n]+/g, " ").trim();
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
    lines.push([r.commit || "-------", ...values, r.status, clean(r.description)].join("\t"));
  }
  return `${lines.join("\n")}\n`;
}

/** Parses any karpathy-style results.tsv (the first row's commit may be the word `baseline`). */
export function parseResultsTsv(text: string): ParsedTsv {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = lines[0]?.split("\t") ?? [];
  const statusAt = header.indexOf("status");
  if (header[0] !== "commit" || statusAt < 2) {
    throw new Error(
      "not a results.tsv: the header must be commit<TAB>metric...<TAB>status<TAB>description",
    );
  }
  const metrics = header.slice(1, statusAt);
  const rows = lines.slice(1).map((line, i) => {
    const cells = line.split("\t");
    if (cells.length < statusAt + 1) {
      throw new Error(
        `results.tsv line ${i + 2} has ${cells.length} columns, expected ${header.length}`,
      );
    }
    const values: Record<string, number> = {};
    metrics.forEach((m, j) => {
      values[m] = Number(cells[j + 1]);
    });
    return {
      commit: cells[0]!,
      values,
      status: cells[statusAt]!,
      description: cells.slice(statusAt + 1).join("\t"),
    };
  });
  return { metrics, rows };
}
