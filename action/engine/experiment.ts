import type { Agent, LaunchAgent, PendingProposal, Proposal } from "../agents/agent.ts";
import type { Line } from "../agents/line.ts";
import type { Config } from "../config/schema.ts";
import type { Judgement, Policy } from "../decide/judge.ts";
import type { IncumbentState } from "../decide/ledger-state.ts";
import type { VerdictFields } from "../ledger/rows.ts";
import type { Evidence, RemeasureEntry, ResultEntry, Status } from "../ledger/types.ts";
import type { BranchChoice, Strategy } from "../strategy/strategy.ts";
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
  pending?: PendingProposal[];
  /**
   * What the agent proposed, against which incumbent, before any re-application: a rebase always
   * starts from it, so the result depends on contents, not on how many rebases came between.
   */
  origin?: { parent: IncumbentState; changes: Change[] };
  /**
   * The incumbent's runs made beside this candidate before it was re-applied onto a newer
   * incumbent: recorded with its row, under the incumbent they measured, as unpaired runs (the
   * candidate's runs they were paired with are not recorded). Dropped, the record would miss
   * runs the eval made, and the very ones beside a win: those read low. Placed (`after`) when
   * recorded.
   */
  setAside?: Omit<RemeasureEntry, "after">[];
  /**
   * Each evaluation this candidate had before it was re-applied onto a newer incumbent: the
   * incumbent it was judged against and how that ended (it beat it, ran out of runs or was
   * stopped still in the running). Recorded with its row (`reapplied`), so a change that won
   * against the incumbent it was made for and then lost on the newer one says so.
   */
  reappliedFrom?: NonNullable<ResultEntry["reapplied"]>;
  /**
   * The incumbent this candidate beat in an evaluation the record left behind (a keep elsewhere
   * replaced it meanwhile): on the incumbent it was re-applied onto, its first run is not screened.
   */
  wonAgainst?: number;
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
  /**
   * Where the strategy placed the proposal, when it weighed branch points (strategy `branch`).
   * On a point (`on`), the agent's checkout held the point's code, and `changes` carry every
   * target file in which it differs from the incumbent besides the agent's own change. Judged
   * against `parent`, the incumbent, as any candidate.
   */
  branch?: BranchChoice;
  agentSeconds: number;
}

/**
 * What was decided about a candidate, by status: a keep always has its commit, figures and
 * evidence; what lost to the judge (or to the checks after it) has its figures; what never gave a
 * score has none. Each is a ledger row's fields (rows.ts); `baseline` is never a verdict.
 */
export type Verdict =
  | KeptVerdict
  | LostVerdict
  | FailedVerdict
  | DuplicateVerdict
  | CheapDiscardVerdict;

/** Kept on the eval's runs, against the incumbent `judgedAgainst`. */
export interface KeptVerdict extends VerdictFields {
  status: "keep" | "simplification";
  score: number;
  delta: number;
  commit: string;
  evidence: Evidence;
  judgedAgainst: number;
  reason: string;
}

/**
 * Judged on the eval's runs and not kept: discarded, outside a guard, or kept by the judge and
 * refused by the checks (its evidence stays). Evidence wherever the judge compared runs.
 */
export interface LostVerdict extends VerdictFields {
  status: "discard" | "guard_fail" | "checks_failed";
  score: number;
  delta: number;
  commit: string;
  judgedAgainst: number;
  reason: string;
}

/**
 * No score: the agent failed, changed nothing or what it may not (no run), or a run crashed, timed
 * out or changed frozen files (the runs before it stay in `samples`).
 */
export interface FailedVerdict extends VerdictFields {
  status: "agent_error" | "no_change" | "violation" | "crash" | "timeout";
  score: null;
  delta: null;
  guard_pass: null;
  reason: string;
}

/** Discarded by the cheap eval (eval.screen) without a full run: no score on the full eval. */
export interface CheapDiscardVerdict extends VerdictFields {
  status: "discard";
  score: null;
  delta: null;
  guard_pass: null;
  judgedAgainst: number;
  cheap: NonNullable<VerdictFields["cheap"]>;
  reason: string;
}

/** The same code as experiment #duplicateOf: its result reused, the eval not run. */
export interface DuplicateVerdict extends VerdictFields {
  status: "duplicate";
  duplicateOf: number;
  reason: string;
}

/** Every status an experiment can end with has its verdict: a new status must be given one. */
export type EveryStatusJudged =
  Exclude<Status, "baseline"> extends Verdict["status"] ? true : never;
true satisfies EveryStatusJudged;

/**
 * The judge's final word on the eval's runs as a verdict. Its evidence is null only for a guard
 * breach (decide/judge.ts), so a keep without evidence is a bug.
 */
export function judged(
  judgement: Extract<Judgement, { final: true }>,
  fields: Omit<LostVerdict, "status" | "reason" | "evidence" | "undecided">,
): KeptVerdict | LostVerdict {
  const { status, reason, evidence } = judgement;
  const undecided = judgement.undecided ? { undecided: true as const } : {};
  if (status === "keep" || status === "simplification") {
    if (!evidence) throw new Error(`the judge gave ${status} without evidence: ${reason}`);
    return { ...fields, status, reason, evidence, ...undecided };
  }
  return { ...fields, status, reason, ...(evidence ? { evidence } : {}), ...undecided };
}

/** Whether the verdict makes the candidate the incumbent (keep or simplification). */
export function isKeep(verdict: Verdict): verdict is KeptVerdict {
  return verdict.status === "keep" || verdict.status === "simplification";
}

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
  /** Eval runs this batch's slots have finished, and the milliseconds they took. */
  runsMade?: () => { runs: number; ms: number };
  signal: AbortSignal | undefined;
  /** Where agent calls and rebases are refused once the batch is stopping (see Interrupted). */
  stopGate?: StopGate;
  /** The line of the tag this batch explores (a matrix shard), told to the agent. */
  line?: Line;
  /** Where each proposal starts (strategy.use); absent: `climb`, every one on the incumbent. */
  strategy?: Strategy;
}
