import { compileGlobs } from "../config/check-scope-files.ts";
import type { Git } from "../git/git.ts";
import type { ParsedLog } from "../ledger/log-jsonl.ts";
import { recordDir } from "../ledger/record-files.ts";
import { KEPT } from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";

/**
 * Permission to go on from a branch autoexp cannot prove it wrote (moved by something else, a
 * journal from an older autoexp, or none: a fresh clone or runner). `head`: only that commit
 * (the Action: the remote head the publish job checked). Target and frozen come from today's
 * config, never from the record being adopted.
 */
export interface Adoption {
  head?: string;
  target: readonly string[];
  frozen: readonly string[];
}

/**
 * Checks every kept experiment of a record before it is adopted: its commit's parent holds the
 * code of the incumbent before it, it changes only target paths, its frozen files are
 * byte-identical to the base commit's, and the branch head holds the last keep's code. Keeps of
 * another line queued for a re-check (not the branch's code) are checked for target and frozen
 * only. Throws naming the experiment, its commit and the path; returns the keeps checked.
 */
export async function checkAdopted(
  repo: Git,
  tag: string,
  head: string,
  log: ParsedLog,
  scope: Adoption,
): Promise<number> {
  const isTarget = compileGlobs(scope.target);
  const isFrozen = compileGlobs(scope.frozen);
  const record = `${recordDir(tag)}/`;
  const refuse = (what: string) =>
    new AutoexpError(
      `branch autoexp/${tag} cannot be adopted: ${what}. Nothing was changed; reset the branch to a commit autoexp wrote, or start a new --tag`,
      { exitCode: 1 },
    );
  const trees = new Map<string, Map<string, string>>();
  const code = async (commit: string): Promise<Map<string, string>> => {
    let tree = trees.get(commit);
    if (!tree) {
      const entries = await repo.lsTree(commit).catch(() => null);
      if (!entries) throw refuse(`commit ${commit.slice(0, 7)} is not in this repository`);
      tree = new Map(
        entries
          .filter((e) => !e.path.startsWith(record))
          .map((e) => [e.path, `${e.mode} ${e.sha}`]),
      );
      trees.set(commit, tree);
    }
    return tree;
  };
  const differ = (a: Map<string, string>, b: Map<string, string>) =>
    [...new Set([...a.keys(), ...b.keys()])].filter((p) => a.get(p) !== b.get(p));
  const baseline = log.results.find((r) => r.status === "baseline");
  if (!baseline?.commit_full) throw refuse("its ledger has no baseline row with a commit");
  const base = await code(baseline.commit_full);
  let incumbent = baseline.commit_full;
  let checked = 0;
  for (const row of log.results) {
    if (!KEPT.has(row.status) || row.status === "baseline") continue;
    const name = `#${row.iteration} (${row.status}, commit ${row.commit_full?.slice(0, 7) ?? "none"})`;
    if (!row.commit_full) throw refuse(`${name} names no commit`);
    const parent = await repo.resolve(`${row.commit_full}^`).catch(() => null);
    if (!parent) throw refuse(`${name} has no parent commit`);
    const mine = await code(row.commit_full);
    const frozen = [...new Set([...base.keys(), ...mine.keys()])].filter(
      (p) => isFrozen(p) && base.get(p) !== mine.get(p),
    );
    if (frozen.length > 0) throw refuse(`${name} changes the frozen file ${frozen[0]}`);
    const outside = differ(await code(parent), mine).filter((p) => !isTarget(p));
    if (outside.length > 0)
      throw refuse(`${name} changes ${outside[0]}, which is not a target path`);
    checked++;
    if (row.recheck === "queued") continue;
    const drift = differ(await code(parent), await code(incumbent));
    if (drift.length > 0)
      throw refuse(
        `${name} was not built on the incumbent before it (#${incumbentRow(log, incumbent)}, ${incumbent.slice(0, 7)}): its parent differs in ${drift[0]}`,
      );
    incumbent = row.commit_full;
  }
  const atHead = differ(await code(head), await code(incumbent));
  if (atHead.length > 0)
    throw refuse(
      `its head ${head.slice(0, 7)} does not hold the last kept code (${incumbent.slice(0, 7)}): ${atHead[0]} differs`,
    );
  return checked;
}

function incumbentRow(log: ParsedLog, commit: string): number {
  return log.results.find((r) => r.commit_full === commit)?.iteration ?? 0;
}
