import { resolve } from "node:path";
import { primaryMetric } from "../../config/validate-config.ts";
import { splitTag } from "../../engine/split.ts";
import { formatScore } from "../../ledger/format-score.ts";
import { createProgressPrinter, progressMode } from "../../report/progress-printer.ts";
import { AutoexpError, defaultTag, validateTag } from "../../util/errors.ts";
import { OUTPUT_OPTIONS, positiveInt, readValidConfig, requireRepository } from "../args.ts";
import { defineCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";

/** Pairs per group when neither --pairs nor verify.pairs says. */
const DEFAULT_PAIRS = 8;

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
      help: `base/group pairs per group (default verify.pairs, else ${DEFAULT_PAIRS})`,
    },
    ...OUTPUT_OPTIONS,
  },
  async run({ values }, io) {
    const pairs = positiveInt("pairs", values.pairs);
    if (pairs === 1)
      throw new AutoexpError("--pairs must be at least 2: an interval needs two pairs");
    const repoDir = await requireRepository(io.cwd, io.env);
    const config = await readValidConfig(resolve(io.cwd, values.config), values.config);
    const tag = validateTag(values.tag ?? defaultTag(config.name));
    const metric = primaryMetric(config);
    const printer = createProgressPrinter(
      progressMode({ quiet: values.quiet, json: values.json }, io.isTTY),
      { line: io.out, write: io.write, columns: io.columns },
      metric,
    );
    const { entry, reused } = await splitTag({
      repoDir,
      config,
      tag,
      pairs: pairs ?? config.verify?.pairs ?? DEFAULT_PAIRS,
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
      const ci = g.gain.ci ? ` [${formatScore(g.gain.ci[0])}, ${formatScore(g.gain.ci[1])}]` : "";
      io.out(
        `  ${g.branch} ${g.commit.slice(0, 7)}: ${g.iterations.map((i) => `#${i}`).join(" ")} (${g.files.join(", ")}): gain ${formatScore(g.gain.gain)}${ci} over ${g.gain.pairs} pairs${g.gain.includes_no_improvement ? ", not distinguishable from no improvement" : ""}`,
      );
    }
    return EXIT.ok;
  },
});
