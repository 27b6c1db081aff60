import type { Config } from "../config/schema.ts";
import type { Goal, ResultEntry } from "../ledger/types.ts";

/** What an agent is told before it proposes one change. */
export interface ProposeContext {
  /** The experiment's worktree: the only place the agent may change. */
  worktree: string;
  iteration: number;
  config: Config;
  metric: string;
  goal: Goal;
  incumbentScore: number;
  /** Every experiment so far, oldest first. */
  history: readonly ResultEntry[];
  /** Paths (relative to the worktree) the agent may change. */
  targetFiles: readonly string[];
  /** A private folder for prompt files and the like, outside the worktree. */
  scratchDir: string;
  env: Record<string, string | undefined>;
  experimentsLeft: number;
}

/**
 * What the agent did. On `ok`, its change is whatever it left in the worktree (CLI agents) or
 * what it applied there (API agents, the search agent); the engine decides what that change is.
 */
export type Proposal =
  | {
      ok: true;
      description: string;
      meta?: Record<string, unknown>;
      costUsd?: number;
      exhausted?: false;
    }
  /** The agent has nothing left to try: the batch stops cleanly, no experiment is recorded. */
  | { ok: true; exhausted: true; description: string }
  | { ok: false; error: string; costUsd?: number };

/** One interface for every agent: change the candidate in the worktree and describe it. */
export interface Agent {
  readonly name: string;
  propose(context: ProposeContext): Promise<Proposal>;
}
