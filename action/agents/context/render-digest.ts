import type { ResultEntry } from "../../ledger/types.ts";
import { clip } from "../../util/text.ts";
import { fmt } from "./fmt.ts";
import { keepLast } from "./keep-last.ts";

/**
 * Every older experiment in a line: kept ones first (they are the path so far), then the
 * rest, identical descriptions merged. When cut, the newest survive.
 */
export function renderDigest(rows: readonly ResultEntry[], max: number): string {
  const kept = rows.filter((r) => r.status === "keep" || r.status === "simplification");
  const keptLines = kept.map(
    (r) =>
      `- #${r.iteration} ${r.status} Δ${r.delta !== null && r.delta >= 0 ? "+" : ""}${fmt(r.delta ?? 0)}: ${clip(r.description, 120)}`,
  );
  const groups = new Map<string, { rows: ResultEntry[]; description: string }>();
  for (const r of rows) {
    if (r.status === "keep" || r.status === "simplification") continue;
    const key = `${r.status}\0${r.description.toLowerCase().replace(/\s+/g, " ").trim()}`;
    const g = groups.get(key) ?? { rows: [], description: r.description };
    g.rows.push(r);
    groups.set(key, g);
  }
  const otherLines = [...groups.values()]
    .sort((a, b) => a.rows.at(-1)!.iteration - b.rows.at(-1)!.iteration)
    .map((g) => {
      const r = g.rows.at(-1)!;
      const ids =
        g.rows.length > 1
          ? `${g.rows.length}× (#${g.rows
              .map((x) => x.iteration)
              .slice(-4)
              .join(", #")})`
          : `#${r.iteration}`;
      const delta = r.delta !== null ? ` Δ${r.delta >= 0 ? "+" : ""}${fmt(r.delta)}` : "";
      return `- ${ids} ${r.status}${delta}: ${clip(g.description, 100)}`;
    });
  const keptText =
    keptLines.length > 0 ? `Kept:\n${keepLast(keptLines, Math.floor(max * 0.4))}` : "";
  const otherText =
    otherLines.length > 0
      ? `Not kept:\n${keepLast(otherLines, Math.max(0, max - keptText.length - 20))}`
      : "";
  return [keptText, otherText].filter(Boolean).join("\n") || "(nothing)";
}
