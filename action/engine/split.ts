import { join } from "node:path";
import type { Config } from "../config/schema.ts";
import { incumbentState } from "../decide/ledger-state.ts";
import { groupChanges } from "../decide/split-groups.ts";
import { verifiedGain } from "../decide/verified-gain.ts";
import { withIdentity } from "../git/git.ts";
import { rowsThrough } from "../ledger/record-order.ts";
import type { SplitEntry, SplitGroup } from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";
import type { RecordStore } from "./record-store.ts";
import { buildGroup, changeHunks, type KeptChange } from "./split-build.ts";
import { measurePairs, type VerifyRun } from "./verify.ts";
import { measureTag, type VerifyOptions } from "./verify-tag.ts";

/**
 * `autoexp split`: opens the tag's record as verify does (lock held, config checked, the batch's
 * isolation), then splitRecord.
 */
export function splitTag(options: VerifyOptions): Promise<{ entry: SplitEntry; reused: boolean }> {
  return measureTag(options, "split", "split", (store, ctx) =>
    splitRecord(store, options.config, {
      ...ctx,
      orderSeed: options.orderSeed,
    }),
  );
}

/** The branch of group `n` of `tag`. */
export function splitBranch(tag: string, n: number): string {
  return `autoexp/${tag}--${n}`;
}

/** The kept changes up to the incumbent, each with the code it was built on. */
export function keptChangesOf(store: RecordStore): {
  base: string;
  final: string;
  finalIteration: number;
  changes: KeptChange[];
} {
  const log = store.log;
  const header = log?.config;
  const inc = log ? incumbentState(log) : null;
  if (!log || !header || !inc)
    throw new AutoexpError(`tag ${store.tag} has no baseline yet: there is nothing to split`);
  const base = header.base_commit;
  const changes: KeptChange[] = [];
  let before = base;
  for (const r of rowsThrough(log.results, inc.iteration)) {
    if (r.iteration === 0 || !r.commit_full) continue;
    if (r.status !== "keep" && r.status !== "simplification") continue;
    changes.push({
      iteration: r.iteration,
      commit: r.commit_full,
      before,
      description: r.description,
      timestamp: r.timestamp,
    });
    before = r.commit_full;
  }
  if (changes.length === 0)
    throw new AutoexpError(
      `tag ${store.tag} has kept nothing yet: its code is its base ${base.slice(0, 7)}, so there is nothing to split`,
      { exitCode: 1 },
    );
  return { base, final: before, finalIteration: inc.iteration, changes };
}

/**
 * `autoexp split`: the tag's kept changes grouped into independent change sets (groupChanges),
 * each built on the base as branch autoexp/<tag>--<n> (never in the user's checkout), verified
 * alone against the base (measurePairs, as verify does, in its own fresh slots), and recorded as
 * one `split` line. Idempotent: the same kept changes build the same commits; when the last split
 * line already holds exactly these groups and commits, the branches are set again and nothing is
 * re-measured or written.
 */
export async function splitRecord(
  store: RecordStore,
  config: Config,
  run: VerifyRun,
): Promise<{ entry: SplitEntry; reused: boolean }> {
  const { base, final, finalIteration, changes } = keptChangesOf(store);
  const header = store.log!.config!;
  const repo = store.repo;
  const hunks = await changeHunks(repo, changes);
  const groups = groupChanges(hunks);
  const env = await withIdentity(repo, run.env);
  const built: { n: number; iterations: number[]; files: string[]; commit: string }[] = [];
  for (const [i, members] of groups.entries()) {
    const n = i + 1;
    const result = await buildGroup(
      repo,
      env,
      base,
      members.map((k) => changes[k]!),
      members.map((k) => hunks[k]!),
      join(store.stateDir, `split-${n}`),
    );
    if ("conflicts" in result)
      throw new AutoexpError(
        `group ${n} (${members.map((k) => `#${changes[k]!.iteration}`).join(", ")}) does not apply to the base ${base.slice(0, 7)}: ${result.conflicts.join(", ")} conflict. Nothing was written`,
        { exitCode: 1 },
      );
    built.push({
      n,
      iterations: members.map((k) => changes[k]!.iteration),
      files: [...new Set(members.flatMap((k) => hunks[k]!.map((h) => h.file)))].sort(),
      commit: result.commit,
    });
  }
  await repo.updateRefs(
    built.map((g) => ({ ref: `refs/heads/${splitBranch(store.tag, g.n)}`, sha: g.commit })),
  );
  const last = store.log?.splits?.at(-1);
  if (
    last &&
    last.final_commit === final &&
    last.pairs === run.pairs &&
    last.groups.length === built.length &&
    last.groups.every((g, i) => g.commit === built[i]!.commit)
  ) {
    run.emit({
      type: "notice",
      message: "split: the same groups as last time; reused, nothing re-measured",
    });
    return { entry: last, reused: true };
  }
  const confidence = header.confidence ?? config.decide.confidence;
  const gainOf = (s: { base: number[]; final: number[] }) =>
    verifiedGain(s.base, s.final, header.goal, confidence);
  let seconds = 0;
  const measured: SplitGroup[] = [];
  for (const g of built) {
    run.emit({
      type: "notice",
      message: `split: group ${g.n} of ${built.length} (${g.iterations.map((i) => `#${i}`).join(", ")}) on ${splitBranch(store.tag, g.n)}, verified against the base`,
    });
    const m = await measurePairs(store, config, run, { base, final: g.commit }, `split-${g.n}`);
    seconds += m.seconds;
    measured.push({
      n: g.n,
      branch: splitBranch(store.tag, g.n),
      commit: g.commit,
      iterations: g.iterations,
      files: g.files,
      samples: m.samples.validation,
      gain: gainOf(m.samples.validation),
      ...(config.eval.holdout
        ? { holdout: { samples: m.samples.holdout, gain: gainOf(m.samples.holdout) } }
        : {}),
      ...(m.failures.length > 0 ? { failures: m.failures } : {}),
      order_seed: m.orderSeed,
    });
  }
  const entry: SplitEntry = {
    type: "split",
    metric: header.metric,
    goal: header.goal,
    base_commit: base,
    final_commit: final,
    final_iteration: finalIteration,
    pairs: run.pairs,
    confidence,
    groups: measured,
    isolation: run.isolation.mode,
    eval_seconds: Math.round(seconds * 1000) / 1000,
    timestamp: new Date().toISOString(),
  };
  await store.append([entry]);
  return { entry, reused: false };
}
