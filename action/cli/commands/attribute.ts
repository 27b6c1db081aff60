import { formatEstimate } from "../../engine/attribute-plan.ts";
import { attributeTag } from "../../engine/attribute-tag.ts";
import { DEFAULT_PAIRS, DETERMINISTIC_PAIRS } from "../../engine/verify-tag.ts";
import { attributionVerdict } from "../../ledger/render-attribution.ts";
import { formatVerifiedChange } from "../../ledger/render-verified.ts";
import { OUTPUT_OPTIONS } from "../args.ts";
import { defineCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { measureSetup, SEED_OPTION } from "../measure-setup.ts";

export const attributeCommand = defineCommand({
  name: "attribute",
  summary: "each kept change's share: the final code measured with and without it",
  details: `For each kept change of the tag, builds the final code without that change (its diff
reverted three-way onto the final code, committed outside your checkout) and measures it against
the final code, interleaved in pairs (each pair's order drawn at random, --seed to fix it) on
fresh copies under the batch's isolation: each change's marginal effect with a paired-t interval,
as verify computes it. Changes whose interval includes zero are flagged as candidates to drop; changes that no longer revert
cleanly are named. Without --yes it prints what would run and the eval time it would cost
(pairs x changes x 2 runs x the ledger's mean eval time), and runs nothing. With --yes it runs
and records an \`attribute\` line in log.jsonl (the dashboard and the PR then show the table).`,
  options: {
    config: { type: "string", value: "F", default: "autoexp.yml", help: "the config file" },
    tag: { type: "string", value: "T", help: "the tag to attribute (default <name>-<date>)" },
    pairs: {
      type: "string",
      value: "N",
      help: `final/without pairs per change (default verify.pairs, else ${DEFAULT_PAIRS}; ${DETERMINISTIC_PAIRS} for an eval judged deterministic)`,
    },
    yes: { type: "boolean", help: "run the evals (without it: the estimate only)" },
    ...SEED_OPTION,
    ...OUTPUT_OPTIONS,
  },
  async run({ values }, io) {
    const { pairs, orderSeed, repoDir, config, tag, printer } = await measureSetup(
      values,
      io,
      "attribute",
    );
    const { plan, entry } = await attributeTag({
      repoDir,
      config,
      tag,
      ...(pairs !== undefined ? { pairs } : {}),
      orderSeed,
      env: io.env,
      run: values.yes,
      onEvent: (event) => printer.event(event),
    }).finally(() => printer.close());
    if (values.json) {
      io.out(
        JSON.stringify({
          type: "done",
          exitCode: EXIT.ok,
          estimate: plan.estimate,
          attribute: entry,
        }),
      );
      return EXIT.ok;
    }
    if (!entry) {
      io.out(
        `tag ${tag}: ${plan.changes.length} kept change(s) in the final code #${plan.finalIteration}`,
      );
      for (const c of plan.changes)
        io.out(
          `  #${c.iteration} ${c.commit.slice(0, 7)} ${c.description}: ${c.reverted.status === "reverted" ? "reverts cleanly, would be measured" : c.reverted.status === "conflict" ? `no longer reverts cleanly (${c.reverted.paths.join(", ")}): would not be measured` : "already undone by later changes"}`,
        );
      io.out(`Would run ${formatEstimate(plan.estimate)}.`);
      io.out("Nothing was run. Run again with --yes to measure.");
      return EXIT.ok;
    }
    io.out(
      `Ran ${entry.runs} eval runs (${Math.round(entry.eval_seconds)} s; estimated ${formatEstimate(plan.estimate)}).`,
    );
    for (const c of entry.changes)
      io.out(
        `  #${c.iteration} ${c.description}: ${c.effect ? `${formatVerifiedChange(c.effect, entry.goal, entry.confidence)} over ${c.effect.pairs} pairs; ` : ""}${attributionVerdict(c)}`,
      );
    return EXIT.ok;
  },
});
