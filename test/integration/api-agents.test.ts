import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { AutoexpError } from "../../action/util/errors.ts";
import { anthropicAnswer, edit, openaiAnswer, type Step, startStub } from "../helpers/llm-stub.ts";
import { branchLog, git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

const MODEL = "// tune\nconst X = 10;\n// tune\nmodule.exports = { X };\n";
// The eval scores X and records, outside the repo, whether it could see any key.
const EVAL = `
const fs = require("node:fs");
const keys = ["TEST_OPENAI_KEY", "TEST_ANTHROPIC_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"];
fs.appendFileSync(process.env.EVAL_SPY, keys.map((k) => k + "=" + (process.env[k] ?? "absent")).join(" ") + "\\n");
console.log("score: " + require("./model.js").X);
`;

const KEY = "sk-test-9f8e7d6c5b4a39281706aa";

function setup(agent: string, experiments = 6) {
  const dir = makeRepo({ "model.js": MODEL, "eval.js": EVAL, "program.md": "Make X small.\n" });
  const spyDir = tempDir();
  const spy = join(spyDir, "eval-env.txt");
  // The eval reports what it saw into a file outside its slot: a declared writable place.
  const parsed = parseConfigText(`
name: api
target: [model.js]
frozen: [eval.js]
eval: { command: node eval.js, timeout: 10s, metrics: { score: { goal: minimize } }, pass_env: [EVAL_SPY] }
isolation: { shared: [${JSON.stringify(spyDir)}] }
decide: { min_delta: 0, baseline_runs: 1 }
# Serial: each prompt must show the last experiment's outcome (pipelined prompts see it later).
pipeline: false
agent: ${agent}
budget: { experiments: ${experiments}, stop_after_failures: 50 }
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return { dir, spy, config: parsed.config };
}

function results(dir: string): ResultEntry[] {
  return branchLog(dir, "t").filter((e) => e.type === "result") as unknown as ResultEntry[];
}

describe("openai agent against an OpenAI-compatible server on loopback", () => {
  it("applies edits, rejects bad ones with the reason shown next time, retries, times out, and records cost", async () => {
    const steps: Step[] = [
      {
        status: 429,
        headers: { "retry-after": "0" },
        body: { error: { message: "rate limited" } },
      },
      openaiAnswer(edit("model.js", "const X = 10;", "const X = 8;", "lower X to 8")),
      { status: 503, body: { error: { message: "overloaded" } } },
      openaiAnswer(edit("model.js", "// tune", "// tuned", "retag a comment")),
      openaiAnswer(
        edit(
          "eval.js",
          'console.log("score: " + require("./model.js").X);',
          'console.log("score: 0");',
          "cheat",
        ),
      ),
      openaiAnswer(
        edit("model.js", "const X = 8;", "const X = 12;", "try X = 12", "X above 8 untested"),
      ),
      { delayMs: 1500, ...openaiAnswer("late") },
      { delayMs: 1500, ...openaiAnswer("late") },
      openaiAnswer(
        "DESCRIPTION: big rewrite\n\nmodel.js\n<<<<<<< SEARCH\nconst X",
        undefined,
        "length",
      ),
    ];
    const stub = await startStub(steps);
    const { dir, spy, config } = setup(
      `{ use: openai, model: stub-model, base_url: "${stub.url}/v1", api_key_env: TEST_OPENAI_KEY, timeout: 1s, retries: 1, retry_delay: 10ms, price: { input: 2, output: 8 } }`,
    );
    const result = await runBatch({
      repoDir: dir,
      config,
      tag: "t",
      env: { ...process.env, TEST_OPENAI_KEY: KEY, EVAL_SPY: spy },
    });
    const rows = results(dir);
    expect(rows.map((r) => r.status)).toEqual([
      "baseline",
      "keep",
      "agent_error",
      "agent_error",
      "discard",
      "agent_error",
      "agent_error",
    ]);
    expect(result.best).toBe(8);
    expect(rows[2]!.reason).toContain(
      "edit rejected: block 1 (model.js): the SEARCH part matches 2 places (lines 1, 3)",
    );
    expect(rows[3]!.reason).toContain("it edits eval.js, which is not a file you may edit");
    expect(rows[5]!.reason).toContain("no answer within the 1s timeout");
    expect(rows[5]!.reason).toContain("after 2 attempts");
    expect(rows[6]!.reason).toContain("cut off at max_tokens (8192)");
    // Nothing outside the target was touched, and the kept code is the branch's.
    expect(git(dir, "show", "autoexp/t:eval.js")).toBe(EVAL);
    expect(git(dir, "show", "autoexp/t:model.js")).toContain("const X = 8;");

    // Cost and tokens from the usage fields, priced from the config: (1000*2 + 200*8) / 1e6.
    expect(rows[1]).toMatchObject({ tokens_in: 1000, tokens_out: 200, cost_usd: 0.0036 });
    expect(rows[5]!.cost_usd).toBe(0);
    const total = rows.reduce((s, r) => s + r.cost_usd, 0);
    expect(total).toBeCloseTo(0.0036 * 5, 9);
    expect(git(dir, "show", "autoexp/t:.autoexp/t/dashboard.md")).toContain(
      `cost: $${total.toFixed(2)}`,
    );

    // What the server saw: the endpoint, the key as a bearer token, the model and limits.
    expect(stub.requests).toHaveLength(9);
    // Before the baseline, one call for one token proved the server, the key and the model.
    expect(stub.pings).toHaveLength(1);
    expect(stub.pings[0]).toMatchObject({ method: "POST", url: "/v1/chat/completions" });
    expect(stub.pings[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(stub.pings[0]!.body).toMatchObject({ model: "stub-model", max_tokens: 1 });
    expect(stub.requests[0]).toMatchObject({ method: "POST", url: "/v1/chat/completions" });
    expect(stub.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(stub.requests[0]!.body).toMatchObject({ model: "stub-model", max_tokens: 8192 });
    // The context: program.md, the file, the goal; then the rejection and the notes, next time.
    expect(stub.prompt(0)).toContain("Make X small.");
    expect(stub.prompt(0)).toContain("const X = 10;");
    expect(stub.prompt(0)).toContain("`score` lower (goal: minimize)");
    expect(stub.prompt(4)).toContain("matches 2 places");
    expect(stub.prompt(5)).toContain("#3 agent_error");
    expect(stub.prompt(6)).toContain("X above 8 untested");
    expect(git(dir, "show", "autoexp/t:.autoexp/t/notes.md")).toContain("- #4: X above 8 untested");
    // The eval never saw the key.
    const seen = readFileSync(spy, "utf8").trim().split("\n");
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const line of seen)
      expect(line).toBe(
        "TEST_OPENAI_KEY=absent TEST_ANTHROPIC_KEY=absent OPENAI_API_KEY=absent ANTHROPIC_API_KEY=absent",
      );
  });
});

describe("anthropic agent against a Messages API server on loopback", () => {
  it("sends the key and version headers, retries 529, reads content blocks and usage", async () => {
    const stub = await startStub([
      {
        status: 529,
        body: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
      },
      anthropicAnswer(edit("model.js", "const X = 10;", "const X = 9;", "X to 9")),
      anthropicAnswer("DESCRIPTION: long\n\nmodel.js\n<<<<<<< SEARCH\n", undefined, "max_tokens"),
    ]);
    const { dir, spy, config } = setup(
      `{ use: anthropic, model: claude-stub, base_url: "${stub.url}", api_key_env: TEST_ANTHROPIC_KEY, max_tokens: 2000, retries: 2, retry_delay: 10ms, price: { input: 3, output: 15 } }`,
      2,
    );
    await runBatch({
      repoDir: dir,
      config,
      tag: "t",
      env: { ...process.env, TEST_ANTHROPIC_KEY: KEY, EVAL_SPY: spy },
    });
    const rows = results(dir);
    expect(rows.map((r) => r.status)).toEqual(["baseline", "keep", "agent_error"]);
    expect(rows[1]).toMatchObject({
      tokens_in: 1500,
      tokens_out: 300,
      cost_usd: 0.009,
      description: "X to 9",
    });
    expect(rows[2]!.reason).toContain("cut off at max_tokens (2000)");
    expect(stub.requests[0]).toMatchObject({ url: "/v1/messages" });
    expect(stub.pings).toHaveLength(1);
    expect(stub.pings[0]).toMatchObject({ url: "/v1/messages", body: { max_tokens: 1 } });
    expect(stub.pings[0]!.headers["x-api-key"]).toBe(KEY);
    expect(stub.requests[0]!.headers["x-api-key"]).toBe(KEY);
    expect(stub.requests[0]!.headers["anthropic-version"]).toBe("2023-06-01");
    expect(stub.requests[0]!.headers.authorization).toBeUndefined();
    expect(stub.requests[1]!.body).toMatchObject({ model: "claude-stub", max_tokens: 2000 });
    expect(typeof stub.requests[1]!.body.system).toBe("string");
    expect(readFileSync(spy, "utf8")).not.toContain(KEY);
  });
});

describe("a line of a matrix (line 2 of 3)", () => {
  it("tells the model agent which line it is and gives it its own section of program.md only", async () => {
    const stub = await startStub([
      openaiAnswer(edit("model.js", "const X = 10;", "const X = 7;", "X to 7")),
    ]);
    const { dir, spy, config } = setup(
      `{ use: openai, model: gpt-stub, base_url: "${stub.url}/v1", api_key_env: TEST_OPENAI_KEY }`,
      1,
    );
    writeFiles(dir, {
      "program.md":
        "Make X small.\n\n## Line 1\nTry odd values.\n\n## Line 2\nTry even values.\n\n## Line 3\nTry primes.\n\n## Rules\nKeep the comments.\n",
    });
    git(dir, "commit", "-qam", "directions per line");
    await runBatch({
      repoDir: dir,
      config,
      tag: "t",
      env: { ...process.env, TEST_OPENAI_KEY: KEY, EVAL_SPY: spy },
      line: { index: 2, of: 3 },
    });
    expect(results(dir).map((r) => r.status)).toEqual(["baseline", "keep"]);
    const prompt = stub.prompt(0);
    expect(prompt).toContain("You are line 2 of 3");
    expect(prompt).toContain("Make X small.");
    expect(prompt).toContain("Try even values.");
    expect(prompt).toContain("Keep the comments.");
    expect(prompt).not.toContain("Try odd values.");
    expect(prompt).not.toContain("Try primes.");
  });

  it("gives a command agent AUTOEXP_LINE", async () => {
    const agentDir = tempDir();
    writeFiles(agentDir, {
      "agent.js": `const fs = require("node:fs");
fs.writeFileSync("model.js", fs.readFileSync("model.js", "utf8").replace("const X = 10;", "const X = 6;"));
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "line " + process.env.AUTOEXP_LINE);`,
    });
    const { dir, spy, config } = setup(
      `{ use: command, run: [node, ${JSON.stringify(join(agentDir, "agent.js"))}] }`,
      1,
    );
    await runBatch({
      repoDir: dir,
      config,
      tag: "t",
      env: { ...process.env, EVAL_SPY: spy },
      line: { index: 3, of: 4 },
    });
    expect(results(dir)[1]).toMatchObject({ status: "keep", description: "line 3/4" });
  });
});

describe("an agent that cannot work stops the batch cleanly at once", () => {
  it("refuses to start without the key variable: nothing run, no branch", async () => {
    const { dir, spy, config } = setup(`{ use: openai, model: m, api_key_env: TEST_OPENAI_KEY }`);
    const env: Record<string, string | undefined> = { ...process.env, EVAL_SPY: spy };
    delete env.TEST_OPENAI_KEY;
    await expect(runBatch({ repoDir: dir, config, tag: "t", env })).rejects.toThrow(
      /agent openai reads its key from TEST_OPENAI_KEY \(agent\.api_key_env\), which is not set.*Nothing was run or written/,
    );
    expect(git(dir, "branch", "--list", "autoexp/*").trim()).toBe("");
  });

  it.each([
    [
      "an unreachable base_url",
      null,
      /^agent\.base_url: cannot reach openai at http:\/\/127\.0\.0\.1:\d+\/v1 \(ECONNREFUSED\)\. Start the server, or fix agent\.base_url in autoexp\.yml\. Nothing was run or written$/,
    ],
    [
      "a server that refuses the key",
      { status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}` } } },
      /^agent\.api_key_env: openai at .* refused the key in TEST_OPENAI_KEY \(HTTP 401: Incorrect API key provided: \[redacted\]\)\. Check the key and its access to m\. Nothing was run or written$/,
    ],
    [
      "an unknown model",
      { status: 404, body: { error: { message: "model 'm' not found" } } },
      /^agent\.base_url or agent\.model: openai at .* has no such endpoint or model \(HTTP 404: model 'm' not found\)\. Check base_url .* and model \(m\)/,
    ],
  ] as const)(
    "%s: found by a one-token call before the baseline; exit 2, no eval run, nothing written",
    async (_what, ping, message) => {
      const stub = ping ? await startStub([], { ping }) : null;
      const url = stub ? `${stub.url}/v1` : `http://127.0.0.1:${await freePort()}/v1`;
      const { dir, spy, config } = setup(
        `{ use: openai, model: m, base_url: "${url}", api_key_env: TEST_OPENAI_KEY, retries: 1, retry_delay: 10ms }`,
      );
      const failure = await runBatch({
        repoDir: dir,
        config,
        tag: "t",
        env: { ...process.env, TEST_OPENAI_KEY: KEY, EVAL_SPY: spy },
      }).catch((e: unknown) => e as AutoexpError);
      expect(failure).toBeInstanceOf(AutoexpError);
      expect((failure as AutoexpError).exitCode).toBe(2);
      expect((failure as AutoexpError).message).toMatch(message);
      expect((failure as AutoexpError).message).not.toContain(KEY);
      // The eval never ran, and no branch, ref or state folder was made.
      expect(existsSync(spy)).toBe(false);
      expect(git(dir, "for-each-ref", "refs/autoexp", "refs/heads/autoexp").trim()).toBe("");
      expect(existsSync(join(dir, ".git", "autoexp"))).toBe(false);
      if (stub) {
        expect(stub.pings).toHaveLength(1);
        expect(stub.pings[0]!.body).toMatchObject({ model: "m", max_tokens: 1 });
        expect(stub.pings[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
        expect(stub.requests).toHaveLength(0);
      }
    },
  );

  it.each([
    [
      "a model that answers with nothing",
      [openaiAnswer("")],
      /the agent cannot work: the model \(m\) answered with nothing/,
    ],
    [
      "a server that refuses the key later (a key revoked in the night)",
      [{ status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}` } } }],
      /the agent cannot work: openai at .* refused the key in TEST_OPENAI_KEY \(HTTP 401: Incorrect API key provided: \[redacted\]\)/,
    ],
    [
      "a model gone later",
      [{ status: 404, body: { error: { message: "model 'm' not found" } } }],
      /has no such endpoint or model \(HTTP 404: model 'm' not found\): check base_url and model/,
    ],
    [
      "a server that fails every call, each retry included, before any has worked",
      [
        { status: 500, body: { error: { message: "oops" } } },
        { status: 500, body: { error: { message: "oops" } } },
      ],
      /the agent cannot work: openai at .* failed after 2 attempts \(HTTP 500: oops\), and no call has worked in this batch: run the tag again once the server answers/,
    ],
    [
      "a server gone after the one-token call",
      "gone",
      /the agent cannot work: cannot reach openai at http:\/\/127\.0\.0\.1:\d+\/v1 after 2 attempts \(ECONNREFUSED\): is the server running/,
    ],
  ] as const)(
    "%s: one agent_error recorded after the baseline, then the batch stops with the reason",
    async (_what, steps, reason) => {
      const stub =
        steps === "gone"
          ? await startStub([], { ping: { ...openaiAnswer("Yes"), thenClose: true } })
          : await startStub([...steps]);
      const { dir, spy, config } = setup(
        `{ use: openai, model: m, base_url: "${stub.url}/v1", api_key_env: TEST_OPENAI_KEY, retries: 1, retry_delay: 10ms }`,
      );
      const result = await runBatch({
        repoDir: dir,
        config,
        tag: "t",
        env: { ...process.env, TEST_OPENAI_KEY: KEY, EVAL_SPY: spy },
      });
      expect(stub.pings).toHaveLength(1);
      expect(result.stopReason).toMatch(reason);
      const log = branchLog(dir, "t");
      expect(log.filter((e) => e.type === "result").map((e) => e.status)).toEqual([
        "baseline",
        "agent_error",
      ]);
      expect(log.at(-1)).toMatchObject({ type: "batch", event: "end" });
      expect(String(log.at(-1)!.reason)).toMatch(reason);
      expect(JSON.stringify(log)).not.toContain(KEY);
    },
  );
});

/** A loopback port nobody listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
