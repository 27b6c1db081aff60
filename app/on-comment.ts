import type { Context } from "probot";
import { parseCommand } from "./commands.ts";
import type { DeliveryFilter, RateLimiter } from "./rate-limit.ts";
import { ALLOWED_ROLES, roleOf } from "./role-of.ts";
import { runCommand } from "./run-command.ts";
import { createSticky, findStickyComment } from "./sticky-comment.ts";

export interface CommentDeps {
  /** The workflow file the commands dispatch. */
  workflow: string;
  limiter: RateLimiter;
  deliveries: DeliveryFilter;
  now: () => number;
}

type Reaction = "eyes" | "+1" | "-1" | "confused";

/**
 * A comment whose first line is an /autoexp command: answered once (a redelivery finds the
 * answer), and run only for a person with write access within the rate limit.
 */
export async function onComment(
  context: Context<"issue_comment.created">,
  deps: CommentDeps,
): Promise<void> {
  const { comment, issue, sender } = context.payload;
  const command = parseCommand(comment.body ?? "");
  if (!command) return;
  if (!deps.deliveries.first(context.id)) return;
  const { octokit } = context;
  const repo = context.repo();
  const sticky = await findStickyComment(octokit, repo, issue.number, comment.id);
  if (sticky) return; // a redelivery of a command already answered
  const say = (text: string) => createSticky(octokit, repo, issue.number, comment.id, text);
  const react = (content: Reaction) =>
    octokit.request("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", {
      ...repo,
      comment_id: comment.id,
      content,
    });

  const who = `@${sender.login}`;
  if (sender.type === "Bot") {
    await react("-1");
    await say(
      `Sorry ${who}: autoexp takes commands from people only, not from bots. Nothing was started.`,
    );
    return;
  }
  const role = await roleOf(octokit, repo, sender.login);
  if (!ALLOWED_ROLES.has(role)) {
    await react("-1");
    await say(
      `Sorry ${who}: autoexp commands need write access to this repository (yours: ${role}). Nothing was started.`,
    );
    return;
  }
  const { limit } = deps.limiter;
  if (!deps.limiter.allow(sender.login)) {
    await react("confused");
    await say(
      `Sorry ${who}: that is more than ${limit.max} autoexp commands in ${Math.round(limit.windowMs / 60_000)} minutes. Nothing was started; try again later.`,
    );
    return;
  }
  await react("eyes");
  await runCommand(command, {
    octokit,
    repo,
    base: context.payload.repository.default_branch,
    workflow: deps.workflow,
    who,
    say,
    commentId: comment.id,
    issue: issue.number,
    now: deps.now,
  });
}
