import type { Agent, LaunchAgent, Proposal } from "../agents/agent.ts";
import type { Line } from "../agents/line.ts";
import type { Config } from "../config/schema.ts";
import type { Policy } from "../decide/judge.ts";
import type { IncumbentState } from "../decide/ledger-state.ts";
import type { VerdictFields } from "../ledger/rows.ts";
import type { ResultEntry } from "../ledger/types.ts";
import type { Change } from "./agent-checkout.ts";
import type { CheckoutLease } from "./checkout-pool.ts";
import type { BatchEvent } from "./events.ts";
import type { createFaults } from "./faults.ts";
import type { StopGate } from "./interrupted.ts";
import type { RecordStore } from "./record-store.ts";

/**
 * One experiment as a value: what it was proposed against, what the agent did, what autoexp
 * built from it. Each step returns a new value; nothing about it lives in the engine's state.
 */
export interface Candidate {
  iteration: number;
  /** The incumbent the proposal was made against (and is judged against). */
  parent: IncumbentState;
  /**
   * The branch head when the candidate began: a record commit holding the incumbent's code. The
   * candidate commit is built on it, so a keep extends the branch's history.
   */
  base: string;
  /** Result rows the agent sees (the ledger as it stood when the candidate began). */
  historyLength: number;
  /** notes.md as it stood when the candidate began. */
  notesBefore: string;
  /** Proposals begun before this one and still undecided, for the agent not to repeat them. */
  pending?: { description: string; meta?: Record<string, unknown> }[];
  /**
   * What the agent proposed, against which incumbent, before any re-application: a rebase always
   * starts from it, so the result depends on contents, not on how many rebases came between.
   */
  origin?: { parent: IncumbentState; changes: Change[] };
  /** The agent checkout that holds the proposal until it is screened (screen releases it). */
  lease?: CheckoutLease;
  proposal?: Proposal;
  /** Every path the agent changed, read back from its checkout. */
  changes?: Change[];
  /** The candidate commit autoexp built from the changed target files' bytes. */
  commit?: string;
  /** Content key of the candidate's target files (duplicates). */
  key?: string;
  /** Target files of the candidate (for the next proposal's context). */
  targetPaths?: string[];
  /** notes.md as the agent left it, when it changed it. */
  notes?: string;
  /** A re-check of experiment #n, a parallel line's displaced keep (see ledger/recheck.ts). */
  recheckOf?: number;
  agentSeconds: number;
}

/** What was decided about a candidate: a ledger row's fields. */
export type Verdict = VerdictFields;

/** Everything the steps share for one batch: settings and the adapters they act through. */
export interface EngineContext {
  config: Config;
  tag: string;
  metric: string;
  goal: "minimize" | "maximize";
  policy: Policy;
  store: RecordStore;
  agent: Agent;
  /** Whether the agent gets a throwaway git in its checkout (CLI tools expect one). */
  agentGit: boolean;
  /** How a CLI agent's command starts (in a pid namespace when the sandbox works). */
  launchAgent: LaunchAgent | undefined;
  evalEnv: Record<string, string | undefined>;
  agentEnv: Record<string, string | undefined>;
  redact: (text: string) => string;
  faults: ReturnType<typeof createFaults>;
  emit: (event: BatchEvent) => void;
  checkpoint: () => Promise<void>;
  isTarget: (path: string) => boolean;
  isFrozen: (path: string) => boolean;
  /** Evaluated content by key: a candidate seen before is a duplicate. */
  seen: Map<string, ResultEntry>;
  startedAt: number;
  planned: number;
  /** Experiments recorded by this batch. */
  done: number;
  /** Proposals made at once (their checkouts); 1 when not pipelined. */
  proposers: number;
  /** Slots evaluating at once. */
  workers: number;
  /** The workers' busy share so far (0..1), for progress. */
  busyShare?: () => number;
  signal: AbortSignal | undefined;
  /** Where agent calls and rebases are refused once the batch is stopping (see Interrupted). */
  stopGate?: StopGate;
  /** The line of the tag this batch explores (a matrix shard), told to the agent. */
  line?: Line;
}
