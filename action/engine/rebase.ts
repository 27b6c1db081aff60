import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Stop } from "../decide/budget.ts";
import { mergeFile } from "../git/commands/trees.ts";
import type { AgentCheckout } from "./agent-checkout.ts";
import type { Candidate, EngineContext } from "./experiment.ts";
import { mergeLines } from "./merge-lines.ts";
import { propose } from "./propose.ts";

/** The state a stale candidate is re-applied onto: the record just after an incumbent changed. */
export interface RebaseTarget {
  parent: Candidate["parent"];
  base: string;
  historyLength: number;
  notes: string;
}

/**
 * Checkout indices at or below this are rebase checkouts (REBASE_CHECKOUT - n for the nth), not
 * the proposers'.
 */
export const REBASE_CHECKOUT = -1;

/**
 * A candidate whose incumbent changed while it was in flight, re-applied onto the current
 * incumbent: each file it changed is merged three-way (its parent's version, its version, the
 * incumbent's). When a file no longer merges, the agent is asked again, against the current
 * incumbent (the reason is reported as a notice). Deterministic: it depends on contents only.
 */
export async function rebase(
  ctx: EngineContext,
  candidate: Candidate,
  onto: RebaseTarget,
  checkout: AgentCheckout,
  checkoutIndex: number,
): Promise<Candidate | Stop> {
  const repo = ctx.store.repo;
  const current = onto.parent;
  const fresh: Candidate = {
    ...candidate,
    parent: current,
    base: onto.base,
    checkout: checkoutIndex,
    historyLength: onto.historyLength,
    notesBefore: onto.notes,
  };
  delete fresh.commit;
  delete fresh.key;
  const origin = candidate.origin ?? { parent: candidate.parent, changes: candidate.changes ?? [] };
  fresh.origin = origin;
  await checkout.prepare(repo, current.commit, ctx.agentGit);
  const before = new Map((await repo.lsTree(origin.parent.commit)).map((e) => [e.path, e]));
  const ours = origin.changes.filter(
    (c) => ctx.isTarget(c.path) && (c.file === null || c.file.type === "file"),
  );
  const baseBlobs = await repo.readBlobs(ours.flatMap((c) => before.get(c.path)?.sha ?? []));
  const temp = join(checkout.root, "merge");
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  const conflicts: string[] = [];
  for (const change of ours) {
    const was = before.get(change.path);
    const base = was ? (baseBlobs.get(was.sha) ?? null) : null;
    const theirs = await checkout.read(change.path);
    const mine = change.file?.type === "file" ? change.file.content : null;
    const target = join(checkout.dir, change.path);
    if (same(theirs, base)) {
      if (mine === null) await rm(target, { force: true });
      else {
        await mkdir(join(target, ".."), { recursive: true });
        await writeFile(target, mine);
      }
    } else if (same(theirs, mine)) {
      // The incumbent already holds this change.
    } else if (mine === null || base === null || theirs === null) {
      conflicts.push(change.path);
    } else if (mergeLines(base.toString(), mine.toString(), theirs.toString()) !== null) {
      await writeFile(target, mergeLines(base.toString(), mine.toString(), theirs.toString())!);
    } else {
      const files = ["ours", "base", "theirs"].map((n) => join(temp, n));
      await Promise.all([
        writeFile(files[0]!, mine),
        writeFile(files[1]!, base),
        writeFile(files[2]!, theirs),
      ]);
      const merged = await repo.run(mergeFile(files[0]!, files[1]!, files[2]!));
      if (merged === null) conflicts.push(change.path);
      else await writeFile(target, merged);
    }
  }
  await rm(temp, { recursive: true, force: true });
  if (conflicts.length === 0) {
    ctx.emit({
      type: "notice",
      message: `#${candidate.iteration} was proposed against #${candidate.parent.iteration}; the incumbent is now #${current.iteration}: re-applied and evaluated there`,
    });
    return { ...fresh, changes: await checkout.changes() };
  }
  ctx.emit({
    type: "notice",
    message: `#${candidate.iteration} no longer applies to the incumbent #${current.iteration} (${conflicts.join(", ")} changed under it): the agent is asked again`,
  });
  const retried = await propose(ctx, { ...fresh, pending: [] }, checkout);
  if ("kind" in retried) return retried;
  return { ...retried, agentSeconds: candidate.agentSeconds + retried.agentSeconds };
}

function same(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}
