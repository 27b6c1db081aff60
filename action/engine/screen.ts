import { join } from "node:path";
import type { AgentCheckout, Change } from "./agent-checkout.ts";
import type { Candidate, EngineContext, Verdict } from "./experiment.ts";
import { contentKeyOf } from "./fingerprint.ts";

const NONE = { score: null, delta: null, metrics: {}, samples: {}, guard_pass: null } as const;

/**
 * Step 2: what the agent did, before anything runs. autoexp takes only regular files matching
 * `target` (no links, nothing under .autoexp/) and builds the candidate commit itself from their
 * bytes. Anything else changed is a violation (the attempt is still committed under its ref,
 * for review); nothing changed is no_change; content seen before is a duplicate.
 */
export async function screen(
  ctx: EngineContext,
  candidate: Candidate,
  checkout: AgentCheckout,
): Promise<{ candidate: Candidate; verdict: Verdict | null }> {
  const { iteration, parent, base, proposal } = candidate;
  const changes = candidate.changes ?? [];
  const repo = ctx.store.repo;
  const index = join(checkout.root, "candidate.index");
  const commitAll = (message: string) =>
    repo.commitFiles(base, filesOf(changes), index, `autoexp(${ctx.tag}) #${iteration} ${message}`);
  if (!proposal?.ok) {
    const reason = proposal && !proposal.ok ? proposal.error : "no proposal";
    const commit = changes.length > 0 ? await commitAll("agent_error") : undefined;
    return {
      candidate,
      verdict: { ...NONE, status: "agent_error", reason, ...(commit ? { commit } : {}) },
    };
  }
  const ignored = await ignoredOutsideTarget(ctx, checkout, changes);
  const kept = changes.filter((c) => !ignored.has(c.path));
  if (kept.length === 0)
    return {
      candidate,
      verdict: { ...NONE, status: "no_change", reason: "the agent changed no file" },
    };
  const outside = kept.filter(
    (c) => !ctx.isTarget(c.path) || c.path.startsWith(".autoexp/") || c.file?.type === "other",
  );
  const frozen = kept.filter((c) => ctx.isFrozen(c.path));
  if (outside.length > 0 || frozen.length > 0) {
    const commit = await commitAll(`violation: ${proposal.description}`);
    const reason =
      outside.length > 0
        ? `changed files outside target: ${names(outside)}`
        : `changed frozen files: ${names(frozen)}`;
    return { candidate, verdict: { ...NONE, status: "violation", reason, commit } };
  }
  const paths = [...new Set([...(candidate.targetPaths ?? []), ...kept.map((c) => c.path)])];
  const key = await contentKeyOf(paths, (p) => checkout.read(p));
  // Only what was decided before this candidate began: the rest is checked when it is recorded.
  const seen = ctx.seen.get(key);
  const prior = seen && seen.iteration < candidate.historyLength ? seen : undefined;
  if (prior) {
    return {
      candidate: { ...candidate, key },
      verdict: {
        status: "duplicate",
        score: prior.score,
        delta: prior.score !== null ? prior.score - parent.score : null,
        metrics: prior.metrics,
        samples: {},
        guard_pass: prior.guard_pass,
        duplicateOf: prior.iteration,
        reason: `same code as #${prior.iteration} (${prior.status}); its result is reused, the eval did not run`,
      },
    };
  }
  const commit = await repo.commitFiles(
    base,
    filesOf(kept),
    index,
    `autoexp(${ctx.tag}) #${iteration}: ${proposal.description}`,
  );
  ctx.faults.at("after-commit", iteration);
  return { candidate: { ...candidate, key, commit }, verdict: null };
}

/** Added files outside target that the tree's .gitignore ignores: build output, caches. */
async function ignoredOutsideTarget(
  ctx: EngineContext,
  checkout: AgentCheckout,
  changes: readonly Change[],
): Promise<Set<string>> {
  const candidates = changes
    .filter((c) => c.kind === "added" && !ctx.isTarget(c.path))
    .map((c) => c.path);
  if (candidates.length === 0) return new Set();
  return new Set(await ctx.store.repo.checkIgnored(checkout.dir, candidates));
}

/** The changes as a commit's files: regular files by bytes, deletions as null; links skipped. */
function filesOf(
  changes: readonly Change[],
): Record<string, { content: Buffer; mode: string } | null> {
  const files: Record<string, { content: Buffer; mode: string } | null> = {};
  for (const c of changes) {
    if (c.file === null) files[c.path] = null;
    else if (c.file.type === "file") files[c.path] = { content: c.file.content, mode: c.file.mode };
  }
  return files;
}

function names(changes: readonly Change[]): string {
  return changes
    .slice(0, 5)
    .map((c) => c.path)
    .join(", ");
}
