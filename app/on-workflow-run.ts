import type { Context } from "probot";
import { renderAttribution } from "../action/ledger/render-attribution.ts";
import type { Octokit, Repo } from "./github-types.ts";
import { listTags } from "./list-tags.ts";
import { readLedger } from "./pr-body.ts";
import { readLedgerText } from "./read-file.ts";
import { findStickyComment, updateSticky } from "./sticky-comment.ts";
import { syncTag } from "./sync-tag.ts";

const MAX_TAGS_PER_SYNC = 20;
/** "autoexp night (request 7:501)": the run-name autoexp init's workflow gives dispatched runs. */
const REQUEST = /\(request (\d+):(\d+)\)/;
/** "autoexp attribute night ...": a run that re-measures names its command before the tag. */
const COMMAND = /^autoexp (?:(verify|attribute|split) )?([a-z0-9][a-z0-9._-]*)/;

/**
 * The autoexp workflow finished: every tag's PR is synced with a link to the run, and when a
 * command started the run, its answer says how the run ended (for `/autoexp attribute`, with each
 * kept change's share).
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
  if (!sticky || sticky.body.includes(line)) return;
  const command = COMMAND.exec(run.display_title ?? "");
  const shares =
    command?.[1] === "attribute" && run.conclusion === "success"
      ? await attributionOf(context.octokit, repo, command[2]!)
      : null;
  await updateSticky(
    context.octokit,
    repo,
    sticky.id,
    commentId,
    [sticky.body.split("\n").slice(1).join("\n"), line, ...(shares ? [shares] : [])].join("\n\n"),
  );
}

/** The tag's latest `autoexp attribute` as a table, or a line saying there is none. */
async function attributionOf(octokit: Octokit, repo: Repo, tag: string): Promise<string> {
  const text = await readLedgerText(octokit, repo, `autoexp/${tag}`, tag);
  const entry = text === null ? undefined : readLedger(text).log.attributes?.at(-1);
  return entry
    ? renderAttribution(entry)
    : `\`autoexp/${tag}\` holds no attribution yet: the run's log says why.`;
}
