import { section } from "./section.ts";

/** Where a proposal starts and what may be revisited (strategy `branch`), as the agent is told. */
export interface BranchContext {
  /** The incumbent the candidate is judged against. */
  incumbent: number;
  /** The branch point the worktree holds, when the strategy placed the proposal on one. */
  point?: {
    /** The experiment whose code the worktree holds. */
    on: number;
    kind: "kept" | "near-miss" | "line";
    /** What that experiment changed, as its row says. */
    description: string;
    /** Why the strategy placed this proposal there: the stall, the point's gap, the bandit. */
    why: string;
  };
  /** Revisits: the discards that may be revisited, and those revisited so far. */
  revisits?: RevisitContext;
}

/** What the agent is told of revisits. Gains are signed as gains (positive: better). */
export interface RevisitContext {
  /** Up to a few discards judged against an incumbent since replaced, best first. */
  eligible: { iteration: number; against: number; gain: number | null; description: string }[];
  /** The latest revisits made: which row revisited which discard, and its verdict. */
  done: { iteration: number; of: number; status: string; gain: number | null }[];
  /** Whether this agent can ask (a line in its description file); API agents cannot. */
  canAsk: boolean;
}

/**
 * Which code the worktree holds, why, and what the change is judged against; then the discards
 * that may be revisited and how the revisits went. Empty when there is nothing to say.
 */
export function renderBranch(branch: BranchContext | undefined): string {
  if (!branch) return "";
  return [renderPoint(branch), renderRevisits(branch.revisits)].filter(Boolean).join("\n");
}

function renderPoint({ point, incumbent }: BranchContext): string {
  if (!point) return "";
  const what =
    point.kind === "kept"
      ? `an earlier incumbent (#${point.on})`
      : point.kind === "line"
        ? `experiment #${point.on}, a keep of a parallel line of this tag that another line's record displaced (judged on its own line, not against the incumbent)`
        : `experiment #${point.on}, which was not kept but came close`;
  const described = point.description ? ` (${point.description.slice(0, 200)})` : "";
  return section(
    "The branch you are proposing on",
    `Your worktree holds the code of ${what}${described}, not the incumbent's: ${point.why}. Change it from there. The result is measured beside the incumbent #${incumbent} and kept only if it beats it, so aim for a change that takes this code past the incumbent, not one that only improves on #${point.on}.`,
  );
}

function renderRevisits(revisits: RevisitContext | undefined): string {
  if (!revisits || (revisits.eligible.length === 0 && revisits.done.length === 0)) return "";
  const gain = (g: number | null) =>
    g === null ? "no score" : `${g >= 0 ? "+" : ""}${g.toPrecision(3)}`;
  const lines: string[] = [];
  if (revisits.eligible.length > 0) {
    lines.push(
      "These discards were judged against an incumbent that has since been replaced, so their verdict may no longer hold. Each may be revisited once: its change re-applied onto the incumbent and measured beside it.",
    );
    for (const e of revisits.eligible)
      lines.push(
        `- #${e.iteration} (${gain(e.gain)} against #${e.against}): ${e.description.slice(0, 160)}`,
      );
    if (revisits.canAsk)
      lines.push(
        "",
        "To revisit one instead of proposing a change, write a line `revisit: #N` in your description file and change nothing else (any change you make is set aside).",
      );
  }
  if (revisits.done.length > 0) {
    lines.push("", "Revisited so far:");
    for (const d of revisits.done)
      lines.push(`- #${d.iteration} revisited #${d.of}: ${d.status} (${gain(d.gain)})`);
  }
  return section("Revisits", lines.join("\n").trim());
}
