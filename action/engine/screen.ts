import { join } from "node:path";
import { gitOwnedPath } from "../git/path-safety.ts";
import { recordedSince } from "../ledger/record-order.ts";
import { type AgentCheckout, type Change, isRecord } from "./agent-checkout.ts";
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
  // A file holding a key (in any form redaction knows) never enters a commit, even for review.
  const leaky = new Set(
    changes
      .filter((c) => c.file?.type === "file" && holdsSecret(ctx, c.file.content))
      .map((c) => c.path),
  );
  const commitAll = (message: string) =>
    repo.commitFiles(
      base,
      filesOf(changes.filter((c) => !leaky.has(c.path))),
      index,
      `autoexp(${ctx.tag}) #${iteration} ${message}`,
    );
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
  if (kept.length === 0) {
    // Re-applied onto an incumbent that already holds its change (a keep in flight beside it made
    // the same edit): the agent did change files, against the incumbent it was proposed on.
    const from = candidate.origin?.parent.iteration;
    const reason =
      from !== undefined && from !== parent.iteration
        ? `its change is already in the incumbent #${parent.iteration}: proposed on #${from} while another candidate made the same edit, it re-applies to nothing`
        : "the agent changed no file";
    return { candidate, verdict: { ...NONE, status: "no_change", reason } };
  }
  const refused = refusals(
    ctx,
    kept,
    kept.filter((c) => leaky.has(c.path)).map((c) => c.path),
  );
  if (refused) {
    const commit = await commitAll(`violation: ${proposal.description}`);
    return { candidate, verdict: { ...NONE, status: "violation", reason: refused, commit } };
  }
  const paths = [...new Set([...(candidate.targetPaths ?? []), ...kept.map((c) => c.path)])];
  const key = await contentKeyOf(paths, (p) => checkout.read(p));
  // Only what was decided before this candidate began: the rest is checked when it is recorded.
  const seen = ctx.seen.get(key);
  const prior =
    seen && !recordedSince(ctx.store.log!.results, seen.iteration, candidate.historyLength)
      ? seen
      : undefined;
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

/**
 * Why these changes cannot be a candidate, or null: paths that are not regular files (links,
 * unreadable or too deep folders, names that are not UTF-8), paths git treats as its own (a
 * nested or aliased .git, .gitattributes, .gitmodules), paths outside target or under
 * .autoexp/, frozen files. Each kind names its paths.
 */
function refusals(
  ctx: EngineContext,
  changes: readonly Change[],
  leaky: readonly string[],
): string | null {
  const odd: string[] = [];
  const owned = new Map<string, string>();
  const outside: Change[] = [];
  for (const c of changes) {
    const git = gitOwnedPath(c.path);
    if (c.file?.type === "other")
      odd.push(`${short(c.path)} (${c.file.what ?? "not a regular file"})`);
    else if (git) owned.set(git.at, `${git.at} (${git.why})`);
    else if (!ctx.isTarget(c.path) || isRecord(c.path)) outside.push(c);
  }
  const frozen = changes.filter((c) => ctx.isFrozen(c.path));
  const parts = [
    odd.length > 0 ? `not regular files: ${list(odd)}` : "",
    leaky.length > 0
      ? `files holding a key autoexp withholds (left out of the commit): ${list(leaky)}`
      : "",
    owned.size > 0 ? `paths git treats as its own: ${list([...owned.values()])}` : "",
    outside.length > 0 ? `changed files outside target: ${names(outside)}` : "",
    outside.length === 0 && frozen.length > 0 ? `changed frozen files: ${names(frozen)}` : "",
  ].filter(Boolean);
  return parts.length > 0 ? parts.join("; ") : null;
}

/**
 * The changes as a commit's files: regular files by bytes, links as links, deletions as null.
 * Never a path git refuses or would read as its own (a violation's commit is still a valid,
 * fsck-clean object), nor what could not be read.
 */
function filesOf(
  changes: readonly Change[],
): Record<string, { content: Buffer; mode: string } | null> {
  const files: Record<string, { content: Buffer; mode: string } | null> = {};
  for (const c of changes) {
    if (gitOwnedPath(c.path)) continue;
    if (c.file === null) files[c.path] = null;
    else if (c.file.type === "file") files[c.path] = { content: c.file.content, mode: c.file.mode };
    else if (c.file.link !== undefined)
      files[c.path] = { content: Buffer.from(c.file.link), mode: "120000" };
  }
  return files;
}

/** Whether redaction would change these bytes: a key, in some form, is in them. */
function holdsSecret(ctx: EngineContext, content: Buffer): boolean {
  const text = content.toString();
  return ctx.redact(text) !== text;
}

/** A path short enough to read: a deep one as its first folders, its depth and its last name. */
function short(path: string): string {
  if (path.length <= 120) return path;
  const parts = path.split("/");
  return `${parts.slice(0, 2).join("/")}/…(${parts.length} levels)…/${parts.at(-1)!.slice(0, 40)}`;
}

function list(items: readonly string[]): string {
  return items.length > 5
    ? `${items.slice(0, 5).join(", ")} and ${items.length - 5} more`
    : items.join(", ");
}

function names(changes: readonly Change[]): string {
  return changes
    .slice(0, 5)
    .map((c) => c.path)
    .join(", ");
}
