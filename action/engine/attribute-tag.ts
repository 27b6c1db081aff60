import type { AttributeEntry } from "../ledger/types.ts";
import { type AttributePlan, attributeRecord, planAttribution } from "./attribute.ts";
import { measureTag, type VerifyOptions } from "./verify-tag.ts";

export interface AttributeOptions extends VerifyOptions {
  /** false: plan and estimate only, run nothing, write nothing. */
  run: boolean;
}

/**
 * `autoexp attribute`: opens the tag's record as verify does (lock held, config checked), plans
 * each kept change's revert with the cost estimate, and, when asked to, measures and records them.
 */
export function attributeTag(
  options: AttributeOptions,
): Promise<{ plan: AttributePlan; entry: AttributeEntry | null }> {
  return measureTag(options, "attribute", "attribute", async (store, ctx) => {
    const plan = await planAttribution(store, ctx.pairs);
    if (!options.run) return { plan, entry: null };
    const entry = await attributeRecord(store, options.config, plan, {
      ...ctx,
      orderSeed: options.orderSeed,
    });
    return { plan, entry };
  });
}
