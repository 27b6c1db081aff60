import { defaultTag } from "../action/util/errors.ts";
import type { CommandContext } from "./command-context.ts";
import { type Command, USAGE } from "./commands.ts";
import { latestTag } from "./list-tags.ts";
import { startMeasure } from "./measure-command.ts";
import { renderPr, renderStatusAnswer } from "./pr-body.ts";
import { readConfig } from "./read-config.ts";
import { readLedgerText } from "./read-file.ts";
import { updateSticky } from "./sticky-comment.ts";

/** Carries out a command someone allowed to gave, answering in the sticky comment. */
export async function runCommand(command: Command, ctx: CommandContext): Promise<void> {
  switch (command.kind) {
    case "help":
      await ctx.say(USAGE);
      return;
    case "invalid":
      await ctx.say(`${ctx.who}: ${command.reason}. Nothing was started.\n\n${USAGE}`);
      return;
    case "run":
      return startBatch(command, ctx);
    case "status":
      return reportStatus(command, ctx);
    case "stop":
      return cancelBatches(command, ctx);
    case "split":
    case "attribute":
      return startMeasure(command, ctx);
  }
}

async function startBatch(
  command: Extract<Command, { kind: "run" }>,
  ctx: CommandContext,
): Promise<void> {
  const { octokit, repo, who } = ctx;
  const config = await readConfig(octokit, repo, ctx.base, command.config);
  if (!config.ok) {
    await ctx.say(`${who}: ${config.reason}. Nothing was started.`);
    return;
  }
  const tag = command.tag ?? defaultTag(config.name, new Date(ctx.now()));
  // `request` names this comment in the run's title, so its end can be reported here.
  const inputs: Record<string, string> = {
    tag,
    config: config.path,
    request: `${ctx.issue}:${ctx.commentId}`,
  };
  if (command.experiments !== undefined) inputs.experiments = String(command.experiments);
  const id = await ctx.say(
    `${who}: starting a batch of \`${config.path}\` on \`autoexp/${tag}\`...`,
  );
  const { data } = await octokit.request(
    "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
    {
      ...repo,
      workflow_id: ctx.workflow,
      ref: ctx.base,
      inputs,
      return_run_details: true,
    },
  );
  const link = (data as { html_url?: string } | undefined)?.html_url;
  await updateSticky(
    octokit,
    repo,
    id,
    ctx.commentId,
    `${who}: started a batch of \`${config.path}\` on \`autoexp/${tag}\`${command.experiments ? ` (${command.experiments} experiments)` : ""}${link ? `: [the run](${link})` : ""}. The PR for this tag updates when it publishes.`,
  );
}

async function reportStatus(
  command: Extract<Command, { kind: "status" }>,
  ctx: CommandContext,
): Promise<void> {
  const { octokit, repo, who } = ctx;
  const tag = command.tag ?? (await latestTag(octokit, repo));
  if (!tag) {
    await ctx.say(`${who}: no \`autoexp/*\` branch yet.`);
    return;
  }
  const ledger = await readLedgerText(octokit, repo, `autoexp/${tag}`, tag);
  const pr = renderPr(ledger, { tag, repoUrl: `https://github.com/${repo.owner}/${repo.repo}` });
  await ctx.say(`${who}: ${renderStatusAnswer(pr)}`);
}

async function cancelBatches(
  command: Extract<Command, { kind: "stop" }>,
  ctx: CommandContext,
): Promise<void> {
  const { octokit, repo, who } = ctx;
  const { data } = await octokit.request(
    "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
    {
      ...repo,
      workflow_id: ctx.workflow,
      status: "in_progress",
      per_page: 20,
    },
  );
  const runs = data.workflow_runs.filter(
    (r) => !command.tag || (r.display_title ?? "").split(/\s+/).includes(command.tag),
  );
  for (const r of runs)
    await octokit.request("POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel", {
      ...repo,
      run_id: Number(r.id),
    });
  await ctx.say(
    runs.length > 0
      ? `${who}: cancelled ${runs.map((r) => `[${r.display_title}](${r.html_url})`).join(", ")}. The experiments recorded so far are kept and published.`
      : `${who}: no running autoexp batch${command.tag ? ` for \`${command.tag}\`` : ""}.`,
  );
}
