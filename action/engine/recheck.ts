import { recheckQueue } from "../ledger/recheck.ts";
import type { ResultEntry } from "../ledger/types.ts";
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
  const repo = ctx.store.repo;
  const commit = queued.commit_full!;
  const before = await repo.resolve(`${commit}^`);
  const changes = before ? await changesBetween(ctx, before, commit) : [];
  const parent = candidate.parent;
  await checkout.prepare(repo, parent.commit, ctx.agentGit);
  const targetPaths = (await repo.lsTree(parent.commit))
    .map((e) => e.path)
    .filter((p) => ctx.isTarget(p) && !isRecord(p));
  let description = `re-check of #${queued.iteration}, a parallel line's keep: ${queued.description}`;
  const conflicts = before
    ? await reapply(ctx, { parent: { ...parent, commit: before }, changes }, checkout)
    : ["(its commit has no parent)"];
  if (conflicts.length > 0) {
    await checkout.prepare(repo, parent.commit, ctx.agentGit);
    description += ` (no longer applies onto #${parent.iteration}: ${conflicts.join(", ")} changed under it)`;
  }
  ctx.emit({ type: "notice", message: `#${candidate.iteration}: ${description}` });
  return {
    ...candidate,
    proposal: { ok: true, description },
    agentSeconds: 0,
    targetPaths,
    changes: await checkout.changes(),
    recheckOf: queued.iteration,
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
