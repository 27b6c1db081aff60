import type { BatchEvent } from "../engine/events.ts";
import { formatPercent, formatScore } from "../ledger/format-score.ts";
import { formatVerifiedChange } from "../ledger/render-verified.ts";
import type { VerifyEntry } from "../ledger/types.ts";

/** GitHub's limit on a commit status's description. */
export const DESCRIPTION_LIMIT = 140;

/** What the live line says: progress, best so far, verified or not yet. */
export interface LiveFigures {
  metric: string;
  done: number;
  of: number | null;
  baseline: number | null;
  best: number | null;
  verified: VerifyEntry | null;
}

/** "2/3 experiments · best val_loss 0.981 (-1.20%) · not yet verified", at most 140 characters. */
export function describeLive(f: LiveFigures, prefix = ""): string {
  const parts = [
    `${f.done}${f.of !== null ? `/${f.of}` : ""} experiment${(f.of ?? f.done) === 1 ? "" : "s"}`,
  ];
  if (f.best !== null) {
    // The same percent as every other surface (a real minus sign).
    const pct =
      f.baseline !== null && f.baseline !== 0
        ? formatPercent(((f.best - f.baseline) / Math.abs(f.baseline)) * 100)
        : "";
    parts.push(`best ${f.metric} ${formatScore(f.best)}${pct}`);
  } else if (f.baseline !== null) parts.push(`baseline ${f.metric} ${formatScore(f.baseline)}`);
  parts.push(
    f.verified
      ? `verified ${formatVerifiedChange(f.verified.gain, f.verified.goal, f.verified.confidence)}`
      : "not yet verified",
  );
  const text = prefix + parts.join(" · ");
  return text.length <= DESCRIPTION_LIMIT ? text : `${text.slice(0, DESCRIPTION_LIMIT - 1)}…`;
}

export interface LiveStatusOptions {
  /** A token with `statuses: write`; it stays in this process. */
  token: string;
  /** https://api.github.com, or the GHES API (GITHUB_API_URL). */
  apiUrl: string;
  /** owner/name (GITHUB_REPOSITORY). */
  repository: string;
  /** The commit the tag's PR shows (the remote's autoexp/<tag>), else the workflow's commit. */
  sha: string;
  tag: string;
  /**
   * Line i of K (a matrix shard): its own status context `autoexp/<tag>/line-<i>`, so the lines
   * do not overwrite each other's figures; the App shows one live line per line.
   */
  line?: { index: number; of: number };
  /** The run's page: the App finds the request that started it from there. */
  targetUrl: string;
  /** At most one update per this many ms (0: after every experiment). The end always posts. */
  everyMs: number;
  metric: string;
  log: (line: string) => void;
  now?: () => number;
  /** One request's limit: a slow GitHub must not hold the batch up. */
  timeoutMs?: number;
  /** The waits before each retry of a 5xx, 429 or dropped connection (default RETRY_DELAYS_MS). */
  retryDelaysMs?: readonly number[];
  sleep?: (ms: number) => Promise<void>;
}

/** Waits before retrying a status GitHub failed to take: about 7 s in all, between experiments. */
export const RETRY_DELAYS_MS: readonly number[] = [500, 1500, 5000];

type PostOutcome = { ok: true } | { ok: false; retry: boolean; why: string; status?: number };

/**
 * The batch's live figures as a commit status `autoexp/<tag>` (pending while it runs, success or
 * failure at the end), for the App to show in the request's answer and the tag's PR. Updates are
 * taken from the batch's events and posted at checkpoints (between experiments), throttled; a
 * failure to post never stops the batch: a 5xx is retried with backoff, and only an answer that will
 * not change (no permission) ends the live status.
 */
export function createLiveStatus(options: LiveStatusOptions) {
  const now = options.now ?? Date.now;
  const figures: LiveFigures = {
    metric: options.metric,
    done: 0,
    of: null,
    baseline: null,
    best: null,
    verified: null,
  };
  let last: { at: number; text: string } | null = null;
  // Only an answer that will not change (no permission, no such commit) ends the live status; a
  // 5xx or a dropped connection is retried with backoff, then that update is skipped, said once.
  let broken = false;
  let told = false;
  const linePrefix = options.line ? `line ${options.line.index}/${options.line.of} · ` : "";
  const delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const url = `${options.apiUrl.replace(/\/$/, "")}/repos/${options.repository}/statuses/${options.sha}`;
  const body = (state: string, description: string) =>
    JSON.stringify({
      state,
      target_url: options.targetUrl,
      description,
      context: options.line
        ? `autoexp/${options.tag}/line-${options.line.index}`
        : `autoexp/${options.tag}`,
    });
  const tryOnce = async (state: string, description: string): Promise<PostOutcome> => {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          accept: "application/vnd.github+json",
          authorization: `Bearer ${options.token}`,
          "content-type": "application/json",
          "user-agent": "autoexp",
          "x-github-api-version": "2022-11-28",
        },
        body: body(state, description),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.body?.cancel();
      if (response.ok) return { ok: true };
      return {
        ok: false,
        retry: response.status >= 500 || response.status === 429,
        why: `HTTP ${response.status}`,
        status: response.status,
      };
    } catch (error) {
      return {
        ok: false,
        retry: true,
        why: error instanceof Error ? error.message : String(error),
      };
    }
  };
  const post = async (state: "pending" | "success" | "failure", description: string) => {
    if (broken) return;
    let outcome = await tryOnce(state, description);
    for (const delay of delays) {
      if (outcome.ok || !outcome.retry) break;
      await sleep(delay);
      outcome = await tryOnce(state, description);
    }
    if (outcome.ok) {
      if (told) options.log("the live status is posted again");
      told = false;
      return;
    }
    if (!outcome.retry) {
      broken = true;
      const hint =
        outcome.status === 403 || outcome.status === 404
          ? ": give the experiment job `permissions: statuses: write`"
          : "";
      options.log(
        `the live status could not be posted (${outcome.why})${hint}; the batch goes on, and the PR updates when it publishes`,
      );
      return;
    }
    if (told) return;
    told = true;
    options.log(
      `the live status could not be posted (${outcome.why}, ${delays.length + 1} tries); the batch goes on and tries again at the next update`,
    );
  };
  return {
    figures,
    /** Takes the figures from a batch event. */
    event(event: BatchEvent) {
      if (event.type === "baseline") figures.baseline = event.score;
      if (event.type === "experiment") {
        figures.done = event.index;
        figures.of = event.of;
        figures.best = event.best;
      }
      if (event.type === "verified") figures.verified = event.entry;
    },
    /** At a checkpoint: posts the figures when they changed and the interval has passed. */
    async checkpoint() {
      const text = describeLive(figures, linePrefix);
      if (last && (last.text === text || now() - last.at < options.everyMs)) return;
      last = { at: now(), text };
      await post("pending", text);
    },
    /** A status of its own (verify, attribute, split say what they run), cut to fit. */
    async say(state: "pending" | "success" | "failure", text: string) {
      await post(state, text.length <= DESCRIPTION_LIMIT ? text : `${text.slice(0, 139)}…`);
    },
    /**
     * The batch ended: its final figures, success or failure, always posted (a live status that
     * missed updates to a 5xx still posts its end). `word`: what the end is called.
     */
    async finish(ok: boolean, figuresNow?: Partial<LiveFigures>, word = ok ? "done" : "stopped") {
      Object.assign(figures, figuresNow ?? {});
      await post(ok ? "success" : "failure", describeLive(figures, `${linePrefix}${word}: `));
    },
  };
}

export type LiveStatus = ReturnType<typeof createLiveStatus>;

/**
 * The live status for a run on GitHub Actions, or null (and why, once) when there is none: turned
 * off, no token, or not on a runner (GITHUB_REPOSITORY and GITHUB_RUN_ID unset).
 */
export function liveStatusFromEnv(
  env: Record<string, string | undefined>,
  options: {
    token: string | undefined;
    everySeconds: number | null;
    tag: string;
    line?: { index: number; of: number } | undefined;
    sha: string | null;
    metric: string;
    log: (line: string) => void;
  },
): LiveStatus | null {
  if (options.everySeconds === null) return null;
  const { GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = env;
  if (!repository || !runId) return null;
  const sha = options.sha ?? env.GITHUB_SHA;
  if (!options.token || !sha) {
    options.log(
      "no live status: the token input is empty (its default is the job's token; give the job `permissions: statuses: write`)",
    );
    return null;
  }
  return createLiveStatus({
    token: options.token,
    apiUrl: env.GITHUB_API_URL || "https://api.github.com",
    repository,
    sha,
    tag: options.tag,
    ...(options.line ? { line: options.line } : {}),
    targetUrl: `${env.GITHUB_SERVER_URL || "https://github.com"}/${repository}/actions/runs/${runId}`,
    everyMs: options.everySeconds * 1000,
    metric: options.metric,
    log: options.log,
  });
}
