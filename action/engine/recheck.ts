import { recheckQueue } from "../ledger/recheck.ts";
import type { ResultEntry } from "../ledger/types.ts";
import type { RevisitPoint } from "../strategy/revisit.ts";
import { type AgentCheckout, type Change, isRecord } from "./agent-checkout.ts";
import type { Candidate, EngineContext } from "./experiment.ts";
import { reapply } from "./reapply.ts";

/** Per batch, the queued experiments a candidate has taken (in flight or recorded). */
const TAKEN = new WeakMap<EngineContext, Set<number>>();

/** The next queued re-check no candidate of this batch has taken yet, now taken; else null. */
export function takeRecheck(ctx: EngineContext): ResultEntry | null {
  const taken = TAKEN.get(ctx) ?? new Set<number>();
  TAKEN.set(ctx, taken);
  const next = recheckQueue(ctx.store.log!).find((r) => !taken.has(r.iteration));
  if (!next) return null;
  taken.add(next.iteration);
  return next;
}

/**
 * A candidate that is a re-check, instead of an agent's proposal: the queued experiment's change
 * (its commit against the record it was built on, target files only) re-applied three-way onto
 * this candidate's incumbent, then screened, evaluated and judged like any proposal. When it no
 * longer applies, the candidate changes nothing and its row says why (no_change, no eval run).
 */
export async function recheck(
  ctx: EngineContext,
  candidate: Candidate,
  checkout: AgentCheckout,
  queued: ResultEntry,
): Promise<Candidate> {
  const description = `re-check of #${queued.iteration}, a parallel line's keep: ${queued.description}`;
  const { changed, ...rest } = await reapplied(ctx, candidate, checkout, queued.commit_full!);
  const said = changed ? description : `${description} ${rest.conflict}`;
  ctx.emit({ type: "notice", message: `#${candidate.iteration}: ${said}` });
  return {
    ...candidate,
    proposal: { ok: true, description: said },
    agentSeconds: 0,
    targetPaths: rest.targetPaths,
    changes: rest.changes,
    recheckOf: queued.iteration,
  };
}

/** Per batch, the discards a candidate has taken to revisit (in flight or recorded). */
const REVISITS = new WeakMap<EngineContext, Set<number>>();

/** The discards this batch has taken to revisit, in flight or recorded. */
export function revisitsTaken(ctx: EngineContext): Set<number> {
  const taken = REVISITS.get(ctx) ?? new Set<number>();
  REVISITS.set(ctx, taken);
  return taken;
}

/**
 * A revisit (strategy `branch`, action/strategy/revisit.ts): discard #n's change, judged against
 * an incumbent since replaced, re-applied three-way onto this candidate's incumbent like a
 * re-check, and judged beside it like any candidate. `proposal`: the agent's, when it asked for
 * the revisit (its cost stays counted; its own change is set aside). When the change no longer
 * applies, the candidate changes nothing and says why: the revisit is spent, no eval run.
 */
export async function revisit(
  ctx: EngineContext,
  candidate: Candidate,
  checkout: AgentCheckout,
  choice: NonNullable<Candidate["branch"]> & { revisit: RevisitPoint },
  asked?: Extract<Candidate["proposal"], { ok: true }>,
): Promise<Candidate> {
  const point = choice.revisit;
  const by = asked ? "asked for by the agent" : "picked by strategy branch";
  const description = `revisit of #${point.iteration} (discarded against #${point.against}; ${by}) onto #${candidate.parent.iteration}: ${point.description}`;
  const { changed, ...rest } = await reapplied(ctx, candidate, checkout, point.commit);
  const said = !changed
    ? `${description} ${rest.conflict}`
    : rest.changes.length === 0
      ? `${description} (the incumbent already holds this change)`
      : description;
  ctx.emit({ type: "notice", message: `#${candidate.iteration}: ${said}` });
  return {
    ...candidate,
    proposal: { ...(asked ?? { ok: true }), description: said },
    agentSeconds: asked ? candidate.agentSeconds : 0,
    targetPaths: rest.targetPaths,
    changes: rest.changes,
    branch: choice,
  };
}

/**
 * `commit`'s change (against its parent, the record it was built on; target files only)
 * re-applied three-way onto the candidate's incumbent in `checkout`. When a file no longer merges,
 * the checkout is put back to the incumbent (no change) and `conflict` says why.
 */
async function reapplied(
  ctx: EngineContext,
  candidate: Candidate,
  checkout: AgentCheckout,
  commit: string,
): Promise<{
  changed: boolean;
  conflict: string;
  targetPaths: string[];
  changes: Change[];
}> {
  const repo = ctx.store.repo;
  const before = await repo.resolve(`${commit}^`);
  const changes = before ? await changesBetween(ctx, before, commit) : [];
  const parent = candidate.parent;
  await checkout.prepare(repo, parent.commit, ctx.agentGit);
  const targetPaths = (await repo.lsTree(parent.commit))
    .map((e) => e.path)
    .filter((p) => ctx.isTarget(p) && !isRecord(p));
  const conflicts = before
    ? await reapply(ctx, { parent: { ...parent, commit: before }, changes }, checkout)
    : ["(its commit has no parent)"];
  if (conflicts.length > 0) await checkout.prepare(repo, parent.commit, ctx.agentGit);
  return {
    changed: conflicts.length === 0,
    conflict: `(no longer applies onto #${parent.iteration}: ${conflicts.join(", ")} changed under it)`,
    targetPaths,
    changes: await checkout.changes(),
  };
}

/** The target files `commit` changed against `before`, with their new bytes. */
export async function changesBetween(
  ctx: EngineContext,
  before: string,
  commit: string,
): Promise<Change[]> {
  const repo = ctx.store.repo;
  const was = new Map((await repo.lsTree(before)).map((e) => [e.path, e]));
  const now = new Map((await repo.lsTree(commit)).map((e) => [e.path, e]));
  const paths = [...new Set([...was.keys(), ...now.keys()])].filter(
    (p) => ctx.isTarget(p) && !isRecord(p) && was.get(p)?.sha !== now.get(p)?.sha,
  );
  const blobs = await repo.readBlobs(paths.flatMap((p) => now.get(p)?.sha ?? []));
  return paths.map((path) => {
    const entry = now.get(path);
    if (!entry) return { path, kind: "deleted", file: null };
    const mode = entry.mode === "100755" ? "100755" : "100644";
    return {
      path,
      kind: was.has(path) ? "modified" : "added",
      file:
        entry.mode === "120000"
          ? { type: "other" }
          : { type: "file", content: blobs.get(entry.sha)!, mode },
    };
  });
}
