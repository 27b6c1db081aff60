import * as core from "@actions/core";
import type { Config } from "../config/schema.ts";
import { primaryMetric } from "../config/validate-config.ts";
import { formatEstimate } from "../engine/attribute-plan.ts";
import { attributeTag } from "../engine/attribute-tag.ts";
import type { BatchEvent } from "../engine/events.ts";
import { splitTag } from "../engine/split.ts";
import { verifyTag } from "../engine/verify-tag.ts";
import { attributionVerdict } from "../ledger/render-attribution.ts";
import { keptIds } from "../ledger/render-split.ts";
import { formatGainLine, formatVerifiedChange } from "../ledger/render-verified.ts";
import { createProgressPrinter } from "../report/progress-printer.ts";
import { writeSplitHandoff } from "./change-sets.ts";
import { writeHandoff } from "./handoff.ts";
import type { LiveStatus } from "./live-status.ts";

/** The Action's modes that re-measure a tag's code instead of running a batch. */
export type MeasureMode = "verify" | "attribute" | "split";

/**
 * `verify`, `attribute` or `split` of a tag in the experiment job, as the CLI runs them (the
 * batch's isolation, a clean eval environment): the result is a line in the tag's ledger (and for
 * split, the change-set branches), handed to the publish job in the handoff folder like a batch's
 * record. Returns the lines for the job summary.
 */
export async function measureMode(
  mode: MeasureMode,
  options: {
    repoDir: string;
    config: Config;
    tag: string;
    handoff: string;
    env: Record<string, string | undefined>;
    /** The live status autoexp/<tag>: what runs, with its cost, then how it ended. */
    live: LiveStatus | null;
    /** The remote's head of the branch, which the publish job checked: adopted if need be. */
    adopt?: string | undefined;
  },
): Promise<string[]> {
  const { live } = options;
  try {
    return await measure(mode, options);
  } catch (error) {
    await live?.say("failure", `${mode} failed: ${error instanceof Error ? error.message : error}`);
    throw error;
  }
}

async function measure(
  mode: MeasureMode,
  options: Parameters<typeof measureMode>[1],
): Promise<string[]> {
  const { repoDir, config, tag, handoff, env, live, adopt } = options;
  const metric = primaryMetric(config);
  const printer = createProgressPrinter(
    "plain",
    { line: core.info, write: core.info, columns: 120 },
    metric,
  );
  const onEvent = (event: BatchEvent) => {
    if (event.type === "isolation" && event.mode === "none")
      for (const w of event.warnings) core.warning(w, { title: `autoexp ${tag}: unsandboxed` });
    printer.event(event);
  };
  // The pairs are verify.pairs, else what suits the tag's eval (pairsOf, with its record).
  const common = { repoDir, config, tag, env, onEvent, adopt };
  const lines: string[] = [];
  if (mode === "verify") {
    await live?.say("pending", "verify: the base and the final code, in pairs, interleaved");
    const entry = await verifyTag(common);
    lines.push(
      `Verified ${entry.metric} of \`autoexp/${tag}\` over ${entry.gain.pairs} base/final pair(s): ${formatVerifiedChange(entry.gain, entry.goal, entry.confidence)}.`,
    );
  } else if (mode === "attribute") {
    // The cost first, as `autoexp attribute` without --yes shows it; the request was the yes.
    const { plan } = await attributeTag({ ...common, onEvent: () => {}, run: false });
    core.info(`attribute: will run ${formatEstimate(plan.estimate)}`);
    await live?.say("pending", `attribute: ${formatEstimate(plan.estimate)}`);
    const { entry } = await attributeTag({ ...common, run: true });
    lines.push(
      `Attributed ${entry!.changes.length} kept change(s) of \`autoexp/${tag}\`: ${entry!.runs} eval runs (estimated ${formatEstimate(plan.estimate)}).`,
      "",
      ...entry!.changes.map(
        (c) =>
          `- #${c.iteration} ${c.description}: ${c.effect ? `${formatVerifiedChange(c.effect, entry!.goal, entry!.confidence)}; ` : ""}${attributionVerdict(c)}`,
      ),
    );
  } else {
    await live?.say("pending", "split: building each change set on the base and verifying it");
    const { entry, reused } = await splitTag(common);
    lines.push(
      `${entry.groups.length} independent change set(s) of \`autoexp/${tag}\`${reused ? " (the same as last time: reused, nothing re-measured)" : ""}:`,
      "",
      ...entry.groups.map((g) => {
        return `- \`${g.branch}\` ${g.commit.slice(0, 7)}: ${keptIds(g)} (${g.files.join(", ")}): ${entry.metric} ${formatGainLine(g.gain, entry.goal, entry.confidence)}`;
      }),
    );
    core.setOutput("change_sets", entry.groups.map((g) => g.branch).join(" "));
  }
  printer.close();
  for (const l of lines) if (l) core.info(l);
  await live?.say("success", `${mode}: done; ${lines[0]!.replace(/`/g, "")}`);
  await writeHandoff(repoDir, tag, handoff, env);
  const bundled = await writeSplitHandoff(repoDir, tag, handoff, env);
  if (mode === "split") core.info(`handoff: ${bundled.join(", ")} beside the tag's record`);
  return lines;
}
