import type { ConfigEntry, ResultEntry, Status } from "./types.ts";

/** What the engine decided about one experiment, before it becomes a ledger row. */
export interface VerdictFields {
  status: Status;
  score: number | null;
  delta: number | null;
  metrics: Record<string, number>;
  samples: Record<string, number[]>;
  guard_pass: boolean | null;
  commit?: string;
  reason?: string;
  tail?: string;
  evalSeconds?: number;
  duplicateOf?: number;
  key?: string;
  evidence?: ResultEntry["evidence"];
  linesDelta?: number;
  printedTwice?: string[];
  runsOn?: { worker: number; device: string | null }[];
  /** Runs of the same code disagreed in an eval judged deterministic (decide/determinism.ts). */
  nondeterministic?: true;
  /** Where paired measurement's screen sat and how the first run scored (ResultEntry.screen). */
  screen?: ResultEntry["screen"];
  /** Paired from its first run, its stratum's bar in doubt (ResultEntry.bar_checked). */
  barChecked?: number;
  /** A duplicate found at its record: the runs its own evaluation made (ResultEntry.ran). */
  ran?: ResultEntry["ran"];
  /** Kept in pairs: its level for the screen's bar (ResultEntry.level). */
  level?: ResultEntry["level"];
  /** The cheap eval's runs and outcome (ResultEntry.cheap). */
  cheap?: ResultEntry["cheap"];
  /** The cheap eval stopped being used from this experiment on (ResultEntry.cheap_stopped). */
  cheapStopped?: ResultEntry["cheap_stopped"];
  /** Discarded only because its runs ran out, still in the running (not written to the row). */
  undecided?: true;
  /**
   * Stopped unfinished, neither lost nor kept, because a keep elsewhere replaced the incumbent it
   * was judged against (evaluate-paired.ts): re-applied onto the new one, where its row's
   * `reapplied` says so (not written to the row otherwise).
   */
  stopped?: true;
  /**
   * Judged against an incumbent a keep elsewhere replaced in its last pair ("trial") or, kept,
   * during its run after the keep ("after_keep"): re-applied when it won or ran out of pairs, its
   * row's `reapplied` entry says so (not written to the row otherwise).
   */
  replacedIn?: "trial" | "after_keep";
  /**
   * The incumbent the eval runs were judged against (and its runs beside them measured), as
   * evaluated: the record says so whatever happened to the candidate afterwards.
   */
  judgedAgainst?: number;
  /** Incumbent runs made beside the candidate on its worker (a concurrent baseline). */
  concurrent?: {
    samples: Record<string, number[]>;
    runsOn: { worker: number; device: string | null }[];
    evalSeconds: number;
    /** Made as the incumbent's side of the candidate's pairs, with each pair's AUTOEXP_SEED. */
    paired?: true;
    seeds?: number[];
  };
  /**
   * Kept in pairs: its run made after the decision (decide/ledger-state.ts, AFTER_KEEP_RUNS),
   * recorded as its first re-measure (reason "after-keep").
   */
  afterKeep?: {
    samples: Record<string, number[]>;
    runsOn: { worker: number; device: string | null }[];
    evalSeconds: number;
  };
}

/** What the agent said and spent, as the row records it. */
export interface ProposalFields {
  description: string;
  agentSeconds: number;
  costUsd?: number;
  usage?: { input: number; output: number };
  meta?: Record<string, unknown>;
  /** The experiment this one re-checks (a parallel line's displaced keep). */
  recheckOf?: number;
  /** The earlier incumbent it was judged against, when the incumbent moved on meanwhile. */
  against?: number;
  /** Its evaluations before it was re-applied onto a newer incumbent (ResultEntry.reapplied). */
  reappliedFrom?: ResultEntry["reapplied"];
}

/** One experiment's ledger row. Pure: the timestamp is passed in. */
export function buildResultRow(
  tag: string,
  iteration: number,
  guardName: string | undefined,
  verdict: VerdictFields,
  proposal: ProposalFields,
  timestamp: string,
): ResultEntry {
  const row: ResultEntry = {
    type: "result",
    iteration,
    commit: verdict.commit?.slice(0, 7) ?? "",
    commit_full: verdict.commit ?? null,
    diff: verdict.commit ? `refs/autoexp/${tag}/${iteration}` : null,
    score: verdict.score,
    delta: verdict.delta,
    guard_score: guardName ? (verdict.metrics[guardName] ?? null) : null,
    guard_pass: verdict.guard_pass,
    status: verdict.status,
    description: proposal.description.replace(/\s+/g, " ").trim().slice(0, 300),
    timestamp,
    metrics: verdict.metrics,
    samples: verdict.samples,
    agent_seconds: proposal.agentSeconds,
    eval_seconds: verdict.evalSeconds ?? 0,
    cost_usd: Math.round((proposal.costUsd ?? 0) * 1e6) / 1e6,
    ...(proposal.usage
      ? { tokens_in: proposal.usage.input, tokens_out: proposal.usage.output }
      : {}),
    ...(verdict.reason ? { reason: verdict.reason } : {}),
    ...(verdict.tail ? { log_tail: verdict.tail.slice(-2000) } : {}),
    ...(verdict.duplicateOf !== undefined ? { duplicate_of: verdict.duplicateOf } : {}),
    ...(verdict.ran ? { ran: verdict.ran } : {}),
    ...(proposal.meta ? { agent_meta: proposal.meta } : {}),
    ...(proposal.recheckOf !== undefined ? { recheck_of: proposal.recheckOf } : {}),
    ...(proposal.against !== undefined ? { against: proposal.against } : {}),
    ...(proposal.reappliedFrom?.length ? { reapplied: proposal.reappliedFrom } : {}),
    ...(verdict.evidence ? { evidence: roundEvidence(verdict.evidence) } : {}),
    ...(verdict.linesDelta !== undefined ? { lines_delta: verdict.linesDelta } : {}),
    ...(verdict.printedTwice?.length ? { printed_twice: verdict.printedTwice } : {}),
    ...(verdict.nondeterministic ? { nondeterministic: true } : {}),
    ...(verdict.screen ? { screen: verdict.screen } : {}),
    ...(verdict.barChecked ? { bar_checked: verdict.barChecked } : {}),
    ...(verdict.level ? { level: verdict.level } : {}),
    ...(verdict.cheap ? { cheap: verdict.cheap } : {}),
    ...(verdict.cheapStopped ? { cheap_stopped: verdict.cheapStopped } : {}),
    ...(verdict.runsOn?.length ? { runs_on: verdict.runsOn } : {}),
  };
  if (verdict.key) row.content_key = verdict.key;
  return row;
}

/** The baseline's facts that line 1 of log.jsonl records. */
export interface HeaderFacts {
  tag: string;
  name: string;
  target: string[];
  frozen: string[];
  evalCommand: string | readonly string[];
  metric: string;
  goal: ConfigEntry["goal"];
  guards: ConfigEntry["guards"];
  baseline: number;
  minDeltas: Record<string, number>;
  noise: number | null;
  rule: NonNullable<ConfigEntry["rule"]>;
  objectives: NonNullable<ConfigEntry["objectives"]>;
  baselineMetrics: Record<string, number>;
  weights?: Record<string, number> | undefined;
  confidence: number;
  frozenHashes: Record<string, string>;
  agent: string;
  baseCommit: string;
  /** isolation, checks, eval env and agent settings (decide/config-changes.ts trustSettings). */
  trust?: Record<string, unknown>;
}

/** Line 1 of log.jsonl (pjhoberman's keys where they fit). Pure: the timestamp is passed in. */
export function buildHeader(f: HeaderFacts, timestamp: string): ConfigEntry {
  const firstGuard = Object.entries(f.guards)[0];
  return {
    type: "config",
    version: 1,
    tag: f.tag,
    name: f.name,
    constrained_file: f.target.join(","),
    eval_command: typeof f.evalCommand === "string" ? f.evalCommand : f.evalCommand.join(" "),
    metric: f.metric,
    goal: f.goal,
    guard_metric: firstGuard?.[0] ?? null,
    guard_threshold: firstGuard ? (firstGuard[1].max ?? firstGuard[1].min ?? null) : null,
    guards: f.guards,
    baseline: f.baseline,
    min_delta: f.minDeltas[f.metric] ?? 0,
    noise: f.noise,
    rule: f.rule,
    objectives: f.objectives,
    min_deltas: f.minDeltas,
    baseline_metrics: f.baselineMetrics,
    ...(f.weights ? { weights: f.weights } : {}),
    confidence: f.confidence,
    target: f.target,
    frozen: f.frozen,
    frozen_hashes: f.frozenHashes,
    ...(f.trust ? { trust: f.trust } : {}),
    agent: f.agent,
    base_commit: f.baseCommit,
    timestamp,
  };
}

function roundEvidence(
  e: NonNullable<ResultEntry["evidence"]>,
): NonNullable<ResultEntry["evidence"]> {
  const r = (x: number) => Number(x.toPrecision(6));
  return {
    ...e,
    gain: r(e.gain),
    effect_sigma: e.effect_sigma === null ? null : r(e.effect_sigma),
    p: e.p === null ? null : Number(e.p.toPrecision(3)),
    ci: e.ci === null ? null : [r(e.ci[0]), r(e.ci[1])],
    sd: r(e.sd),
  };
}
