import type { Config } from "../config/schema.ts";
import type { ConfigEntry, Goal, ResultEntry } from "../ledger/types.ts";
import type { BranchContext } from "./context/render-branch.ts";
import type { Line } from "./line.ts";

/** Wraps a CLI agent's command and filters its environment (Isolation.launchAgent). */
export type LaunchAgent = (
  command: string | readonly string[],
  dirs: { cwd: string; writable: readonly string[]; readOnly?: readonly string[] },
  env: Record<string, string | undefined>,
) => { command: string | readonly string[]; env: Record<string, string> };

/** A proposal made and not yet decided (ProposeContext.pending). */
export interface PendingProposal {
  description: string;
  meta?: Record<string, unknown>;
  /** The branch point it was proposed on (strategy branch); absent: the incumbent. */
  on?: number;
}

/** What an agent is told before it proposes one change. */
export interface ProposeContext {
  /** The agent's own checkout of the incumbent: the only place it may change. */
  worktree: string;
  iteration: number;
  config: Config;
  metric: string;
  goal: Goal;
  incumbentScore: number;
  /** The ledger's header (baseline, noise, min_delta, guards); null before the baseline. */
  header: ConfigEntry | null;
  /** Every experiment so far, oldest first. */
  history: readonly ResultEntry[];
  /** What was tried before autoexp (`autoexp import results.tsv`), oldest first. */
  imported?: readonly { status: string; score: number | null; description: string }[];
  /**
   * Proposals already made and still being evaluated (pipelined or parallel runs), oldest first:
   * not yet decided, so not in `history`, but not worth proposing again.
   */
  pending?: readonly PendingProposal[];
  /** Paths (relative to the worktree) the agent may change. */
  targetFiles: readonly string[];
  /** Whether a new file at this path would be inside `target`. */
  mayCreate: (path: string) => boolean;
  /** A private folder for prompt files and the like, outside the worktree. */
  scratchDir: string;
  /** The object store the worktree's scratch git reads (read-only), when it has one. */
  gitObjects?: string;
  /** Where a CLI agent's process group is recorded, so a resumed run can kill one left running. */
  pidFile?: string;
  /**
   * How a CLI agent's command is started (see Isolation.launchAgent): sandboxed where bubblewrap
   * works, seeing only the system folders, its tools and declared folders, writing only its
   * checkout and scratch; and with only its own keys in its environment.
   */
  launch?: LaunchAgent;
  /** The agent's environment: the eval's, plus the agent's own secrets. */
  env: Record<string, string | undefined>;
  /** Removes secret values from text the agent writes to disk (its logs, the model's answer). */
  redact: (text: string) => string;
  /** notes.md as it stands: the agent's memory across experiments and batches. */
  notes: string;
  /** What is left of the batch's budgets; null where the budget is not set. */
  budget: { experiments: number; wallClockMs: number | null; costUsd: number | null };
  /** The line of the tag this batch explores when several run in parallel (a matrix shard). */
  line?: Line;
  /** Strategy branch: the branch point the worktree holds, the discards it may revisit. */
  branch?: BranchContext;
}

/** Tokens the model read and wrote for one proposal. */
export interface Usage {
  input: number;
  output: number;
}

interface Spent {
  costUsd?: number;
  usage?: Usage;
  /** notes.md after this proposal, when the agent changed it. */
  notes?: string;
}

/**
 * What the agent did. On `ok`, its change is whatever it left in the worktree (CLI agents) or
 * what it applied there (API agents, the search agent); the engine decides what that change is.
 */
export type Proposal =
  | ({
      ok: true;
      description: string;
      meta?: Record<string, unknown>;
      exhausted?: false;
    } & Spent)
  /**
   * The agent has nothing left to try: the batch stops cleanly, no experiment is recorded.
   * `waiting`: nothing new until the `pending` proposals are decided (its only moves are being
   * evaluated); the engine asks again once every earlier experiment is recorded.
   */
  | { ok: true; exhausted: true; description: string; waiting?: true }
  /**
   * `fatal`: the agent cannot work at all (no key, nothing at base_url, a model that answers with
   * nothing): the experiment is recorded and the batch stops, instead of failing every experiment.
   */
  | ({ ok: false; error: string; fatal?: boolean } & Spent);

/** One interface for every agent: change the candidate in the worktree and describe it. */
export interface Agent {
  readonly name: string;
  propose(context: ProposeContext): Promise<Proposal>;
}
