import { compileGlobs } from "../config/check-scope-files.ts";
import type { Config } from "../config/schema.ts";
import type { GitCommand } from "../git/command.ts";
import type { Git } from "../git/git.ts";
import { parseLog } from "../ledger/log-jsonl.ts";
import { KEPT, type ResultEntry } from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";

/**
 * The publish job trusts nothing the GPU job hands it. Every commit it would push, from the
 * remote's head (or the default branch, for a new tag) to the handoff's head and experiments'
 * refs, is checked against the config read from the default branch, as autoexp itself builds
 * them: a record commit touches only `.autoexp/<tag>/`; a candidate commit only `target` paths
 * over its parent, no frozen file, no link or submodule; nothing anywhere under `.github/`.
 * The ledger only grows, and its new kept rows are exactly the candidate commits the branch
 * gained, in order. Anything else is refused, naming the commit and the path; nothing is pushed.
 */

/** What a commit may touch: the tag, and the config's globs (read from the default branch). */
export interface Scope {
  tag: string;
  isTarget: (path: string) => boolean;
  isFrozen: (path: string) => boolean;
}

export function scopeOf(tag: string, config: Pick<Config, "target" | "frozen">): Scope {
  return { tag, isTarget: compileGlobs(config.target), isFrozen: compileGlobs(config.frozen) };
}

/** One path a commit changes over its parent (`git log --raw`): its new mode, and A/M/D/T. */
export interface Change {
  path: string;
  mode: string;
  status: string;
}

export interface WalkedCommit {
  sha: string;
  parents: string[];
  changes: Change[];
}

/** Why a commit (or the ledger at a commit) cannot be published. */
export interface Refusal {
  commit: string;
  path: string;
  why: string;
}

const LINK = "120000";
const SUBMODULE = "160000";

/** Whether `path` is `.github` or under it. */
function underGithub(path: string): boolean {
  return path === ".github" || path.startsWith(".github/");
}

/**
 * What a commit is, judged by what it changes over its only parent: a record commit (only
 * `.autoexp/<tag>/`) or a candidate (code), and every path that makes it one autoexp does not
 * make (none: it may be pushed). Pure.
 */
export function judgeCommit(
  commit: WalkedCommit,
  scope: Scope,
): { kind: "record" | "candidate"; refusals: Refusal[] } {
  const refusals: Refusal[] = [];
  const refuse = (path: string, why: string) => refusals.push({ commit: commit.sha, path, why });
  const record = `.autoexp/${scope.tag}/`;
  const kind = commit.changes.every((c) => c.path.startsWith(record)) ? "record" : "candidate";
  if (commit.parents.length !== 1)
    refuse(
      "",
      commit.parents.length === 0
        ? "is a root commit: an experiment always builds on the tag's base"
        : `is a merge of ${commit.parents.length} commits: autoexp never makes one`,
    );
  for (const c of commit.changes) {
    const odd = c.mode === LINK || c.mode === SUBMODULE;
    if (underGithub(c.path))
      refuse(
        c.path,
        "is under .github/: workflows and repository settings never come from an experiment",
      );
    else if (kind === "record") {
      if (odd) refuse(c.path, "is a link or a submodule: the record holds plain files");
    } else if (c.path.startsWith(".autoexp/"))
      refuse(
        c.path,
        c.path.startsWith(record)
          ? "is the record, changed in a commit that also changes code: autoexp records in commits of their own"
          : `is another tag's record: only ${record} belongs to this tag`,
      );
    else if (scope.isFrozen(c.path))
      refuse(c.path, "is frozen: it must stay byte-identical to the base");
    else if (!scope.isTarget(c.path))
      refuse(c.path, "is outside target: an experiment changes only the target files");
    else if (odd) refuse(c.path, "is a link or a submodule: candidates hold plain files");
  }
  return { kind, refusals };
}

/**
 * Frozen files at `head` against the base the tag started from: byte-identical (same blob, same
 * mode), none added or removed. Pure, over two tree listings.
 */
export function frozenDrift(
  base: readonly { path: string; mode: string; sha: string }[],
  head: readonly { path: string; mode: string; sha: string }[],
  headSha: string,
  scope: Scope,
): Refusal[] {
  const key = (e: { mode: string; sha: string }) => `${e.mode} ${e.sha}`;
  const before = new Map(base.filter((e) => scope.isFrozen(e.path)).map((e) => [e.path, key(e)]));
  const after = new Map(head.filter((e) => scope.isFrozen(e.path)).map((e) => [e.path, key(e)]));
  const refusals: Refusal[] = [];
  for (const path of new Set([...before.keys(), ...after.keys()]))
    if (before.get(path) !== after.get(path))
      refusals.push({
        commit: headSha,
        path,
        why: "is frozen and differs from the base: it must stay byte-identical",
      });
  return refusals;
}

/**
 * The ledger against the commits the branch gained. `before`: the ledger where the branch was
 * (the remote's, or null for a new tag); `after`: the ledger at `head`; `candidates`: the
 * candidate commits the branch gained, oldest first; `base`: where a new tag's branch starts.
 * The ledger only grows; a new tag starts with its baseline on the base; the new kept rows name
 * exactly those candidates, in order. Pure.
 */
export function judgeLedger(input: {
  tag: string;
  head: string;
  before: string | null;
  after: string;
  candidates: readonly string[];
  base: string;
}): Refusal[] {
  const path = `.autoexp/${input.tag}/log.jsonl`;
  const refuse = (why: string, commit = input.head): Refusal => ({ commit, path, why });
  if (input.before !== null && !input.after.startsWith(input.before))
    return [refuse("changes or removes lines already published: the ledger only grows")];
  let added: ResultEntry[];
  try {
    added = parseLog(input.after.slice(input.before?.length ?? 0)).results;
    parseLog(input.after);
  } catch (error) {
    return [refuse(`does not parse (${error instanceof Error ? error.message : String(error)})`)];
  }
  const refusals: Refusal[] = [];
  const rows = [...added];
  if (input.before === null) {
    const first = rows.shift();
    if (first?.status !== "baseline" || first.commit_full !== input.base)
      refusals.push(
        refuse(
          `does not start with the baseline on the base ${input.base.slice(0, 7)}${first ? ` (its first row is #${first.iteration} ${first.status} on ${first.commit_full?.slice(0, 7) ?? "no commit"})` : ""}`,
        ),
      );
  }
  const kept = rows.filter((r) => KEPT.has(r.status));
  const wanted = new Set(input.candidates);
  const named = new Set<string>();
  for (const r of kept) {
    const commit = r.commit_full ?? "";
    if (r.status === "baseline")
      refusals.push(refuse(`row #${r.iteration} is a second baseline: a tag has one`));
    else if (!wanted.has(commit))
      refusals.push(
        refuse(
          `row #${r.iteration} (${r.status}) names ${commit.slice(0, 7) || "no commit"}, which is not a commit the branch gained: a keep without its code`,
        ),
      );
    else if (named.has(commit))
      refusals.push(refuse(`row #${r.iteration} names ${commit.slice(0, 7)} a second time`));
    named.add(commit);
  }
  for (const c of input.candidates)
    if (!named.has(c))
      refusals.push({
        commit: c,
        path,
        why: "is a candidate on the branch that no kept row of the ledger names",
      });
  if (refusals.length === 0) {
    const order = kept.map((r) => r.commit_full);
    if (order.some((c, i) => c !== input.candidates[i]))
      refusals.push(refuse("names the kept commits in another order than the branch holds them"));
  }
  return refusals;
}

/**
 * The experiments' refs against the ledger at the head: each is refs/autoexp/<tag>/<n> for a row
 * #n whose diff is that ref and whose commit is the ref's. Pure.
 */
export function judgeRefs(
  tag: string,
  refs: Readonly<Record<string, string>>,
  rows: readonly ResultEntry[],
): Refusal[] {
  const byRef = new Map(rows.filter((r) => r.diff).map((r) => [r.diff!, r]));
  const refusals: Refusal[] = [];
  for (const [name, sha] of Object.entries(refs)) {
    const row = byRef.get(name);
    if (!new RegExp(`^refs/autoexp/${tag.replace(/[.]/g, "\\.")}/\\d+$`).test(name) || !row)
      refusals.push({ commit: sha, path: name, why: "is a ref no row of the ledger names" });
    else if (row.commit_full !== sha)
      refusals.push({
        commit: sha,
        path: name,
        why: `is not the commit row #${row.iteration} records (${row.commit_full?.slice(0, 7) ?? "none"})`,
      });
  }
  return refusals;
}

/** Commits reachable from `tips` and from none of `having`, oldest first, with their changes. */
export const walkCommits = (
  tips: readonly string[],
  having: readonly string[],
): GitCommand<WalkedCommit[]> => ({
  args: [
    "log",
    "--stdin",
    "--reverse",
    "--topo-order",
    "--format=%x01%H %P",
    "--raw",
    "-r",
    "--no-renames",
    "--no-abbrev",
    "-z",
  ],
  input: [...tips, ...having.map((h) => `^${h}`)].map((r) => `${r}\n`).join(""),
  parse: parseWalk,
});

/** Parses `git log --format=%x01%H %P --raw -z` (no renames: one path per change). */
export function parseWalk(out: string): WalkedCommit[] {
  const commits: WalkedCommit[] = [];
  for (const chunk of out.split("\x01")) {
    if (!chunk) continue;
    const end = chunk.indexOf("\0");
    const [sha, ...parents] = chunk
      .slice(0, end === -1 ? undefined : end)
      .trim()
      .split(" ");
    const fields = end === -1 ? [] : chunk.slice(end + 1).split("\0");
    const changes: Change[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const meta = fields[i]!.trim();
      if (!meta.startsWith(":")) break;
      const [, mode, , , status] = meta.slice(1).split(" ");
      changes.push({ path: fields[i + 1]!, mode: mode!, status: status! });
    }
    commits.push({ sha: sha!, parents: parents.filter(Boolean), changes });
  }
  return commits;
}

const mergeBaseOf = (a: string, b: string): GitCommand<string | null> => ({
  args: ["merge-base", a, b],
  parse: (out) => out.trim() || null,
  onError: () => null,
});

const changedPaths = (commit: string): GitCommand<string[]> => ({
  args: ["diff-tree", "-r", "--no-commit-id", "--name-only", "--no-renames", "-z", commit],
  parse: (out) => out.split("\0").filter(Boolean),
});

/**
 * The last record commit `head` shares with `remoteHead`: their merge base, or the record it
 * was made on when the merge base is a candidate both happened to make.
 */
async function lastRecord(
  git: Git,
  head: string,
  remoteHead: string,
  trusted: string,
  tag: string,
): Promise<string | null> {
  let at = await git.run(mergeBaseOf(head, remoteHead));
  for (let step = 0; at && step < 64; step++) {
    if (await git.isAncestor(at, trusted)) return at;
    const paths = await git.run(changedPaths(at));
    if (paths.every((p) => p.startsWith(`.autoexp/${tag}/`))) return at;
    at = await git.resolve(`${at}^1`);
  }
  return at;
}

/** Review-only commits: autoexp commits what an agent did, outside target too, for review. */
const FOR_REVIEW: ReadonlySet<string> = new Set(["violation", "agent_error"]);

export interface PushCheck {
  scope: Scope;
  /** The default branch's head: its history is trusted, and a new tag starts on it. */
  trusted: string;
  /** The remote's head of the tag's branch, or null for a new tag. */
  remoteHead: string | null;
  /** The head to publish, and the experiments' refs to push with it (name -> sha). */
  head: string;
  refs: Readonly<Record<string, string>>;
  /** Commits already on the remote (its experiments' refs): not checked again. */
  published?: readonly string[];
}

/**
 * Checks everything `check` would push; returns the refusals (none: safe to push). The commits
 * are walked in one git process each for the branch and for the refs: 20,000 experiments cost
 * two `git log`s, not 40,000 processes.
 */
export async function checkPushed(git: Git, check: PushCheck): Promise<Refusal[]> {
  const { scope, trusted, remoteHead, head } = check;
  const { tag } = scope;
  const base = await git.run(mergeBaseOf(head, trusted));
  if (!base)
    return [
      {
        commit: head,
        path: "",
        why: "shares no history with the default branch: it is not a branch of this repository",
      },
    ];
  const having = [trusted, ...(remoteHead ? [remoteHead] : [])];
  // Where the branch leaves the remote's: the last record both hold. (Two lines of a matrix can
  // make the same candidate commit, same parent, bytes and second: the fork is after it, but its
  // keep is recorded only in each line's own record commit, so the walk starts before it.)
  const from = remoteHead ? await lastRecord(git, head, remoteHead, trusted, tag) : null;
  const branch = await git.run(walkCommits([head], from ? [trusted, from] : [trusted]));
  const refusals: Refusal[] = [];
  const candidates: string[] = [];
  for (const c of branch) {
    const verdict = judgeCommit(c, scope);
    refusals.push(...verdict.refusals);
    if (verdict.kind === "candidate") candidates.push(c.sha);
  }
  const path = `.autoexp/${tag}/log.jsonl`;
  const after = await git.show(head, path);
  if (after === null) return [...refusals, { commit: head, path, why: "is missing" }];
  const before = from ? await git.show(from, path) : null;
  refusals.push(
    ...judgeLedger({
      tag,
      head,
      before: remoteHead ? (before ?? "") : null,
      after,
      candidates,
      base: branch[0]?.parents[0] ?? base,
    }),
  );
  // A frozen file changed by a commit named above is not named again at the head.
  const named = new Set(refusals.map((r) => r.path));
  refusals.push(
    ...frozenDrift(await git.lsTree(base), await git.lsTree(head), head, scope).filter(
      (r) => !named.has(r.path),
    ),
  );

  // The experiments' refs: the ledger names each; what they add beyond the branch is checked as
  // the branch is, except the attempt a violation or agent_error row keeps for review.
  let rows: ResultEntry[] = [];
  try {
    rows = parseLog(after).results;
  } catch {
    // judgeLedger said so
  }
  refusals.push(...judgeRefs(tag, check.refs, rows));
  const review = new Set(
    rows.filter((r) => FOR_REVIEW.has(r.status) && r.commit_full).map((r) => r.commit_full!),
  );
  const published = new Set(check.published ?? []);
  const shas = [...new Set(Object.values(check.refs))];
  const tips = shas.filter((s) => !published.has(s));
  if (tips.length > 0) {
    // What the remote already holds (and this repository fetched) is not walked again.
    const there = shas.filter((s) => published.has(s));
    const beyond = await git.run(walkCommits(tips, [head, ...having, ...there]));
    for (const c of beyond) {
      const verdict = judgeCommit(c, scope);
      if (review.has(c.sha) && c.parents.length === 1) continue;
      // Records off the branch are a parallel line's, under its candidates: checked alike.
      refusals.push(...verdict.refusals);
    }
  }
  return refusals;
}

/** The refusal as the user reads it: what was refused, each commit and path, and what to do. */
export function refusalMessage(what: string, refusals: readonly Refusal[], limit = 12): string {
  const lines = refusals.slice(0, limit).map((r) => {
    const at = r.path ? `${r.path} ${r.why}` : r.why;
    return `  ${r.commit.slice(0, 7)}: ${at}`;
  });
  if (refusals.length > limit) lines.push(`  ... and ${refusals.length - limit} more`);
  return `${what} holds what autoexp does not make, so nothing was pushed:\n${lines.join("\n")}\nThe GPU job's handoff is not trusted: inspect that runner (a hostile agent or eval may have written it), then run the batch again from the published branch. Publish checks every commit against the config on the default branch.`;
}

/** Throws the refusal when there is one. */
export function refuseIfAny(what: string, refusals: readonly Refusal[]): void {
  if (refusals.length > 0) throw new AutoexpError(refusalMessage(what, refusals), { exitCode: 1 });
}
