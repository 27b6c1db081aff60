import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ApiAgentConfig } from "../config/schema.ts";
import { createRedactor } from "../process/secrets.ts";
import type { Agent, Proposal, ProposeContext, Usage } from "./agent.ts";
import { applyEdits } from "./edits/apply-edits.ts";
import type { EditScope } from "./edits/edit.ts";
import { parseAnswer } from "./edits/parse-answer.ts";
import { type CallResult, postJson } from "./http.ts";
import { priceOf, promptFor, pruneScratch, readTargets } from "./prompt.ts";

const SYSTEM =
  "You are a careful research engineer working alone inside an automated experiment loop. Each reply proposes exactly one experiment as edits to the listed files, in the exact format asked for. Nobody will answer questions; never ask any.";

/** The model's reply, whatever the API. */
interface Reply {
  text: string;
  truncated: boolean;
  usage?: Usage;
}

interface Api {
  url: string;
  headers: (key: string | undefined) => Record<string, string>;
  body: (config: ApiAgentConfig, prompt: string) => unknown;
  read: (json: unknown) => Reply;
}

/** OpenAI's chat completions, as OpenAI, vLLM, Ollama and llama.cpp's server all speak it. */
function openai(config: ApiAgentConfig): Api {
  const official = new URL(config.base_url).hostname === "api.openai.com";
  return {
    url: `${config.base_url.replace(/\/+$/, "")}/chat/completions`,
    headers: (key) => (key ? { authorization: `Bearer ${key}` } : {}),
    body: (c, prompt) => ({
      model: c.model,
      messages: [
        { role: "system", content: SYSTEM },
        { role: "user", content: prompt },
      ],
      // OpenAI's own API has renamed the limit; local servers know the old name.
      ...(official ? { max_completion_tokens: c.max_tokens } : { max_tokens: c.max_tokens }),
      ...(c.temperature !== undefined ? { temperature: c.temperature } : {}),
    }),
    read: (json) => {
      const j = json as {
        choices?: { message?: { content?: string | null }; finish_reason?: string }[];
        usage?: { prompt_tokens?: number; completion_tokens?: number };
      };
      const choice = j.choices?.[0];
      return {
        text: choice?.message?.content ?? "",
        truncated: choice?.finish_reason === "length",
        ...(j.usage
          ? { usage: { input: j.usage.prompt_tokens ?? 0, output: j.usage.completion_tokens ?? 0 } }
          : {}),
      };
    },
  };
}

/** Anthropic's Messages API. */
function anthropic(config: ApiAgentConfig): Api {
  const base = config.base_url.replace(/\/+$/, "");
  return {
    url: base.endsWith("/v1") ? `${base}/messages` : `${base}/v1/messages`,
    headers: (key) => ({
      "anthropic-version": "2023-06-01",
      ...(key ? { "x-api-key": key } : {}),
    }),
    body: (c, prompt) => ({
      model: c.model,
      max_tokens: c.max_tokens,
      system: SYSTEM,
      messages: [{ role: "user", content: prompt }],
      ...(c.temperature !== undefined ? { temperature: c.temperature } : {}),
    }),
    read: (json) => {
      const j = json as {
        content?: { type?: string; text?: string }[];
        stop_reason?: string;
        usage?: { input_tokens?: number; output_tokens?: number };
      };
      return {
        text: (j.content ?? [])
          .filter((b) => b.type === "text")
          .map((b) => b.text ?? "")
          .join(""),
        truncated: j.stop_reason === "max_tokens",
        ...(j.usage
          ? { usage: { input: j.usage.input_tokens ?? 0, output: j.usage.output_tokens ?? 0 } }
          : {}),
      };
    },
  };
}

/**
 * An agent that calls a model's API with the shared context and applies the SEARCH/REPLACE edits
 * it answers with, strictly (see edits/). Until one call has worked in this batch, errors that
 * mean "this cannot work" (no key, nothing listening, 401/404, an empty answer, a server error
 * on every retry) are fatal, so a misconfigured agent stops the batch at its first experiment
 * instead of failing every one.
 */
export function createApiAgent(config: ApiAgentConfig): Agent {
  const api = config.use === "openai" ? openai(config) : anthropic(config);
  let worked = false;
  return {
    name: config.use,
    async propose(context: ProposeContext): Promise<Proposal> {
      const key = config.api_key_env ? context.env[config.api_key_env] : undefined;
      if (config.api_key_env && !key) {
        return {
          ok: false,
          fatal: true,
          error: `agent.api_key_env names ${config.api_key_env}, which is not set`,
        };
      }
      const files = await readTargets(context);
      const prompt = await promptFor(
        context,
        { kind: "edits", wholeFileMax: config.whole_file_max },
        config.context_chars,
        files,
      );
      await writeFile(join(context.scratchDir, `prompt-${context.iteration}.md`), prompt);
      await pruneScratch(context.scratchDir, context.iteration);
      const result = await postJson({
        url: api.url,
        headers: api.headers(key),
        body: api.body(config, prompt),
        timeoutMs: config.timeout,
        retries: config.retries,
        retryDelayMs: config.retry_delay,
      });
      if (!result.ok) return failed(result, config, worked);
      const reply = api.read(result.json);
      const spent = {
        costUsd: priceOf(reply.usage, config.price),
        ...(reply.usage ? { usage: reply.usage } : {}),
      };
      await writeFile(
        join(context.scratchDir, `answer-${context.iteration}.md`),
        context.redact(reply.text),
      );
      if (!reply.text.trim()) {
        return {
          ok: false,
          fatal: !worked,
          error: `the model (${config.model}) answered with nothing${reply.truncated ? " (cut at max_tokens before any text)" : ""}`,
          ...spent,
        };
      }
      worked = true;
      if (reply.truncated) {
        return {
          ok: false,
          error: `edit rejected: the answer was cut off at max_tokens (${config.max_tokens}), so none of it was applied; answer more briefly`,
          ...spent,
        };
      }
      const scope: EditScope = {
        files: files.map((f) => f.path),
        mayCreate: context.mayCreate,
        wholeFileMax: config.whole_file_max,
      };
      const parsed = parseAnswer(reply.text, scope);
      const notes =
        parsed.notes.length > 0
          ? { notes: appendNotes(context.notes, context.iteration, parsed.notes) }
          : {};
      if (!parsed.ok)
        return { ok: false, error: `edit rejected: ${parsed.reason}`, ...spent, ...notes };
      const texts = new Map(files.map((f) => [f.path, f.text]));
      const applied = applyEdits(parsed.edits, (p) => texts.get(p) ?? null, scope);
      if (!applied.ok)
        return { ok: false, error: `edit rejected: ${applied.reason}`, ...spent, ...notes };
      for (const [path, text] of applied.files) {
        const full = join(context.worktree, path);
        await mkdir(dirname(full), { recursive: true });
        await writeFile(full, text);
      }
      return {
        ok: true,
        description: parsed.description ?? `${parsed.edits.length} edit(s) by ${config.model}`,
        meta: { model: config.model, edits: parsed.edits.length, attempts: result.attempts },
        ...spent,
        ...notes,
      };
    },
  };
}

function failed(
  result: Extract<CallResult, { ok: false }>,
  config: ApiAgentConfig,
  worked: boolean,
): Proposal {
  const where = `${config.use} at ${config.base_url}`;
  const tries = result.attempts > 1 ? ` after ${result.attempts} attempts` : "";
  switch (result.failure) {
    case "auth":
      return {
        ok: false,
        fatal: true,
        error: `${where} refused the key${config.api_key_env ? ` in ${config.api_key_env}` : ""} (${result.error}): check the key and its access to ${config.model}`,
      };
    case "not_found":
      return {
        ok: false,
        fatal: !worked,
        error: `${where} has no such endpoint or model (${result.error}): check base_url and model (${config.model})`,
      };
    case "unreachable":
      return {
        ok: false,
        fatal: !worked,
        error: `cannot reach ${where}${tries} (${result.error}): is the server running and base_url right?`,
      };
    case "request":
      return {
        ok: false,
        fatal: !worked,
        error: `${where} rejected the request (${result.error})`,
      };
    case "transient":
      // Retried already; before any call of this batch has worked, a server that fails every
      // time (HTTP 500 on each call, say) would fail every experiment: stopped, as the others.
      return worked
        ? { ok: false, error: `${where} failed${tries} (${result.error})` }
        : {
            ok: false,
            fatal: true,
            error: `${where} failed${tries} (${result.error}), and no call has worked in this batch: run the tag again once the server answers`,
          };
  }
}

/**
 * What a one-token test call found. `fatal`: a setting that cannot work (no server at base_url,
 * no such endpoint or model, a key refused), with the setting and its fix named; otherwise a
 * passing trouble (429, 5xx, a timeout, a 400 the real request may not meet) that the first
 * experiment will tell about.
 */
export type PingResult =
  | { ok: true; attempts: number }
  | { ok: false; fatal: boolean; error: string };

/**
 * Calls the API once with a one-token answer, the cheapest request that proves the server, the
 * key and the model: run before the baseline, so that a wrong base_url or key stops the batch
 * before hours of baseline runs. The key is redacted from what the server said.
 */
export async function pingApi(
  config: ApiAgentConfig,
  env: Record<string, string | undefined>,
): Promise<PingResult> {
  const api = config.use === "openai" ? openai(config) : anthropic(config);
  const key = config.api_key_env ? env[config.api_key_env] : undefined;
  if (config.api_key_env && !key)
    return {
      ok: false,
      fatal: true,
      error: `agent.api_key_env: ${config.use} reads its key from ${config.api_key_env}, which is not set. Export it, or set api_key_env: null for a local server that needs no key`,
    };
  const result = await postJson({
    url: api.url,
    headers: api.headers(key),
    body: api.body({ ...config, max_tokens: 1 }, "Answer with one word: ready?"),
    timeoutMs: config.timeout,
    // One retry: a server still starting gets a moment; a wrong URL is not waited on for long.
    retries: Math.min(config.retries, 1),
    retryDelayMs: config.retry_delay,
  });
  if (result.ok) return { ok: true, attempts: result.attempts };
  const redact = createRedactor(key ? [key] : []);
  const where = `${config.use} at ${config.base_url}`;
  const said = redact(result.error);
  switch (result.failure) {
    case "unreachable":
      return {
        ok: false,
        fatal: true,
        error: `agent.base_url: cannot reach ${where} (${said}). Start the server, or fix agent.base_url in autoexp.yml`,
      };
    case "auth":
      return {
        ok: false,
        fatal: true,
        error: config.api_key_env
          ? `agent.api_key_env: ${where} refused the key in ${config.api_key_env} (${said}). Check the key and its access to ${config.model}`
          : `agent.api_key_env: ${where} wants a key (${said}) and api_key_env is null. Set api_key_env to the variable that holds the key`,
      };
    case "not_found":
      return {
        ok: false,
        fatal: true,
        error: `agent.base_url or agent.model: ${where} has no such endpoint or model (${said}). Check base_url (an OpenAI-compatible server's usually ends in /v1) and model (${config.model})`,
      };
    case "request":
      return {
        ok: false,
        fatal: false,
        error: `${where} rejected a one-token test request (${said}); the first experiment's request will tell whether the real one passes`,
      };
    case "transient":
      return {
        ok: false,
        fatal: false,
        error: `${where} did not answer a one-token test request (${said}); autoexp retries during the batch`,
      };
  }
}

/** notes.md with the model's NOTE lines appended under the experiment's number. */
export function appendNotes(notes: string, iteration: number, lines: readonly string[]): string {
  const base = notes.trimEnd();
  const added = lines.map((l) => `- #${iteration}: ${l}`).join("\n");
  return `${base ? `${base}\n` : ""}${added}\n`;
}
