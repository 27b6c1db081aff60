import { resolve } from "node:path";
import { missingTag } from "../../engine/missing-tag.ts";
import { showLedger } from "../../engine/read-ledger.ts";
import { Git } from "../../git/git.ts";
import { parseLog } from "../../ledger/log-jsonl.ts";
import { nightFigures } from "../../ledger/night-figures.ts";
import { cacheWriteSentences } from "../../ledger/render-cache-writes.ts";
import { renderCheapEval } from "../../ledger/render-cheap-eval.ts";
import {
  evalRunsFact,
  evalTimeText,
  formatScore,
  renderCounts,
  renderHeadline,
} from "../../ledger/render-dashboard.ts";
import { formatSplitLine } from "../../ledger/render-split.ts";
import { formatVerifiedLine } from "../../ledger/render-verified.ts";
import { viewFromLog } from "../../ledger/summarize.ts";
import { defaultTag, validateTag } from "../../util/errors.ts";
import { jsonLine } from "../../util/record-field.ts";
import { inertTerminal } from "../../util/terminal-inert.ts";
import { readValidConfig, requireRepository } from "../args.ts";
import { defineCommand } from "../command.ts";

export const statusCommand = defineCommand({
  name: "status",
  summary: "baseline, best, counts and the last experiments of a tag",
  options: {
    config: {
      type: "string",
      value: "F",
      default: "autoexp.yml",
      help: "the config whose default tag to show (when --tag is not given)",
    },
    tag: { type: "string", value: "T", help: "the tag to show (default <name>-<date>)" },
    dir: {
      type: "string",
      value: "D",
      help: "the repository to read (default: the one here), e.g. the demo's ./demo-run",
    },
    json: { type: "boolean", help: "the whole summary as one JSON object (every experiment)" },
  },
  async run({ values }, io) {
    const where = resolve(io.cwd, values.dir ?? ".");
    const repo = new Git(await requireRepository(where, io.env), io.env);
    let tag = values.tag;
    if (!tag) {
      const config = await readValidConfig(resolve(where, values.config), values.config);
      tag = defaultTag(config.name);
    }
    validateTag(tag);
    const head = await repo.resolve(`refs/heads/autoexp/${tag}`);
    const text = head ? await showLedger(repo, head, tag) : null;
    if (text === null) throw await missingTag(repo, tag);
    const view = viewFromLog(parseLog(text), tag);
    if (values.json) {
      // figures: experiments, kept and the change as every surface states them (night-figures.ts)
      io.out(
        jsonLine({ tag, branch: `autoexp/${tag}`, head, ...view, figures: nightFigures(view) }),
      );
      return 0;
    }
    // Descriptions and stop reasons are the agent's words: shown, never sent to the terminal as codes.
    const say = (text: string) => io.out(inertTerminal(text));
    say(
      [
        `autoexp · ${tag}`,
        ...(view.verified ? [formatVerifiedLine(view.verified)] : []),
        ...(view.split ? [formatSplitLine(view.split)] : []),
        renderHeadline(view).replaceAll("**", ""),
        renderCounts(view),
        "",
        "recent:",
      ].join("\n"),
    );
    for (const r of view.rows.slice(-10)) {
      say(
        `  #${r.iteration} ${r.status.padEnd(14)} ${formatScore(r.score).padEnd(9)} ${r.commit || "-------"}  ${r.description.replace(/\s+/g, " ")}`,
      );
    }
    if (view.evalSeconds > 0) say(`eval time: ${evalTimeText(view)}`);
    const runs = evalRunsFact(view);
    if (runs) say(runs);
    if (view.stopReason) say(`last batch stopped: ${view.stopReason}`);
    if (view.cheapEval) say(renderCheapEval(view.cheapEval));
    if (view.cacheWrites?.length) {
      say("written into writable caches (each run into its own copy):");
      // Paths are an eval's: one line each, whatever characters they hold.
      const oneLine = (t: string) => inertTerminal(t).replace(/\s+/g, " ");
      for (const s of cacheWriteSentences(view.cacheWrites, oneLine)) say(`  ${s}`);
    }
    return 0;
  },
});
