import { join } from "node:path";
import type { Config } from "../config/schema.ts";
import { configChanges, decisionFacts } from "../decide/config-changes.ts";
import { judgedDeterministic } from "../decide/determinism.ts";
import { incumbentState } from "../decide/ledger-state.ts";
import { Git } from "../git/git.ts";
import type { ParsedLog } from "../ledger/log-jsonl.ts";
import type { VerifyEntry } from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";
import type { BatchEvent } from "./events.ts";
import { explainFailure } from "./explain-failure.ts";
import { hashFrozen } from "./fingerprint.ts";
import { type Isolation, resolveIsolation } from "./isolation.ts";
import { missingTag } from "./missing-tag.ts";
import { openTag } from "./open-tag.ts";
import type { RecordStore } from "./record-store.ts";
import { Slot } from "./slot.ts";
import { verifyRecord } from "./verify.ts";

/** Pairs when neither --pairs nor verify.pairs says: enough for a t interval of useful width. */
export const DEFAULT_PAIRS = 8;
/** The same for an eval judged deterministic: two pairs that agree show the effect exactly. */
export const DETERMINISTIC_PAIRS = 2;

/**
 * The pairs verify, attribute and split run: --pairs, else verify.pairs, else DETERMINISTIC_PAIRS
 * for a tag whose eval was judged deterministic and never disagreed with itself, else
 * DEFAULT_PAIRS.
 */
export function pairsOf(
  config: Pick<Config, "verify">,
  given?: number,
  log?: Pick<ParsedLog, "config" | "results"> | null,
): number {
  const exact =
    log !== undefined &&
    log !== null &&
    judgedDeterministic(log.config) &&
    !log.results.some((r) => r.nondeterministic);
  return given ?? config.verify?.pairs ?? (exact ? DETERMINISTIC_PAIRS : DEFAULT_PAIRS);
}

export interface VerifyOptions {
  repoDir: string;
  config: Config;
  tag: string;
  /** --pairs; absent: verify.pairs, else what suits the tag's eval (pairsOf). */
  pairs?: number | undefined;
  /** What the pairs' order is drawn from (--seed); absent: a fresh seed, recorded. */
  orderSeed?: number | undefined;
  env?: Record<string, string | undefined>;
  onEvent?: (event: BatchEvent) => void;
  /** Go on from a branch autoexp cannot prove it wrote, after checks (see openTag). */
  adopt?: true | string | undefined;
}

/** What a measuring command (verify, attribute) runs under: the batch's isolation and eval env. */
export interface MeasureContext {
  isolation: Isolation;
  /** The eval's environment (secrets stripped; nothing names the tag or the run). */
  evalEnv: Record<string, string | undefined>;
  env: Record<string, string | undefined>;
  emit: (event: BatchEvent) => void;
  /** The pairs to run (pairsOf, with the tag's record). */
  pairs: number;
}

/**
 * `autoexp verify`: opens the tag's record (its lock held, as a batch holds it), checks that the
 * config still means what the tag's record says, and runs verifyRecord under the same isolation
 * and eval environment a batch would use.
 */
export function verifyTag(options: VerifyOptions): Promise<VerifyEntry> {
  return measureTag(options, "verify", "verify", (store, ctx) =>
    verifyRecord(store, options.config, {
      ...ctx,
      orderSeed: options.orderSeed,
    }),
  );
}

/**
 * Opens the tag's record for a command that re-measures its code (`verify`, `attribute`): the
 * lock held, the config checked against the record, the batch's isolation resolved; then `body`.
 */
export async function measureTag<T>(
  options: VerifyOptions,
  command: string,
  slot: string,
  body: (store: RecordStore, ctx: MeasureContext) => Promise<T>,
): Promise<T> {
  try {
    return await measureTagUnexplained(options, command, slot, body);
  } catch (error) {
    throw explainFailure(error, options.tag);
  }
}

async function measureTagUnexplained<T>(
  options: VerifyOptions,
  command: string,
  slot: string,
  body: (store: RecordStore, ctx: MeasureContext) => Promise<T>,
): Promise<T> {
  const { config, tag } = options;
  const env = options.env ?? process.env;
  const repo = new Git(options.repoDir, env);
  if (!(await repo.resolve(`refs/heads/autoexp/${tag}`)))
    throw await missingTag(repo, tag, command);
  const { store, evalEnv, emit } = await openTag({
    repoDir: options.repoDir,
    tag,
    config,
    env,
    onEvent: options.onEvent,
    adopt: options.adopt,
  });
  await using _store = store;
  const header = store.log?.config;
  if (!header)
    throw new AutoexpError(`no autoexp record for tag ${tag}: start one with \`autoexp run\``);
  const isolation = await resolveIsolation(
    config,
    store.repo.dir,
    await store.repo.commonDir(),
    env,
  );
  // Re-measuring means what the tag decided on: the same eval, metric, goal and harness.
  const probe = new Slot({
    id: 1,
    root: join(store.stateDir, "slots", slot),
    git: store.repo,
    isolation,
    logs: join(store.stateDir, "logs"),
  });
  await probe.prepare(store.head!);
  const changes = configChanges(
    header,
    decisionFacts(config, await hashFrozen(probe.dir, config.frozen)),
    { measuring: true },
  );
  if (changes.length > 0)
    throw new AutoexpError(
      `tag ${tag}'s record was made with another config, so ${command} would measure something else:\n${changes.map((c) => `  ${c}`).join("\n")}\nRun ${command} with the config the tag ran under (--config). Nothing was run or written`,
    );
  // Said before how evals will run: with nothing kept, there is nothing to measure.
  const inc = incumbentState(store.log!);
  if (!inc || inc.iteration === 0)
    throw new AutoexpError(
      `tag ${tag} has kept nothing yet: its code is its base ${header.base_commit.slice(0, 7)}, so there is nothing to ${command}`,
      { exitCode: 1 },
    );
  emit({ type: "isolation", mode: isolation.mode, warnings: isolation.warnings });
  // Awaited here: the store is disposed (an await) on return, and a rejection left pending over
  // it would count as unhandled and end the process with a stack trace.
  const pairs = pairsOf(config, options.pairs, store.log);
  return await body(store, { isolation, evalEnv, env, emit, pairs });
}
