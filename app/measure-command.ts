import type { CommandContext } from "./command-context.ts";
import type { Command } from "./commands.ts";
import { latestTag } from "./list-tags.ts";
import { readConfig } from "./read-config.ts";
import { updateSticky } from "./sticky-comment.ts";

/** What `/autoexp split` needs of the command's context. */
export type SplitContext = Omit<CommandContext, "now">;

/**
 * `/autoexp split [tag]`: dispatches the workflow, as `/autoexp run` does, with `command: split`:
 * the Action runs `autoexp split` on the tag's record (the App never runs code), and the push of
 * its split line opens one draft PR per change set. Answered in the sticky comment.
 */
export async function startSplit(
  command: Extract<Command, { kind: "split" }>,
  ctx: SplitContext,
): Promise<void> {
  const { octokit, repo, who } = ctx;
  const tag = command.tag ?? (await latestTag(octokit, repo));
  if (!tag) {
    await ctx.say(`${who}: no \`autoexp/*\` branch yet: nothing to split.`);
    return;
  }
  const config = await readConfig(octokit, repo, ctx.base, undefined);
  if (!config.ok) {
    await ctx.say(`${who}: ${config.reason}. Nothing was started.`);
    return;
  }
  const id = await ctx.say(`${who}: splitting \`autoexp/${tag}\` into independent change sets...`);
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
        command: "split",
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
    `${who}: started \`autoexp split\` of \`autoexp/${tag}\`${link ? `: [the run](${link})` : ""}. Each independent change set is built on the base as \`autoexp/${tag}--<n>\`, verified alone, and opened as its own draft PR, linked from the tag's PR.`,
  );
}
