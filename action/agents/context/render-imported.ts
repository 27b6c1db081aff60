import { type Goal, isBetter } from "../../ledger/types.ts";

type Row = { status: string; score: number | null; description: string };

/**
 * History from before autoexp, as a summary that fits `max` characters without cutting a line:
 * the best score, every keep in order (karpathy's early keeps included), then what else was
 * tried grouped by its first words, largest groups first, each with a count and examples.
 */
export function renderImported(rows: readonly Row[], goal: Goal, max: number): string {
  const scored = rows.filter((r) => r.score !== null && r.status !== "crash");
  const best = scored.reduce<Row | null>(
    (b, r) => (b === null || isBetter(r.score!, b.score!, goal) ? r : b),
    null,
  );
  const keeps = rows.filter((r) => r.status === "keep");
  const others = rows.filter((r) => r.status !== "keep");
  const groups = new Map<string, Row[]>();
  for (const r of others) {
    const key = groupKey(r.description);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const lines = [
    `${rows.length} experiments: ${keeps.length} kept, ${others.filter((r) => r.status === "crash").length} crashed, the rest discarded.`,
    best ? `Best: ${best.score} (${best.status}): ${oneLine(best.description)}` : "",
    keeps.length ? `Every keep, in order:` : "",
    ...keeps.map((r) => `- ${r.score ?? "-"}: ${oneLine(r.description)}`),
    groups.size ? "Tried and not kept, grouped (count, examples):" : "",
    ...[...groups.entries()]
      .sort((a, b) => b[1].length - a[1].length)
      .map(
        ([key, g]) =>
          `- ${key} (${g.length}): ${g
            .slice(0, 3)
            .map(
              (r) =>
                `${oneLine(r.description)} [${r.status}${r.score === null ? "" : ` ${r.score}`}]`,
            )
            .join("; ")}`,
      ),
  ].filter(Boolean);
  const out: string[] = [];
  let used = 0;
  for (const [i, line] of lines.entries()) {
    if (used + line.length + 1 > max - 60) {
      out.push(`[... ${lines.length - i} more line(s) of this summary left out]`);
      break;
    }
    out.push(line);
    used += line.length + 1;
  }
  return out.join("\n");
}

function oneLine(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > 160 ? `${t.slice(0, 157)}...` : t;
}

/** The first two words of a description, numbers dropped: "increase LR to 0.04" -> "increase lr". */
function groupKey(description: string): string {
  const words = description
    .toLowerCase()
    .replace(/[-+]?\d[\d.e+-]*/g, " ")
    .split(/[^a-z_]+/)
    .filter((w) => w.length > 1);
  return words.slice(0, 2).join(" ") || "(no description)";
}
