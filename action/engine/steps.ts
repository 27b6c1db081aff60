import { join } from "node:path";
import type { PendingProposal } from "../agents/agent.ts";
import { budgetStop, type Stop } from "../decide/budget.ts";
import {
  type IncumbentState,
  incumbentState,
  lastKept,
  sinceReset,
} from "../decide/ledger-state.ts";
import { pairedDecisions } from "../decide/remeasure-plan.ts";
import { appendSamples } from "../decide/samples.ts";
import { pruneLogs } from "../files/cap-log.ts";
import { firstUnrecorded, recordedSince, unrecordedBelow } from "../ledger/record-order.ts";
import { buildResultRow, type VerdictFields } from "../ledger/rows.ts";
import {
  type BranchEntry,
  EVALUATED,
  type RemeasureEntry,
  type ResultEntry,
  type RunsMade,
} from "../ledger/types.ts";
import { redactDeep } from "../process/secrets.ts";
import { gainScale, type StrategyState } from "../strategy/create-strategy.ts";
import { branchRemeasure, branchRemeasureDue } from "./branch-remeasure.ts";
import { CheckoutPool } from "./checkout-pool.ts";
import { decide, evaluate } from "./evaluate.ts";
import { type Candidate, type EngineContext, isKeep, type Verdict } from "./experiment.ts";
import { endTurnsOnStop, propose, round, Turns } from "./propose.ts";
import { type LeftBehind, type RebaseTarget, rebase } from "./rebase.ts";
import { revisitsTaken } from "./recheck.ts";
import { remeasure, remeasureDue } from "./remeasure.ts";
import type { Steps } from "./scheduler.ts";
import { screen } from "./screen.ts";
import type { Tampering } from "./seal.ts";
import type { Slot } from "./slot.ts";
import { afterKeepEntry, concurrentEntry, type StrataView, strataView } from "./strata-view.ts";

/**
 * The experiment's steps over autoexp's record store, slots and agent checkouts, for either
 * scheduler. A candidate begins with a snapshot of what its agent may know (the ledger's rows
 * so far, the notes, the proposals still in flight), so that what it proposes depends on the
 * order of experiments, not on timing.
 */
export function experimentSteps(
  ctx: EngineContext,
  checkSeal: () => Promise<Tampering | null>,
): Steps<Candidate, Verdict, Slot> {
  const pool = new CheckoutPool(join(ctx.store.stateDir, "agents"), ctx.proposers);
  // Rebases run in flight, several at once: their own checkouts, held until screened.
  const rebases = new CheckoutPool(
    join(ctx.store.stateDir, "rebase"),
    ctx.workers + ctx.proposers,
    "rebase",
  );
  // What each begun, undecided candidate proposed (null: nothing to show), by iteration.
  const proposed = new Map<
    number,
    Promise<{ description: string; meta?: Record<string, unknown> } | null>
  >();
  const settle = new Map<
    number,
    (p: { description: string; meta?: Record<string, unknown> } | null) => void
  >();
  // The incumbent's runs by stratum as recorded when each candidate began (or was re-applied),
  // by the incumbent state it was given: what its eval is judged against.
  const views = new WeakMap<IncumbentState, StrataView>();
  // Candidates whose agent waits for the results in flight before it, and the record they go on with.
  const turns = new Turns(ctx.signal);
  // As in propose: screen releases the checkout, or this on a stop or an error.
  const reapply = async (
    candidate: Candidate,
    onto: RebaseTarget,
    left?: LeftBehind,
  ): Promise<Candidate | Stop> => {
    const lease = await rebases.take();
    try {
      const result = await rebase(ctx, candidate, onto, lease, left);
      if ("kind" in result) lease.release();
      return result;
    } catch (error) {
      lease.release();
      throw error;
    }
  };
  // The branch point each begun candidate was placed on (null: the incumbent), by iteration: the
  // strategy sees those still in flight, so what it picks follows the order of experiments.
  // A revisit in flight is not among them: the strategy is told of it as `revisiting`.
  const placed = new Map<number, number | null | "revisit">();
  // What the strategy reads to place candidate `iteration` against `parent`.
  const strategyState = (iteration: number, parent: IncumbentState): StrategyState => {
    const log = ctx.store.log!;
    const pending: (number | null)[] = [];
    for (const i of unrecordedBelow(log.results, iteration)) {
      const on = placed.get(i) ?? null;
      if (on !== "revisit") pending.push(on);
    }
    const revisited = new Set(log.results.flatMap((r) => r.revisit_of ?? []));
    return {
      rows: log.results,
      remeasures: log.remeasures,
      metric: ctx.metric,
      incumbent: { iteration: parent.iteration, score: parent.score },
      goal: ctx.goal,
      scale: gainScale(log.config, parent.score),
      pending,
      revisiting: [...revisitsTaken(ctx)].filter((n) => !revisited.has(n)),
    };
  };
  // The state the next candidate to begin will be placed with: its branch point is measured first.
  const nextState = (): StrategyState => {
    let next = nextIteration();
    while (placed.has(next)) next++;
    return strategyState(next, incumbentState(ctx.store.log!)!);
  };
  const place = (iteration: number, parent: IncumbentState): Candidate["branch"] => {
    if (!ctx.strategy) return undefined;
    const choice = ctx.strategy.pick(strategyState(iteration, parent));
    if (choice.revisit) revisitsTaken(ctx).add(choice.revisit.iteration);
    placed.set(iteration, choice.revisit ? "revisit" : (choice.on?.iteration ?? null));
    return choice.on || choice.why ? choice : undefined;
  };
  // The lowest number neither on record nor begun in this batch: the one after the last, but after
  // a batch stopped with experiments in flight behind a keep recorded ahead, theirs first.
  const begun = new Set<number>();
  const nextIteration = (): number => firstUnrecorded(ctx.store.log!.results, begun);
  const incumbentNow = () => {
    const parent = incumbentState(ctx.store.log!)!;
    const view = strataView(ctx, parent);
    if (view) views.set(parent, view);
    return parent;
  };
  return endTurnsOnStop<Candidate, Verdict, Slot>(turns, {
    stopNow: (pending = 0) =>
      budgetStop(ctx.config.budget, ctx.store.log!.results, {
        done: ctx.done + pending,
        planned: ctx.planned,
        elapsedMs: performance.now() - ctx.startedAt,
        runs: ctx.runsMade?.().runs ?? 0,
        begun: pending,
        interrupted: ctx.signal?.aborted ?? false,
      }),
    // The incumbent's own extra runs first, then the branch point the next proposal would start
    // from, measured beside it (strategy branch).
    remeasure: async (slot) =>
      (await remeasure(ctx, slot)) ?? (await branchRemeasure(ctx, slot, nextState)),
    remeasureDue: () => remeasureDue(ctx) || branchRemeasureDue(ctx, nextState),
    begin: (pending = 0) => {
      const log = ctx.store.log!;
      const iteration = nextIteration();
      begun.add(iteration);
      proposed.set(iteration, new Promise((resolve) => settle.set(iteration, resolve)));
      ctx.emit({ type: "start", iteration, index: ctx.done + pending + 1, of: ctx.planned });
      const parent = incumbentNow();
      const branch = place(iteration, parent);
      return {
        iteration,
        parent,
        base: ctx.store.head!,
        historyLength: log.results.length,
        notesBefore: ctx.store.notes,
        ...(branch ? { branch } : {}),
        agentSeconds: 0,
      };
    },
    propose: async (candidate) => {
      // Proposals still in flight, up to the one `proposers` places back, are shown to the agent:
      // those are always made by now, whatever the timing.
      const pending: PendingProposal[] = [];
      const seen = ctx.store.log!.results.slice(0, candidate.historyLength);
      for (const i of unrecordedBelow(seen, candidate.iteration - ctx.proposers + 1)) {
        const p = await proposed.get(i);
        const on = placed.get(i);
        if (p) pending.push(typeof on === "number" ? { ...p, on } : p);
      }
      // The checkout goes with the proposal to screen, which releases it; here on a stop or an error.
      const lease = await pool.take();
      try {
        const result = await propose(ctx, { ...candidate, lease, pending }, turns);
        const p = "kind" in result ? null : result.proposal;
        settle.get(candidate.iteration)?.(
          p?.ok && !p.exhausted
            ? { description: p.description, ...(p.meta ? { meta: p.meta } : {}) }
            : null,
        );
        if ("kind" in result) lease.release();
        return result;
      } catch (error) {
        settle.get(candidate.iteration)?.(null);
        lease.release();
        throw error;
      }
    },
    screen: async ({ lease, ...candidate }) => {
      if (!lease) throw new Error(`#${candidate.iteration} reached screen without its checkout`);
      using _ = lease;
      return await screen(ctx, candidate, lease.checkout);
    },
    // Its incumbent's runs as they stand now where a drift reset replaced them since it began.
    evaluate: (candidate, slot) => {
      const parent = sinceReset(ctx.store.log!, candidate.parent);
      const fresh = parent === candidate.parent ? candidate : { ...candidate, parent };
      return evaluate(ctx, fresh, slot, views.get(parent) ?? strataView(ctx, parent));
    },
    decide: (candidate, verdict, slot) => decide(ctx, candidate, verdict, slot),
    snapshot: (): RebaseTarget => {
      const log = ctx.store.log!;
      const now = {
        parent: incumbentNow(),
        base: ctx.store.head!,
        historyLength: log.results.length,
        notes: ctx.store.notes,
      };
      turns.offer(now);
      return now;
    },
    // A candidate is evaluated again on the new incumbent when it beat the one it was made for,
    // ran out of runs still in the running, or was stopped still in the running when the keep
    // landed (undecided, evaluate-paired.ts: filtering it out there would make a real
    // improvement pass two tests, and cost power). What clearly lost to an earlier
    // incumbent (screened out, faded) is recorded against it (its row says which), so a keep
    // elsewhere does not throw away the evals in flight on the other workers.
    // Only onto a newer record: a candidate that waited for its turn began after older snapshots.
    isStale: ({ candidate, verdict }, snapshot) =>
      (snapshot as RebaseTarget).historyLength > candidate.historyLength &&
      (snapshot as RebaseTarget).parent.iteration !== candidate.parent.iteration &&
      (isKeep(verdict) || verdict.undecided === true),
    // The incumbent's runs beside the evaluation left behind stay on record (Candidate.setAside).
    rebase: async (candidate, snapshot, verdict) => {
      const beside = concurrentEntry(candidate, verdict, { paired: false });
      const setAside = [...(candidate.setAside ?? []), ...(beside ? [beside] : [])];
      const from = verdict.judgedAgainst ?? candidate.parent.iteration;
      const status = isKeep(verdict) ? "keep" : verdict.stopped ? "stopped" : "undecided";
      // It beat the incumbent it was made for: on the new one it is not screened again (the
      // screen spends few runs on changes unlikely to help; this one has shown it may), pairs
      // decide. Still in the running there, it keeps a win it had before.
      const next = status === "keep" ? { ...candidate, wonAgainst: from } : candidate;
      // When the keep that left it behind landed (measured in pairs: evaluate-paired.ts says).
      const during = verdict.stopped
        ? "trial"
        : verdict.concurrent?.paired
          ? (verdict.replacedIn ?? "wait")
          : undefined;
      const again = await reapply(next, snapshot as RebaseTarget, {
        from,
        status,
        ...(during ? { replaced_during: during } : {}),
        ...runsMade(verdict),
      });
      return "kind" in again || setAside.length === 0 ? again : { ...again, setAside };
    },
    // One worker, one proposer: the experiment before this one is proposed and has the slot
    // first, so this one is evaluated against the record that one leaves, re-applied first when
    // it moved the incumbent. Measured ahead against the incumbent it was proposed on, a candidate
    // spent its runs on a comparison the record had already left behind (bench/noise: a third of
    // the night's candidates), and a keep there was evaluated again. Where proposals finish out of
    // order (several proposers) or slots run side by side (several workers), waiting would leave
    // a slot idle: there nothing waits.
    ...(ctx.workers === 1 && ctx.proposers === 1
      ? {
          catchUp: async (candidate: Candidate) => {
            const turn = await turns.wait(candidate.iteration);
            if (
              !turn ||
              turn.historyLength <= candidate.historyLength ||
              turn.parent.iteration === candidate.parent.iteration
            )
              return candidate;
            return reapply(candidate, turn);
          },
        }
      : {}),
    // Several workers or proposers, measured in pairs: a keep on the incumbent as recorded now is
    // recorded as soon as it is decided, not after the experiments begun before it (still in the
    // running, those are stopped and re-applied as after any keep). Waiting for its turn, it was
    // left behind whenever one of those kept first, and its runs and its incumbent's were spent
    // for nothing (bench/noise, 4 workers: 0.3 eval runs a candidate). With a deterministic eval
    // nothing is stopped and rows keep the order experiments began in.
    ...(ctx.workers > 1 || ctx.proposers > 1
      ? {
          recordAhead: ({ candidate, verdict }: { candidate: Candidate; verdict: Verdict }) => {
            const log = ctx.store.log!;
            return (
              isKeep(verdict) &&
              (verdict.judgedAgainst ?? candidate.parent.iteration) ===
                lastKept(log.results)?.iteration &&
              pairedDecisions(ctx.config.decide, log, ctx.metric)
            );
          },
        }
      : {}),
    record: async (candidate, verdict) => {
      await ctx.faults.pauseBeforeRecord(candidate.iteration);
      // Content recorded while this candidate was in flight: a duplicate after all (decided here,
      // in the order of records). Its eval result is set aside.
      // Incumbent runs made beside it (a concurrent baseline) are recorded whatever is decided.
      // Under the incumbent they measured (its runs beside a candidate judged before a re-apply).
      const beside = concurrentEntry(candidate, verdict);
      const prior = verdict.key ? ctx.seen.get(verdict.key) : undefined;
      if (
        prior &&
        recordedSince(ctx.store.log!.results, prior.iteration, candidate.historyLength) &&
        verdict.status !== "duplicate"
      ) {
        // Its own runs go on record with the row, unused (the ledger holds every run made).
        const ran = (verdict.evalSeconds ?? 0) > 0 ? { ran: runsMade(verdict) } : {};
        verdict = { ...duplicateOf(prior, candidate), ...ran };
      }
      const tampered = await checkSeal();
      // The seal overrules the verdict (its status and reason); the row keeps what the eval measured.
      const row: VerdictFields = tampered
        ? { ...verdict, status: tampered.status, reason: tampered.reason }
        : verdict;
      // Written right before its row: after the row recorded last, which is not always the one
      // numbered before it (recordAhead).
      const after = ctx.store.log!.results.at(-1)!.iteration;
      const stop = await record(
        ctx,
        candidate,
        row,
        [...(candidate.setAside ?? []), ...(beside ? [beside] : [])].map((b) => ({ ...b, after })),
      );
      // Kept a while: a candidate begun before this was recorded may still ask for it.
      proposed.delete(candidate.iteration - 256);
      settle.delete(candidate.iteration - 256);
      placed.delete(candidate.iteration - 256);
      if (tampered)
        return {
          kind: tampered.status === "violation" ? "violation" : "broken",
          reason: tampered.reason,
        };
      return stop;
    },
    checkpoint: ctx.checkpoint,
  });
}

/**
 * The candidate's runs in an evaluation no decision of its row used (its run after a keep there
 * included): an evaluation left behind (the row's `reapplied` entry) or one whose code turned out
 * a duplicate (`ran`), so that the ledger holds every run the eval made.
 */
function runsMade(verdict: Verdict): RunsMade {
  const after = verdict.afterKeep;
  const samples: Record<string, number[]> = {};
  appendSamples(samples, verdict.samples);
  appendSamples(samples, after?.samples ?? {});
  const runsOn = [
    ...(verdict.runsOn ?? []),
    ...(verdict.runsOn?.length ? (after?.runsOn ?? []) : []),
  ];
  return {
    ...(verdict.commit ? { commit: verdict.commit } : {}),
    samples,
    ...(runsOn.length > 0 ? { runs_on: runsOn } : {}),
    eval_seconds: round((verdict.evalSeconds ?? 0) + (after?.evalSeconds ?? 0)),
  };
}

/** Eval logs of this many latest experiments stay on the runner (the ledger keeps every tail). */
const KEEP_LOGS_OF = 200;

/** Step 5, the decision point: the row on disk, then the record commit and refs; then events. */
async function record(
  ctx: EngineContext,
  candidate: Candidate,
  verdict: VerdictFields,
  beside: RemeasureEntry[],
): Promise<Stop | null> {
  const { iteration } = candidate;
  // An exhausted agent stops the batch before this step, so the proposal spent what it says.
  const proposal = candidate.proposal as Exclude<Candidate["proposal"], { exhausted: true }>;
  const description = proposal ? (proposal.ok ? proposal.description : proposal.error) : "";
  const guardName = Object.keys(ctx.policy.guards)[0];
  const incumbent = incumbentState(ctx.store.log!)!.iteration;
  const row = buildResultRow(
    ctx.tag,
    iteration,
    guardName,
    verdict,
    {
      description,
      agentSeconds: candidate.agentSeconds,
      ...(proposal?.costUsd !== undefined ? { costUsd: proposal.costUsd } : {}),
      ...(proposal?.usage ? { usage: proposal.usage } : {}),
      ...(proposal?.ok && proposal.meta ? { meta: proposal.meta } : {}),
      ...(candidate.recheckOf !== undefined ? { recheckOf: candidate.recheckOf } : {}),
      ...(candidate.reappliedFrom ? { reappliedFrom: candidate.reappliedFrom } : {}),
      ...((verdict.judgedAgainst ?? candidate.parent.iteration) !== incumbent
        ? { against: verdict.judgedAgainst ?? candidate.parent.iteration }
        : {}),
    },
    new Date().toISOString(),
  );
  // Proposed on a branch point: the row says which; a switch of branch is its own line before it.
  // A revisit is on the incumbent and no switch: the row says which discard it revisited.
  const on = candidate.branch?.on?.iteration ?? null;
  if (on !== null) row.proposed_on = on;
  const revisitOf = candidate.branch?.revisit?.iteration;
  if (revisitOf !== undefined) row.revisit_of = revisitOf;
  const switched = revisitOf === undefined ? branchSwitch(ctx, candidate, on, incumbent) : null;
  // What the agent said goes into commit messages, the ledger and the output: never a key.
  const safe = redactDeep(row, ctx.redact);
  // Kept in pairs: its run made after the decision, its first as the incumbent.
  const after = afterKeepEntry(iteration, safe.status, verdict.afterKeep);
  // The incumbent's score, its runs beside this candidate included, read before a keep replaces
  // it: what the re-measure line and the experiment line's "before" say.
  const log = ctx.store.log!;
  const bestBefore = incumbentState(
    beside.length > 0 ? { ...log, remeasures: [...log.remeasures, ...beside] } : log,
  )!.score;
  await ctx.store.append(
    [...beside, ...(switched ? [switched] : []), safe, ...(after ? [after] : [])],
    {
      ...(candidate.notes !== undefined ? { notes: candidate.notes } : {}),
      beforeWrite: (path, data) => ctx.faults.tornWrite(iteration, path, data),
      afterJournal: () => ctx.faults.at("after-ledger", iteration),
    },
  );
  ctx.faults.at("after-refs", iteration);
  await pruneLogs(join(ctx.store.stateDir, "logs"), iteration - KEEP_LOGS_OF);
  if (verdict.key && EVALUATED.has(safe.status)) ctx.seen.set(verdict.key, safe);
  if (beside.length > 0)
    ctx.emit({
      type: "remeasure",
      reason: "concurrent",
      runs: beside.reduce((n, b) => n + (b.runs_on?.length ?? 0), 0),
      score: bestBefore,
    });
  ctx.done++;
  const best = incumbentState(ctx.store.log!)!.score;
  const elapsed = performance.now() - ctx.startedAt;
  const etaMs = (elapsed / ctx.done) * (ctx.planned - ctx.done);
  ctx.emit({
    type: "experiment",
    row: safe,
    index: ctx.done,
    of: ctx.planned,
    best,
    bestBefore,
    etaMs,
  });
  if (proposal && !proposal.ok && proposal.fatal)
    return { kind: "agent", reason: `the agent cannot work: ${safe.reason ?? safe.description}` };
  return null;
}

/**
 * The branch line written before experiment `candidate`'s row when it was proposed on another
 * branch than the experiment before it (null: the same branch). Only a strategy that branches
 * writes one: `climb` places every proposal on the incumbent.
 */
function branchSwitch(
  ctx: EngineContext,
  candidate: Candidate,
  on: number | null,
  incumbent: number,
): BranchEntry | null {
  const from =
    ctx.store.log!.results.findLast((r) => r.revisit_of === undefined)?.proposed_on ?? null;
  if (on === from) return null;
  const reason =
    candidate.branch?.why ??
    `fewer than ${ctx.config.strategy.stall} experiments since the incumbent #${incumbent} was kept: proposals climb from it`;
  return {
    type: "branch",
    iteration: candidate.iteration,
    on,
    from,
    incumbent,
    reason,
    points: candidate.branch?.points ?? [],
    timestamp: new Date().toISOString(),
  };
}

function duplicateOf(prior: ResultEntry, candidate: Candidate): Verdict {
  return {
    status: "duplicate",
    score: prior.score,
    delta: prior.score !== null ? prior.score - candidate.parent.score : null,
    metrics: prior.metrics,
    samples: {},
    guard_pass: prior.guard_pass,
    duplicateOf: prior.iteration,
    reason: `same code as #${prior.iteration} (${prior.status}), which was decided while this one was in flight; its result is reused`,
  };
}
