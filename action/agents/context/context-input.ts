import type { ConfigEntry, Goal, ResultEntry } from "../../ledger/types.ts";
import type { RunCurves } from "./read-curves.ts";
import type { BranchContext } from "./render-branch.ts";

/** Everything an LLM agent is told before one proposal. */
export interface ContextInput {
  metric: string;
  goal: Goal;
  incumbentScore: number;
  header: ConfigEntry | null;
  /** Every experiment so far, oldest first (iteration 0 is the baseline). */
  results: readonly ResultEntry[];
  /** The human's research direction. */
  program: string;
  /** The files the agent may edit, with their current text. */
  files: readonly { path: string; text: string }[];
  /** The agent's memory, notes.md. */
  notes: string;
  /** What was tried before autoexp (`autoexp import`): status, score and description. */
  imported?: readonly { status: string; score: number | null; description: string }[];
  /** How the incumbent's and the latest candidates' first runs trained (readCurves). */
  curves?: readonly RunCurves[];
  /** Proposals being evaluated now (pipelined or parallel runs): not decided, not to repeat. */
  pending?: readonly { description: string }[];
  budget: { experiments: number; wallClockMs: number | null; costUsd: number | null };
  /** Strategy branch: the branch point the worktree holds, the discards it may revisit. */
  branch?: BranchContext;
  /** Upper bound on the whole text, in characters. */
  maxChars: number;
  /** edits: answer with SEARCH/REPLACE (API agents); files: edit the worktree (CLI agents). */
  protocol:
    | { kind: "edits"; wholeFileMax: number }
    | { kind: "files"; descriptionFile: string; notesFile: string };
}
