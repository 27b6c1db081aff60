import type { Octokit, Repo } from "./github-types.ts";
import { marker, readLedger, renderPr } from "./pr-body.ts";
import { readFile, readLedgerText } from "./read-file.ts";
import { renderSplitLinks, syncSplit } from "./split-prs.ts";

/**
 * Creates or updates the one draft PR of a tag from its ledger; closes it, with a comment, when
 * the branch no longer has a kept commit. Idempotent: a redelivery finds the PR by its marker and
 * changes nothing when nothing changed.
 */
export async function syncTag(
  octokit: Octokit,
  repo: Repo,
  base: string,
  tag: string,
  deleted: boolean,
  runs: { url: string; title: string }[] = [],
): Promise<void> {
  const head = `autoexp/${tag}`;
  const ledger = deleted ? null : await readLedgerText(octokit, repo, head, tag);
  // Records written before progress.svg existed have none: the body links it only when it is there.
  const progressSvg =
    ledger !== null &&
    (await readFile(octokit, repo, head, `.autoexp/${tag}/progress.svg`)) !== null;
  // `autoexp split` recorded change sets: their draft PRs first, so this PR can link them.
  const split =
    ledger === null ? null : await syncSplit(octokit, repo, base, tag, readLedger(ledger).log);
  const rendered = renderPr(ledger, {
    tag,
    repoUrl: `https://github.com/${repo.owner}/${repo.repo}`,
    runs,
    progressSvg,
    ...(split ? { split: renderSplitLinks(split.entry, split.prs) } : {}),
  });
  const { data: pulls } = await octokit.request("GET /repos/{owner}/{repo}/pulls", {
    ...repo,
    head: `${repo.owner}:${head}`,
    state: "all",
    per_page: 100,
  });
  const mine = pulls.filter((p) => (p.body ?? "").includes(marker(tag)));
  const open = mine.find((p) => p.state === "open");
  if (rendered.kept === 0 || deleted) {
    if (!open) return;
    await octokit.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
      ...repo,
      pull_number: open.number,
      body: rendered.body,
      state: "closed",
    });
    await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      ...repo,
      issue_number: open.number,
      body: deleted
        ? `Closing: \`${head}\` was deleted.`
        : `Closing: \`${head}\` no longer has a kept commit, so there is nothing to review. A later kept experiment reopens the summary.`,
    });
    return;
  }
  const target = open ?? mine.find((p) => p.state === "closed" && !p.merged_at);
  if (target) {
    if (target.body === rendered.body && target.title === rendered.title && target.state === "open")
      return;
    await octokit.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
      ...repo,
      pull_number: target.number,
      title: rendered.title,
      body: rendered.body,
      ...(target.state === "closed" ? { state: "open" as const } : {}),
    });
    return;
  }
  if (mine.some((p) => p.merged_at)) return; // merged: the review is done
  const { data: created } = await octokit.request("POST /repos/{owner}/{repo}/pulls", {
    ...repo,
    title: rendered.title,
    head,
    base,
    body: rendered.body,
    draft: true,
  });
  await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", {
    ...repo,
    issue_number: created.number,
    labels: ["autoexp"],
  });
}
