import type { CommandContext } from "./command-context.ts";
import type { Command } from "./commands.ts";
import { latestTag } from "./list-tags.ts";
import { readConfig } from "./read-config.ts";
import { updateSticky } from "./sticky-comment.ts";

/** The commands that re-measure a tag's code on the GPU runner: the workflow's `command`. */
export type MeasureCommand = Extract<Command, { kind: "split" | "attribute" }>;

/** What a measuring command needs of the command's context. */
export type MeasureContext = Omit<CommandContext, "now">;

const WHAT: Record<MeasureCommand["kind"], { doing: string; nothing: string; after: string }> = {
  split: {
    doing: "splitting `autoexp/{tag}` into independent change sets",
    nothing: "nothing to split",
    after:
      "Each independent change set is built on the base as `autoexp/{tag}--<n>`, verified alone, and opened as its own draft PR, linked from the tag's PR.",
  },
  attribute: {
    doing: "measuring each kept change of `autoexp/{tag}`",
    nothing: "nothing to attribute",
    after:
      "Each kept change is taken out of the final code and measured against it, interleaved in fresh copies; the GPU time it costs shows here (the live line) before anything runs. Each change's share, with the ones indistinguishable from zero flagged as candidates to drop, is posted here and in the tag's PR when it finishes.",
  },
};

/**
 * `/autoexp split [tag]` and `/autoexp attribute [tag]`: dispatches the workflow, as `/autoexp
 * run` does, with `command: split|attribute`: the Action runs `autoexp split|attribute` on the
 * tag's record in the job without a write token (the App never runs code), and the publish job
 * pushes the result; the push updates the tag's PR, the run's end this answer.
 */
export async function startMeasure(command: MeasureCommand, ctx: MeasureContext): Promise<void> {
  const { octokit, repo, who } = ctx;
  const what = WHAT[command.kind];
  const tag = command.tag ?? (await latestTag(octokit, repo));
  if (!tag) {
    await ctx.say(`${who}: no \`autoexp/*\` branch yet: ${what.nothing}.`);
    return;
  }
  if (command.tag && !(await branchExists(ctx, tag))) {
    await ctx.say(
      `${who}: there is no branch \`autoexp/${tag}\`: ${what.nothing}. Nothing was started.`,
    );
    return;
  }
  const config = await readConfig(octokit, repo, ctx.base, undefined);
  if (!config.ok) {
    await ctx.say(`${who}: ${config.reason}. Nothing was started.`);
    return;
  }
  const id = await ctx.say(`${who}: ${what.doing.replace("{tag}", tag)}...`);
  const { data } = await octokit.request(
    "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
    {
      ...repo,
      workflow_id: ctx.workflow,
      ref: ctx.base,
      inputs: {
        tag,
        config: config.path,
        request: `${ctx.issue}:${ctx.commentId}`,
        command: command.kind,
      },
      return_run_details: true,
    },
  );
  const link = (data as { html_url?: string } | undefined)?.html_url;
  await updateSticky(
    octokit,
    repo,
    id,
    ctx.commentId,
    `${who}: started \`autoexp ${command.kind}\` of \`autoexp/${tag}\`${link ? `: [the run](${link})` : ""}. ${what.after.replaceAll("{tag}", tag)}`,
  );
}

async function branchExists(ctx: MeasureContext, tag: string): Promise<boolean> {
  const { data } = await ctx.octokit.request("GET /repos/{owner}/{repo}/git/matching-refs/{ref}", {
    ...ctx.repo,
    ref: `heads/autoexp/${tag}`,
  });
  return data.some((r) => r.ref === `refs/heads/autoexp/${tag}`);
}
