import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One scripted response: a status, a JSON body, headers, and how long to wait before answering. */
export interface Step {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Stop listening once this answer is sent: the server is gone from then on. */
  thenClose?: boolean;
}

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface Stub {
  url: string;
  requests: Received[];
  /** autoexp's one-token test calls (max_tokens 1), answered apart from the steps. */
  pings: Received[];
  /** Steps still to play; when empty the server answers 500. */
  queue: Step[];
  /** The user message (the prompt) of request i. */
  prompt(i: number): string;
  close(): Promise<void>;
}

const open: Server[] = [];
// Cleanup after each test when run by vitest; benches import these helpers too.
if (process.env.VITEST) {
  const { afterEach } = await import("vitest");
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => new Promise((r) => s.close(() => r(null)))));
  });
}

/**
 * A real HTTP server on loopback that plays scripted answers and records what it was sent.
 * autoexp's one-token test call before the baseline is answered with `ping` (by default a
 * one-token answer in the API's shape) and recorded in `pings`, so that the steps script the
 * experiments only.
 */
export async function startStub(steps: Step[], options: { ping?: Step } = {}): Promise<Stub> {
  const requests: Received[] = [];
  const pings: Received[] = [];
  const queue = [...steps];
  const server = createServer((req, res) => {
    let data = "";
    req.on("data", (c) => {
      data += c;
    });
    req.on("end", () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(data);
      } catch {
        // recorded as {}
      }
      const received = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      const ping = body.max_tokens === 1 || body.max_completion_tokens === 1;
      (ping ? pings : requests).push(received);
      const step = ping
        ? (options.ping ?? oneToken(req.url ?? ""))
        : (queue.shift() ?? { status: 500, body: { error: { message: "no more steps" } } });
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(step.status ?? 200, { "content-type": "application/json", ...step.headers });
        res.end(typeof step.body === "string" ? step.body : JSON.stringify(step.body ?? {}));
        if (step.thenClose) {
          server.close();
          server.closeAllConnections();
        }
      }, step.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  open.push(server);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    pings,
    queue,
    prompt: (i) => {
      const messages = (requests[i]?.body.messages ?? []) as { role: string; content: string }[];
      return messages.find((m) => m.role === "user")?.content ?? "";
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A one-token answer, in the shape of the API the path names. */
function oneToken(url: string): Step {
  return url.endsWith("/messages")
    ? anthropicAnswer("Yes", { input_tokens: 12, output_tokens: 1 }, "max_tokens")
    : openaiAnswer("Yes", { prompt_tokens: 12, completion_tokens: 1 }, "length");
}

/** A chat completion as OpenAI (and vLLM, Ollama, llama.cpp) return it. */
export function openaiAnswer(
  text: string | null,
  usage = { prompt_tokens: 1000, completion_tokens: 200 },
  finish = "stop",
): Step {
  return {
    body: {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1,
      model: "stub",
      choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: finish }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  };
}

/** A message as Anthropic's Messages API returns it. */
export function anthropicAnswer(
  text: string,
  usage = { input_tokens: 1500, output_tokens: 300 },
  stop = "end_turn",
): Step {
  return {
    body: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "stub",
      content: text ? [{ type: "text", text }] : [],
      stop_reason: stop,
      usage,
    },
  };
}

/** A SEARCH/REPLACE answer for one file. */
export function edit(
  path: string,
  search: string,
  replace: string,
  description: string,
  note?: string,
): string {
  return [
    `DESCRIPTION: ${description}`,
    ...(note ? [`NOTE: ${note}`] : []),
    "",
    path,
    "```",
    "<<<<<<< SEARCH",
    search,
    "=======",
    replace,
    ">>>>>>> REPLACE",
    "```",
    "",
  ].join("\n");
}
