import type { Config } from "../config/schema.ts";
import { createRedactor, redactDeep, splitEnv } from "../process/secrets.ts";
import type { BatchEvent } from "./events.ts";
import { RecordStore } from "./record-store.ts";

/**
 * Opens a tag's record for anything that runs evals on it (a batch, verify, attribute, split):
 * credentials split off so that they reach the agent only (the eval and the checks run code the
 * agent wrote; AUTOEXP_FAULT, autoexp's own fault injection, reaches neither), a redactor for
 * everything written or shown, the record store locked and recovered (a branch autoexp did not
 * write refused unless adopted), and the recovery told.
 * The caller disposes of the store (`await using`).
 */
export async function openTag(options: {
  repoDir: string;
  tag: string;
  config: Pick<Config, "agent" | "target" | "frozen" | "eval">;
  /**
   * Go on from a branch the journal does not vouch for, after checking its kept commits
   * (`autoexp run --adopt`); a commit: only when the branch is at that commit (the Action: the
   * remote head its publish job checked).
   */
  adopt?: true | string | undefined;
  env: Record<string, string | undefined>;
  onEvent?: ((event: BatchEvent) => void) | undefined;
}): Promise<{
  store: RecordStore;
  evalEnv: Record<string, string | undefined>;
  agentEnv: Record<string, string | undefined>;
  redact: (text: string) => string;
  emit: (event: BatchEvent) => void;
}> {
  const { AUTOEXP_FAULT: _fault, ...base } = options.env;
  const { evalEnv, agentEnv, values } = splitEnv(
    { ...base, AUTOEXP_TAG: options.tag },
    options.config.agent,
    options.config.eval.pass_env,
  );
  const redact = createRedactor(values);
  const emit = (event: BatchEvent) => options.onEvent?.(redactDeep(event, redact));
  const { store, recovered } = await RecordStore.open({
    repoDir: options.repoDir,
    tag: options.tag,
    env: options.env,
    redact,
    adopt: options.adopt
      ? {
          target: options.config.target,
          frozen: options.config.frozen,
          ...(typeof options.adopt === "string" ? { head: options.adopt } : {}),
        }
      : undefined,
  });
  if (recovered.length > 0) emit({ type: "recovered", messages: recovered });
  return { store, evalEnv, agentEnv, redact, emit };
}
