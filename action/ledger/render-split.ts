import { inertCode } from "../util/markdown-inert.ts";
import { formatGainLine } from "./render-verified.ts";
import type { SplitEntry, SplitGroup } from "./types.ts";

/** A change set's kept experiments: "#1, #3". */
export function keptIds(g: Pick<SplitGroup, "iterations">): string {
  return g.iterations.map((i) => `#${i}`).join(", ");
}

/**
 * `autoexp split`'s change sets as a table: each one's kept experiments, files and its effect
 * verified alone against the base, and a last column of `where` (its branch, or the App's PR).
 */
export function renderSplitTable(
  entry: SplitEntry,
  where: { head: string; cell: (g: SplitGroup) => string },
): string {
  return [
    `| change set | kept | files | ${entry.metric} verified alone, change set − base | ${where.head} |`,
    "|--:|---|---|---|---|",
    ...entry.groups.map(
      (g) =>
        `| ${g.n} | ${keptIds(g)} | ${g.files.map((f) => inertCode(f)).join(", ")} | ${formatGainLine(g.gain, entry.goal, entry.confidence)} | ${where.cell(g)} |`,
    ),
  ].join("\n");
}

/** The dashboard's section for the latest split of the final code. Pure. */
export function renderSplit(entry: SplitEntry): string {
  return [
    `### Independent change sets (${entry.groups.length}, \`autoexp split\`)`,
    "",
    `Each built on the base as its own branch and verified alone against it, interleaved, ${entry.pairs} pairs each. Changes that touch the same or neighbouring lines stay in one set.`,
    "",
    renderSplitTable(entry, { head: "branch", cell: (g) => inertCode(g.branch) }),
  ].join("\n");
}

/** One line for `autoexp status`: "split: 2 change sets: 1 (#3, #5) −0.02 ± 0.01 (95%), …". */
export function formatSplitLine(entry: SplitEntry): string {
  const sets = entry.groups.map(
    (g) => `${g.n} (${keptIds(g)}) ${formatGainLine(g.gain, entry.goal, entry.confidence)}`,
  );
  return `split: ${entry.groups.length} change set(s), each verified alone: ${sets.join("; ")}`;
}
