import type { Context } from "probot";
import { listTags } from "./list-tags.ts";
import { findStickyComment, updateSticky } from "./sticky-comment.ts";
import { syncTag } from "./sync-tag.ts";

const MAX_TAGS_PER_SYNC = 20;
/** "autoexp night (request 7:501)": the run-name autoexp init's workflow gives dispatched runs. */
const REQUEST = /\(request (\d+):(\d+)\)/;

/**
 * The autoexp workflow finished: every tag's PR is synced with a link to the run, and when a
 * command started the run, its answer says how the run ended.
 */
export async function onWorkflowRun(
  context: Context<"workflow_run.completed">,
  workflow: string,
): Promise<void> {
  const run = context.payload.workflow_run;
  if (!run.path?.endsWith(`/${workflow}`) && run.path !== workflow) return;
  const repo = context.repo();
  const base = context.payload.repository.default_branch;
  const tags = (await listTags(context.octokit, repo)).slice(0, MAX_TAGS_PER_SYNC);
  for (const tag of tags)
    await syncTag(context.octokit, repo, base, tag, false, [
      { url: run.html_url, title: `${run.display_title} (${run.conclusion ?? run.status})` },
    ]);
  const request = REQUEST.exec(run.display_title ?? "");
  if (!request) return;
  const [issue, commentId] = [Number(request[1]), Number(request[2])];
  const sticky = await findStickyComment(context.octokit, repo, issue, commentId);
  const line = `Finished: **${run.conclusion ?? run.status}**, [the run](${run.html_url}). The PR of each tag is up to date.`;
  if (sticky && !sticky.body.includes(line))
    await updateSticky(
      context.octokit,
      repo,
      sticky.id,
      commentId,
      `${sticky.body.split("\n").slice(1).join("\n")}\n\n${line}`,
    );
}
