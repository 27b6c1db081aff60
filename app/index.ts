import type { Probot } from "probot";
import { onComment } from "./on-comment.ts";
import { onPush } from "./on-push.ts";
import { onStatus } from "./on-status.ts";
import { onWorkflowRun } from "./on-workflow-run.ts";
import { createDeliveryFilter, createRateLimiter, type RateLimit } from "./rate-limit.ts";

export { syncTag } from "./sync-tag.ts";

export interface AppOptions {
  /** The workflow file the commands dispatch and the PRs follow. */
  workflow?: string;
  /** Commands per user per window (run, stop, status all count). */
  rateLimit?: RateLimit;
  now?: () => number;
}

/**
 * The autoexp GitHub App: one draft PR per tag, kept in sync with the ledger on autoexp/<tag>,
 * and /autoexp commands. Only the wiring lives here: each event's handler is its own module.
 */
export function createApp(options: AppOptions = {}) {
  const workflow = options.workflow ?? "autoexp.yml";
  const now = options.now ?? Date.now;
  const limiter = createRateLimiter(options.rateLimit ?? { max: 5, windowMs: 10 * 60_000 }, now);
  const deliveries = createDeliveryFilter();
  return (app: Probot) => {
    app.on("push", (context) => onPush(context));
    app.on("workflow_run.completed", (context) => onWorkflowRun(context, workflow));
    app.on("status", (context) => onStatus(context, workflow));
    app.on("issue_comment.created", (context) =>
      onComment(context, { workflow, limiter, deliveries, now }),
    );
  };
}

/** The default export Probot loads (`probot run`). */
export default createApp();
