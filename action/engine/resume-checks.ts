import type { Config } from "../config/schema.ts";
import { withWeightedScore } from "../decide/build-policy.ts";
import { configChanges, decisionFacts } from "../decide/config-changes.ts";
import { incumbentState } from "../decide/ledger-state.ts";
import { collectSamples } from "../decide/samples.ts";
import { lastLines } from "../eval/read-tail.ts";
import type { ConfigEntry, RemeasureEntry } from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";
import type { BatchEvent } from "./events.ts";
import { hashFrozen } from "./fingerprint.ts";
import type { RecordStore } from "./record-store.ts";
import type { Slot } from "./slot.ts";

/**
 * A resumed tag must mean the same thing: the same metric, goal, rule, guards, eval, targets and
 * harness. A change is refused, naming it and the two ways on; with `accept` it is recorded (a
 * new config line) and the incumbent is measured again under it, so that later decisions compare
 * like with like.
 */
export async function checkCompatible(
  store: RecordStore,
  config: Config,
  slot: Slot,
  accept: boolean,
  evalEnv: Record<string, string | undefined>,
  emit: (e: BatchEvent) => void,
): Promise<void> {
  const header = store.log!.config!;
  await slot.prepare(store.head!);
  const facts = decisionFacts(config, await hashFrozen(slot.dir, config.frozen));
  const changes = configChanges(header, facts);
  if (changes.length === 0) return;
  if (!accept) {
    throw new AutoexpError(
      `tag ${store.tag} was started with another config, so resuming it would judge by other rules than its record shows:\n${changes.map((c) => `  ${c}`).join("\n")}\nEither start a new tag (--tag ${store.tag}-2), or run again with --accept-config-change: the change is recorded in the ledger and the incumbent is measured again under it. Nothing was run or written`,
    );
  }
  const { weights, ...rest } = facts;
  const { weights: _old, ...kept } = header;
  const updated: ConfigEntry = {
    ...kept,
    ...rest,
    ...(weights ? { weights } : {}),
    guard_metric: Object.keys(facts.guards)[0] ?? null,
    guard_threshold: (() => {
      const g = Object.values(facts.guards)[0];
      return g ? (g.max ?? g.min ?? null) : null;
    })(),
    constrained_file: facts.target.join(","),
    timestamp: new Date().toISOString(),
    changes,
  };
  const inc = incumbentState(store.log!)!;
  const runs: Record<string, number>[] = [];
  const started = performance.now();
  for (let run = 0; run < config.decide.baseline_runs; run++) {
    const outcome = await slot.evaluate(
      config,
      inc.commit,
      `${inc.iteration}-config-${run}`,
      evalEnv,
      facts.frozen_hashes,
    );
    if (outcome.status !== "ok" || outcome.tampered.length > 0) {
      throw new AutoexpError(
        `the incumbent #${inc.iteration} does not run under the changed config (${outcome.problem ?? "it changed frozen files"}); nothing was recorded. ${lastLines(outcome.tail)}`,
        { exitCode: 1 },
      );
    }
    runs.push(withWeightedScore(outcome.metrics, config, header.baseline_metrics ?? {}));
  }
  const remeasured: RemeasureEntry = {
    type: "remeasure",
    iteration: inc.iteration,
    after: store.log!.results.at(-1)!.iteration,
    reason: "config-change",
    reset: true,
    samples: collectSamples(runs),
    eval_seconds: Math.round(performance.now() - started) / 1000,
    timestamp: new Date().toISOString(),
    note: `config changed: ${changes.join("; ")}`,
  };
  await store.append([updated, remeasured]);
  emit({ type: "notice", message: `config change accepted and recorded: ${changes.join("; ")}` });
}

/** A base branch that moved on since the tag started: said, not acted on. */
export async function noticeMovedBase(
  store: RecordStore,
  emit: (e: BatchEvent) => void,
): Promise<void> {
  const base = store.log?.config?.base_commit;
  const head = await store.repo.resolve("HEAD");
  if (!base || !head || head === base) return;
  const branch = (await store.repo.currentBranch()) ?? "HEAD";
  if (await store.repo.isAncestor(base, head)) {
    emit({
      type: "notice",
      message: `${branch} moved on since tag ${store.tag} started (${base.slice(0, 7)} → ${head.slice(0, 7)}): this tag goes on from its own base; start a new tag to build on ${branch}`,
    });
  }
}
