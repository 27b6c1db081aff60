import { section } from "./section.ts";

/** The branch point a proposal is made on (strategy `branch`), as the agent is told of it. */
export interface BranchContext {
  /** The experiment whose code the worktree holds. */
  on: number;
  kind: "kept" | "near-miss";
  /** What that experiment changed, as its row says. */
  description: string;
  /** The incumbent the candidate is judged against. */
  incumbent: number;
  /** Why the strategy placed this proposal there: the stall, the point's gap, the bandit. */
  why: string;
}

/** One paragraph: which code the worktree holds, why, and what the change will be judged against. */
export function renderBranch(branch: BranchContext | undefined): string {
  if (!branch) return "";
  const what =
    branch.kind === "kept"
      ? `an earlier incumbent (#${branch.on})`
      : `experiment #${branch.on}, which was not kept but came close`;
  const described = branch.description ? ` (${branch.description.slice(0, 200)})` : "";
  return section(
    "The branch you are proposing on",
    `Your worktree holds the code of ${what}${described}, not the incumbent's: ${branch.why}. Change it from there. The result is measured beside the incumbent #${branch.incumbent} and kept only if it beats it, so aim for a change that takes this code past the incumbent, not one that only improves on #${branch.on}.`,
  );
}
