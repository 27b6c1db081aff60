import { clip } from "../util/text.ts";
/** Why an API call failed, in terms of what the user must do. */
export type CallFailure =
  /** 401/403: the key is wrong or lacks access. */
  | "auth"
  /** 404: wrong base_url or model. */
  | "not_found"
  /** Other 4xx: the request itself is wrong (often an unknown model or a too long prompt). */
  | "request"
  /** Nothing answered: connection refused, unknown host. */
  | "unreachable"
  /** 429/5xx or timeouts that outlasted the retries. */
  | "transient";

export type CallResult =
  | { ok: true; status: number; json: unknown; attempts: number }
  | { ok: false; failure: CallFailure; error: string; attempts: number };

export interface PostOptions {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  /** Waits longer than this (a Retry-After, say) are cut to it. */
  maxDelayMs?: number;
  /** Called before each retry, for progress. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

const RETRY_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504, 529]);

/**
 * POSTs JSON with a timeout per call and retries with exponential backoff on 429, 5xx, timeouts
 * and dropped connections (a Retry-After header sets the wait). Never throws: failures come back
 * classified, with the server's own message when it gave one.
 */
export async function postJson(options: PostOptions): Promise<CallResult> {
  const maxDelay = options.maxDelayMs ?? 60_000;
  let last: CallResult | null = null;
  for (let attempt = 1; attempt <= options.retries + 1; attempt++) {
    let retryAfterMs: number | null = null;
    try {
      const response = await fetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...options.headers },
        body: JSON.stringify(options.body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const text = await response.text();
      if (response.ok) {
        try {
          return { ok: true, status: response.status, json: JSON.parse(text), attempts: attempt };
        } catch {
          last = {
            ok: false,
            failure: "transient",
            error: `the server answered ${response.status} with something that is not JSON: ${clip(text)}`,
            attempts: attempt,
          };
        }
      } else {
        const message = serverMessage(text);
        const status = response.status;
        const failure: CallFailure =
          status === 401 || status === 403
            ? "auth"
            : status === 404
              ? "not_found"
              : RETRY_STATUS.has(status) || status >= 500
                ? "transient"
                : "request";
        last = {
          ok: false,
          failure,
          error: `HTTP ${status}${message ? `: ${message}` : ""}`,
          attempts: attempt,
        };
        if (failure !== "transient") return last;
        retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      }
    } catch (error) {
      const e = error as Error & { cause?: { code?: string; message?: string } };
      const timedOut = e.name === "TimeoutError" || e.name === "AbortError";
      const code = e.cause?.code ?? "";
      const unreachable = [
        "ECONNREFUSED",
        "ENOTFOUND",
        "EAI_AGAIN",
        "EHOSTUNREACH",
        "ENETUNREACH",
      ].includes(code);
      last = {
        ok: false,
        failure: unreachable ? "unreachable" : "transient",
        error: timedOut
          ? `no answer within the ${Math.round(options.timeoutMs / 1000)}s timeout`
          : `${code || e.cause?.message || e.message}`,
        attempts: attempt,
      };
    }
    if (attempt > options.retries) break;
    const backoff = options.retryDelayMs * 2 ** (attempt - 1) * (0.8 + 0.4 * Math.random());
    const delayMs = Math.min(maxDelay, retryAfterMs ?? backoff);
    options.onRetry?.({ attempt, delayMs, reason: last.ok ? "" : last.error });
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  return last!;
}

/** Retry-After in seconds or as an HTTP date. */
function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : null;
}

/** The message in OpenAI's and Anthropic's error bodies ({ error: { message } }), else the text. */
function serverMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const m =
      typeof body.error === "string" ? body.error : (body.error?.message ?? body.message ?? "");
    if (m) return clip(m);
  } catch {
    // not JSON
  }
  return clip(text.trim());
}
