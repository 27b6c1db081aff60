import { primaryMetric } from "../../config/validate-config.ts";
import { splitTag } from "../../engine/split.ts";
import { DEFAULT_PAIRS, DETERMINISTIC_PAIRS } from "../../engine/verify-tag.ts";
import { keptIds } from "../../ledger/render-split.ts";
import { formatGainLine } from "../../ledger/render-verified.ts";
import { OUTPUT_OPTIONS } from "../args.ts";
import { defineCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { measureSetup, SEED_OPTION } from "../measure-setup.ts";

export const splitCommand = defineCommand({
  name: "split",
  summary: "one branch per independent kept change set, each verified alone against the base",
  details: `Groups the tag's kept changes into independent change sets (changes that touch the same
or neighbouring lines stay together), builds each on the tag's base commit as its own branch
autoexp/<tag>--<n> (never in your checkout), and verifies each alone: the base and the group's
code run interleaved in fresh copies under the batch's isolation. The groups, branches, commits
and each group's verified effect are recorded as one split line in log.jsonl; the GitHub App
opens one draft PR per group. Running it again with the same kept changes gives the same
branches and measures nothing again.`,
  options: {
    config: { type: "string", value: "F", default: "autoexp.yml", help: "the config file" },
    tag: { type: "string", value: "T", help: "the tag to split (default <name>-<date>)" },
    pairs: {
      type: "string",
      value: "N",
      help: `base/group pairs per group (default verify.pairs, else ${DEFAULT_PAIRS}; ${DETERMINISTIC_PAIRS} for an eval judged deterministic)`,
    },
    ...SEED_OPTION,
    ...OUTPUT_OPTIONS,
  },
  async run({ values }, io) {
    const { pairs, orderSeed, repoDir, config, tag, printer } = await measureSetup(
      values,
      io,
      "split",
    );
    const _metric = primaryMetric(config);
    const { entry, reused } = await splitTag({
      repoDir,
      config,
      tag,
      ...(pairs !== undefined ? { pairs } : {}),
      orderSeed,
      env: io.env,
      onEvent: (event) => printer.event(event),
    }).finally(() => printer.close());
    if (values.json) {
      io.out(JSON.stringify({ type: "done", exitCode: EXIT.ok, split: entry, reused }));
      return EXIT.ok;
    }
    io.out(
      `${entry.groups.length} independent change set(s)${reused ? " (unchanged: reused)" : ""}:`,
    );
    for (const g of entry.groups) {
      io.out(
        `  ${g.branch} ${g.commit.slice(0, 7)}: ${keptIds(g)} (${g.files.join(", ")}): ${entry.metric} ${formatGainLine(g.gain, entry.goal, entry.confidence)}`,
      );
    }
    return EXIT.ok;
  },
});
