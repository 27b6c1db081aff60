import type { Context, Probot } from "probot";
import { parse as parseYaml } from "yaml";
import { validateConfig } from "../action/config/validate-config.ts";
import { defaultTag } from "../action/util/errors.ts";
import { type Command, parseCommand, USAGE } from "./commands.ts";
import { marker, renderPr } from "./pr-body.ts";

export interface AppOptions {
  /** The workflow file the commands dispatch and the PRs follow. */
  workflow?: string;
  /** Commands per user per window (run, stop, status all count). */
  rateLimit?: { max: number; windowMs: number };
  now?: () => number;
}

type Octokit = Context["octokit"];
interface Repo {
  owner: string;
  repo: string;
}

const ALLOWED_ROLES = new Set(["admin", "maintain", "write"]);
const CONFIG_PATHS = ["autoexp.yml", ".github/autoexp.yml"];
const MAX_TAGS_PER_SYNC = 20;

/**
 * The autoexp GitHub App (Probot's default-export convention, so `probot run` loads it):
 * one draft PR per tag, kept in sync with the ledger on autoexp/<tag>, and /autoexp commands.
 */
export function createApp(options: AppOptions = {}) {
  const workflow = options.workflow ?? "autoexp.yml";
  const limit = options.rateLimit ?? { max: 5, windowMs: 10 * 60_000 };
  const now = options.now ?? Date.now;
  const recent = new Map<string, number[]>();
  const seenDeliveries = new Set<string>();

  return (app: Probot) => {
    app.on("push", async (context) => {
      const ref = context.payload.ref;
      if (!ref.startsWith("refs/heads/autoexp/")) return;
      const tag = ref.slice("refs/heads/autoexp/".length);
      await syncTag(
        context.octokit,
        context.repo(),
        defaultBranchOf(context),
        tag,
        context.payload.deleted,
      );
    });

    app.on("workflow_run.completed", async (context) => {
      const run = context.payload.workflow_run;
      if (!run.path?.endsWith(`/${workflow}`) && run.path !== workflow) return;
      const repo = context.repo();
      const base = context.payload.repository.default_branch;
      const { data: refs } = await context.octokit.request(
        "GET /repos/{owner}/{repo}/git/matching-refs/{ref}",
        {
          ...repo,
          ref: "heads/autoexp/",
        },
      );
      const tags = refs
        .map((r) => r.ref.slice("refs/heads/autoexp/".length))
        .slice(0, MAX_TAGS_PER_SYNC);
      for (const tag of tags)
        await syncTag(context.octokit, repo, base, tag, false, [
          { url: run.html_url, title: `${run.display_title} (${run.conclusion ?? run.status})` },
        ]);
      // A run started by a command: its answer says how the run ended.
      const request = REQUEST.exec(run.display_title ?? "");
      if (request) {
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
    });

    app.on("issue_comment.created", async (context) => {
      const { comment, issue, sender } = context.payload;
      const command = parseCommand(comment.body ?? "");
      if (!command) return;
      if (seenDeliveries.has(context.id)) return;
      seenDeliveries.add(context.id);
      if (seenDeliveries.size > 10_000) seenDeliveries.clear();
      const repo = context.repo();
      const sticky = await findStickyComment(context.octokit, repo, issue.number, comment.id);
      if (sticky) return; // a redelivery of a command already answered
      const say = (text: string) =>
        createSticky(context.octokit, repo, issue.number, comment.id, text);
      const react = (content: "eyes" | "+1" | "-1" | "confused") =>
        context.octokit.request(
          "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
          {
            ...repo,
            comment_id: comment.id,
            content,
          },
        );

      const who = `@${sender.login}`;
      if (sender.type === "Bot") {
        await react("-1");
        await say(
          `Sorry ${who}: autoexp takes commands from people only, not from bots. Nothing was started.`,
        );
        return;
      }
      const role = await roleOf(context.octokit, repo, sender.login);
      if (!ALLOWED_ROLES.has(role)) {
        await react("-1");
        await say(
          `Sorry ${who}: autoexp commands need write access to this repository (yours: ${role}). Nothing was started.`,
        );
        return;
      }
      const times = (recent.get(sender.login) ?? []).filter((t) => now() - t < limit.windowMs);
      if (times.length >= limit.max) {
        await react("confused");
        await say(
          `Sorry ${who}: that is more than ${limit.max} autoexp commands in ${Math.round(limit.windowMs / 60_000)} minutes. Nothing was started; try again later.`,
        );
        return;
      }
      recent.set(sender.login, [...times, now()]);
      await react("eyes");
      await execute(
        context.octokit,
        repo,
        context.payload.repository.default_branch,
        command,
        who,
        say,
        comment.id,
        issue.number,
      );
    });
  };

  async function execute(
    octokit: Octokit,
    repo: Repo,
    base: string,
    command: Command,
    who: string,
    say: (text: string) => Promise<number>,
    commentId: number,
    issue: number,
  ): Promise<void> {
    switch (command.kind) {
      case "help":
        await say(USAGE);
        return;
      case "invalid":
        await say(`${who}: ${command.reason}. Nothing was started.\n\n${USAGE}`);
        return;
      case "run": {
        const config = await readConfig(octokit, repo, base, command.config);
        if (!config.ok) {
          await say(`${who}: ${config.reason}. Nothing was started.`);
          return;
        }
        const tag = command.tag ?? defaultTag(config.name, new Date(now()));
        // `request` names this comment in the run's title, so its end can be reported here.
        const inputs: Record<string, string> = {
          tag,
          config: config.path,
          request: `${issue}:${commentId}`,
        };
        if (command.experiments !== undefined) inputs.experiments = String(command.experiments);
        const id = await say(
          `${who}: starting a batch of \`${config.path}\` on \`autoexp/${tag}\`...`,
        );
        const { data } = await octokit.request(
          "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
          {
            ...repo,
            workflow_id: workflow,
            ref: base,
            inputs,
            return_run_details: true,
          },
        );
        const link = (data as { html_url?: string } | undefined)?.html_url;
        await updateSticky(
          octokit,
          repo,
          id,
          commentId,
          `${who}: started a batch of \`${config.path}\` on \`autoexp/${tag}\`${command.experiments ? ` (${command.experiments} experiments)` : ""}${link ? `: [the run](${link})` : ""}. The PR for this tag updates when it publishes.`,
        );
        return;
      }
      case "status": {
        const tag = command.tag ?? (await latestTag(octokit, repo));
        if (!tag) {
          await say(`${who}: no \`autoexp/*\` branch yet.`);
          return;
        }
        const ledger = await readFile(octokit, repo, `autoexp/${tag}`, `.autoexp/${tag}/log.jsonl`);
        const pr = renderPr(ledger, {
          tag,
          repoUrl: `https://github.com/${repo.owner}/${repo.repo}`,
        });
        const summary = pr.body
          .split("\n")
          .filter((l) => !l.startsWith("<!--"))
          .slice(0, 12)
          .join("\n");
        await say(`${who}: ${pr.title}\n\n${summary}`);
        return;
      }
      case "stop": {
        const { data } = await octokit.request(
          "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
          {
            ...repo,
            workflow_id: workflow,
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
        await say(
          runs.length > 0
            ? `${who}: cancelled ${runs.map((r) => `[${r.display_title}](${r.html_url})`).join(", ")}. The experiments recorded so far are kept and published.`
            : `${who}: no running autoexp batch${command.tag ? ` for \`${command.tag}\`` : ""}.`,
        );
        return;
      }
    }
  }
}

/** The default export Probot loads. */
export default createApp();

function defaultBranchOf(context: Context<"push">): string {
  return (
    (context.payload.repository as { default_branch?: string; master_branch?: string })
      .default_branch ?? "main"
  );
}

async function roleOf(octokit: Octokit, repo: Repo, username: string): Promise<string> {
  try {
    const { data } = await octokit.request(
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
      { ...repo, username },
    );
    return (data as { role_name?: string }).role_name ?? data.permission ?? "none";
  } catch (error) {
    if ((error as { status?: number }).status === 404) return "none";
    throw error;
  }
}

/** A file's text on a branch, or null when it (or the branch) does not exist. */
async function readFile(
  octokit: Octokit,
  repo: Repo,
  ref: string,
  path: string,
): Promise<string | null> {
  try {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...repo,
      path,
      ref,
      headers: { accept: "application/vnd.github.raw" },
    });
    return typeof data === "string"
      ? data
      : Buffer.from(data as unknown as ArrayBuffer).toString("utf8");
  } catch (error) {
    if ((error as { status?: number }).status === 404) return null;
    throw error;
  }
}

/** autoexp.yml (or .github/autoexp.yml, or the path given) from the default branch only. */
async function readConfig(
  octokit: Octokit,
  repo: Repo,
  base: string,
  path?: string,
): Promise<{ ok: true; name: string; path: string } | { ok: false; reason: string }> {
  for (const candidate of path ? [path] : CONFIG_PATHS) {
    const text = await readFile(octokit, repo, base, candidate);
    if (text === null) continue;
    let raw: unknown;
    try {
      raw = parseYaml(text);
    } catch {
      return { ok: false, reason: `\`${candidate}\` on \`${base}\` is not valid YAML` };
    }
    const result = validateConfig(raw);
    if (!result.ok)
      return {
        ok: false,
        reason: `\`${candidate}\` on \`${base}\` is not a valid autoexp config (${result.problems[0]?.path}: ${result.problems[0]?.message})`,
      };
    return { ok: true, name: result.config.name, path: candidate };
  }
  return {
    ok: false,
    reason: `no ${path ? `\`${path}\`` : "`autoexp.yml` or `.github/autoexp.yml`"} on \`${base}\``,
  };
}

async function latestTag(octokit: Octokit, repo: Repo): Promise<string | null> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/git/matching-refs/{ref}", {
    ...repo,
    ref: "heads/autoexp/",
  });
  const tags = data.map((r) => r.ref.slice("refs/heads/autoexp/".length)).sort();
  return tags.at(-1) ?? null;
}

function stickyMarker(commentId: number): string {
  return `<!-- autoexp:request comment=${commentId} -->`;
}

/** "autoexp night (request 7:501)": the run-name autoexp init's workflow gives dispatched runs. */
const REQUEST = /\(request (\d+):(\d+)\)/;

async function findStickyComment(
  octokit: Octokit,
  repo: Repo,
  issue: number,
  commentId: number,
): Promise<{ id: number; body: string } | null> {
  const comments = await octokit.paginate(
    "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
    {
      ...repo,
      issue_number: issue,
      per_page: 100,
    },
  );
  const found = comments.find((c) => (c.body ?? "").startsWith(stickyMarker(commentId)));
  return found ? { id: Number(found.id), body: found.body ?? "" } : null;
}

async function createSticky(
  octokit: Octokit,
  repo: Repo,
  issue: number,
  commentId: number,
  text: string,
): Promise<number> {
  const { data } = await octokit.request(
    "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
    {
      ...repo,
      issue_number: issue,
      body: `${stickyMarker(commentId)}\n${text}`,
    },
  );
  return Number(data.id);
}

async function updateSticky(
  octokit: Octokit,
  repo: Repo,
  id: number,
  commentId: number,
  text: string,
): Promise<void> {
  await octokit.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", {
    ...repo,
    comment_id: id,
    body: `${stickyMarker(commentId)}\n${text}`,
  });
}

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
  const ledger = deleted ? null : await readFile(octokit, repo, head, `.autoexp/${tag}/log.jsonl`);
  const rendered = renderPr(ledger, {
    tag,
    repoUrl: `https://github.com/${repo.owner}/${repo.repo}`,
    runs,
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
