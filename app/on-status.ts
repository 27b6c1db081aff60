import type { Context } from "probot";
import { tagProblem } from "../action/ledger/tag.ts";
import type { Octokit, Repo } from "./github-types.ts";
import { type LiveStatus, spliceLive } from "./live-line.ts";
import { marker } from "./pr-body.ts";
import { findStickyComment, updateSticky } from "./sticky-comment.ts";

/** "autoexp night (request 7:501)": the run-name autoexp init's workflow gives dispatched runs. */
const REQUEST = /\(request (\d+):(\d+)\)/;

/**
 * A running batch posted its live status `autoexp/<tag>` (see action/github/live-status.ts): the
 * tag's open PR and, when a command started the run, the request's answer get the live line.
 * Only statuses whose target is a run of the autoexp workflow in this repository count; the text
 * is shown as plain text, marked as not yet published (the run's token could write anything).
 */
export async function onStatus(context: Context<"status">, workflow: string): Promise<void> {
  const p = context.payload;
  // autoexp/<tag>, or autoexp/<tag>/line-<i> from line i of a matrix.
  const named = /^autoexp\/([^/]+)(?:\/line-(\d{1,2}))?$/.exec(p.context);
  if (!named) return;
  const tag = named[1]!;
  if (tagProblem(tag) !== null) return;
  const runUrl = p.target_url ?? "";
  const prefix = `${p.repository.html_url}/actions/runs/`;
  const runId = runUrl.startsWith(prefix) ? runUrl.slice(prefix.length) : "";
  if (!/^\d{1,20}$/.test(runId)) return;
  const { octokit } = context;
  const repo = context.repo();
  const { data: run } = await octokit.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", {
    ...repo,
    run_id: Number(runId),
  });
  if (!run.path?.endsWith(`/${workflow}`) && run.path !== workflow) return;
  const live: LiveStatus = {
    state: p.state,
    description: p.description ?? "",
    runUrl,
    at: p.updated_at || p.created_at,
    ...(named[2] ? { line: Number(named[2]) } : {}),
  };
  await updatePr(octokit, repo, tag, live);
  const request = REQUEST.exec(run.display_title ?? "");
  if (!request) return;
  const [issue, commentId] = [Number(request[1]), Number(request[2])];
  const sticky = await findStickyComment(octokit, repo, issue, commentId);
  if (!sticky) return;
  const text = spliceLive(sticky.body.split("\n").slice(1).join("\n"), live);
  if (text !== null) await updateSticky(octokit, repo, sticky.id, commentId, text);
}

/** The live line under the heading of the tag's open PR, when there is one. */
async function updatePr(octokit: Octokit, repo: Repo, tag: string, live: LiveStatus) {
  const { data: pulls } = await octokit.request("GET /repos/{owner}/{repo}/pulls", {
    ...repo,
    head: `${repo.owner}:autoexp/${tag}`,
    state: "open",
    per_page: 100,
  });
  const pr = pulls.find((x) => (x.body ?? "").includes(marker(tag)));
  if (!pr) return;
  const body = spliceLive(pr.body ?? "", live, `## autoexp · ${tag}`);
  if (body === null) return;
  await octokit.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
    ...repo,
    pull_number: pr.number,
    body,
  });
}
