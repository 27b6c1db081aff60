import { primaryMetric } from "../../config/validate-config.ts";
import { DEFAULT_PAIRS, DETERMINISTIC_PAIRS, verifyTag } from "../../engine/verify-tag.ts";
import { formatEvent } from "../../report/format-event.ts";
import { OUTPUT_OPTIONS } from "../args.ts";
import { defineCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { measureSetup, SEED_OPTION } from "../measure-setup.ts";

export const verifyCommand = defineCommand({
  name: "verify",
  summary:
    "re-measure a tag's base and final code, interleaved: the verified gain with its interval",
  details: `Runs the eval on the tag's base commit and on its final code in pairs (each pair's order
drawn at random and recorded, --seed to fix it), each run on a fresh copy under the same isolation
as a batch, and records the
verified improvement with its confidence interval (a paired t-test, so slow drift of the machine
cancels) in log.jsonl, beside the sum of the kept steps' deltas. With eval.holdout set, the holdout
runs here too (and only here). The dashboard and the PR then lead with the verified figure.
Exit 0 when recorded, also when the interval includes no improvement (it says so); 1 when the
code does not run or nothing was kept.`,
  options: {
    config: { type: "string", value: "F", default: "autoexp.yml", help: "the config file" },
    tag: { type: "string", value: "T", help: "the tag to verify (default <name>-<date>)" },
    pairs: {
      type: "string",
      value: "N",
      help: `base/final pairs to run (default verify.pairs, else ${DEFAULT_PAIRS}; ${DETERMINISTIC_PAIRS} for an eval judged deterministic)`,
    },
    ...SEED_OPTION,
    ...OUTPUT_OPTIONS,
  },
  async run({ values }, io) {
    const { pairs, orderSeed, repoDir, config, tag, printer } = await measureSetup(
      values,
      io,
      "verify",
    );
    const metric = primaryMetric(config);
    const entry = await verifyTag({
      repoDir,
      config,
      tag,
      ...(pairs !== undefined ? { pairs } : {}),
      orderSeed,
      env: io.env,
      onEvent: (event) => printer.event(event),
    }).finally(() => printer.close());
    if (values.json) io.out(JSON.stringify({ type: "done", exitCode: EXIT.ok, verify: entry }));
    // The printer showed the verified line already, except when quiet.
    else if (values.quiet) io.out(formatEvent({ type: "verified", entry }, metric) ?? "");
    return EXIT.ok;
  },
});
