import { join } from "node:path";
import type { Config } from "../config/schema.ts";
import { configChanges, decisionFacts } from "../decide/config-changes.ts";
import type { VerifyEntry } from "../ledger/types.ts";
import { createRedactor, redactDeep, splitEnv } from "../process/secrets.ts";
import { AutoexpError } from "../util/errors.ts";
import type { BatchEvent } from "./events.ts";
import { explainFailure } from "./explain-failure.ts";
import { hashFrozen } from "./fingerprint.ts";
import { resolveIsolation } from "./isolation.ts";
import { RecordStore } from "./record-store.ts";
import { Slot } from "./slot.ts";
import { verifyRecord } from "./verify.ts";

export interface VerifyOptions {
  repoDir: string;
  config: Config;
  tag: string;
  pairs: number;
  env?: Record<string, string | undefined>;
  onEvent?: (event: BatchEvent) => void;
}

/**
 * `autoexp verify`: opens the tag's record (its lock held, as a batch holds it), checks that the
 * config still means what the tag's record says, and runs verifyRecord under the same isolation
 * and eval environment a batch would use.
 */
export async function verifyTag(options: VerifyOptions): Promise<VerifyEntry> {
  try {
    return await verifyTagUnexplained(options);
  } catch (error) {
    throw explainFailure(error, options.tag);
  }
}

async function verifyTagUnexplained(options: VerifyOptions): Promise<VerifyEntry> {
  const { config, tag } = options;
  const env = options.env ?? process.env;
  const { AUTOEXP_FAULT: _fault, ...base } = env;
  const { evalEnv, values } = splitEnv({ ...base, AUTOEXP_TAG: tag }, config.agent);
  const redact = createRedactor(values);
  const emit = (event: BatchEvent) => options.onEvent?.(redactDeep(event, redact));
  const { store, recovered } = await RecordStore.open({
    repoDir: options.repoDir,
    tag,
    env,
    redact,
  });
  await using _store = store;
  if (recovered.length > 0) emit({ type: "recovered", messages: recovered });
  const header = store.log?.config;
  if (!header)
    throw new AutoexpError(`no autoexp record for tag ${tag}: start one with \`autoexp run\``);
  const isolation = await resolveIsolation(
    config,
    store.repo.dir,
    await store.repo.commonDir(),
    env,
  );
  emit({ type: "isolation", mode: isolation.mode, warnings: isolation.warnings });
  // Verify measures what the tag decided on: the same eval, metric, goal and harness.
  const probe = new Slot({
    id: 1,
    root: join(store.stateDir, "slots", "verify"),
    git: store.repo,
    isolation,
    logs: join(store.stateDir, "logs"),
  });
  await probe.prepare(store.head!);
  const changes = configChanges(
    header,
    decisionFacts(config, await hashFrozen(probe.dir, config.frozen)),
  );
  if (changes.length > 0)
    throw new AutoexpError(
      `tag ${tag}'s record was made with another config, so verify would measure something else:\n${changes.map((c) => `  ${c}`).join("\n")}\nRun verify with the config the tag ran under (--config). Nothing was run or written`,
    );
  return verifyRecord(store, config, {
    pairs: options.pairs,
    isolation,
    evalEnv: { ...evalEnv, AUTOEXP_TAG: tag },
    env,
    emit,
  });
}
