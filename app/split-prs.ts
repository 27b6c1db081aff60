import type { ParsedLog } from "../action/ledger/log-jsonl.ts";
import { keptIds, renderSplitTable } from "../action/ledger/render-split.ts";
import { formatGainLine } from "../action/ledger/render-verified.ts";
import type { SplitEntry, SplitGroup, VerifiedGain } from "../action/ledger/types.ts";
import { inertMarkdown } from "../action/util/markdown-inert.ts";
import type { Octokit, Repo } from "./github-types.ts";

/** The marker that finds a change set's PR again. */
export function splitMarker(tag: string, n: number): string {
  return `<!-- autoexp:split tag=${tag} group=${n} -->`;
}

/** A change set's PR as the tag's PR links it. */
export interface SplitPr {
  group: SplitGroup;
  number: number;
}

/** A verified gain as verify shows it: the change of the metric with its interval. */
function gainText(g: VerifiedGain, entry: Pick<SplitEntry, "goal" | "confidence">): string {
  return formatGainLine(g, entry.goal, entry.confidence);
}

/** The draft PR of one change set: its verified effect alone, its kept experiments, its files. */
export function renderSplitPr(
  tag: string,
  entry: SplitEntry,
  group: SplitGroup,
  log: ParsedLog,
  repoUrl: string,
): { title: string; body: string } {
  const rows = new Map(log.results.map((r) => [r.iteration, r]));
  const of = entry.groups.length;
  const title = `autoexp ${tag} · change set ${group.n} of ${of}: ${keptIds(group)} (${group.files.join(", ")})`;
  const body = [
    splitMarker(tag, group.n),
    `## autoexp · ${tag} · change set ${group.n} of ${of}`,
    "",
    `**Verified alone against the base: ${entry.metric} ${gainText(group.gain, entry)}** (this change set − base, ${entry.goal}; base and this change set run interleaved in fresh copies).`,
    ...(group.holdout
      ? ["", `Holdout (never seen by the agent): ${gainText(group.holdout.gain, entry)}.`]
      : []),
    "",
    `Built by \`autoexp split\` on the base [\`${entry.base_commit.slice(0, 7)}\`](${repoUrl}/commit/${entry.base_commit}): one commit per kept change below, in order. It shares no lines (nor lines within a few of them) with the other change sets of \`autoexp/${tag}\`, so each can be reviewed and merged on its own.`,
    "",
    "| # | description |",
    "|--:|---|",
    ...group.iterations.map((i) => `| ${i} | ${inertMarkdown(rows.get(i)?.description ?? "")} |`),
    "",
    `Files: ${group.files.map((f) => `\`${f}\``).join(", ")}`,
  ].join("\n");
  return { title: title.slice(0, 250), body };
}

/** The tag's PR's section linking each change set's PR. */
export function renderSplitLinks(entry: SplitEntry, prs: readonly SplitPr[]): string {
  const number = new Map(prs.map((p) => [p.group.n, p.number]));
  return [
    `### Split review (${entry.groups.length} independent change set(s))`,
    "",
    renderSplitTable(entry, {
      head: "PR",
      cell: (g) => (number.has(g.n) ? `#${number.get(g.n)}` : `\`${g.branch}\``),
    }),
  ].join("\n");
}

/**
 * One draft PR per change set of the tag's latest `split` line (autoexp/<tag>--<n> into `base`),
 * labelled autoexp. Idempotent under redelivery: each PR is found by its head branch and marker
 * first, updated only when its text changed, never opened twice; a merged one is left alone.
 */
export async function syncSplit(
  octokit: Octokit,
  repo: Repo,
  base: string,
  tag: string,
  log: ParsedLog,
): Promise<{ entry: SplitEntry; prs: SplitPr[] } | null> {
  const entry = log.splits?.at(-1);
  if (!entry) return null;
  const repoUrl = `https://github.com/${repo.owner}/${repo.repo}`;
  const prs: SplitPr[] = [];
  for (const group of entry.groups) {
    const rendered = renderSplitPr(tag, entry, group, log, repoUrl);
    const { data: pulls } = await octokit.request("GET /repos/{owner}/{repo}/pulls", {
      ...repo,
      head: `${repo.owner}:${group.branch}`,
      state: "all",
      per_page: 100,
    });
    const mine = pulls.filter((p) => (p.body ?? "").includes(splitMarker(tag, group.n)));
    const target = mine.find((p) => p.state === "open") ?? mine.find((p) => !p.merged_at);
    const merged = mine.find((p) => p.merged_at);
    if (target) {
      prs.push({ group, number: target.number });
      if (
        target.body === rendered.body &&
        target.title === rendered.title &&
        target.state === "open"
      )
        continue;
      await octokit.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
        ...repo,
        pull_number: target.number,
        title: rendered.title,
        body: rendered.body,
        ...(target.state === "closed" ? { state: "open" as const } : {}),
      });
      continue;
    }
    if (merged) {
      prs.push({ group, number: merged.number });
      continue;
    }
    const { data: created } = await octokit.request("POST /repos/{owner}/{repo}/pulls", {
      ...repo,
      title: rendered.title,
      head: group.branch,
      base,
      body: rendered.body,
      draft: true,
    });
    await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", {
      ...repo,
      issue_number: created.number,
      labels: ["autoexp"],
    });
    prs.push({ group, number: created.number });
  }
  return { entry, prs };
}
