import { readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { branchLog, git, makeRepo, tempDir } from "../helpers/repo.ts";

const BIN = join(import.meta.dirname, "..", "fixtures", "bin");
const MODEL = (x: number) => `const X = ${x};\nmodule.exports = { X };\n`;
const EVAL = `
require("node:fs").appendFileSync(process.env.EVAL_SPY, (process.env.ANTHROPIC_API_KEY ?? "absent") + "\\n");
console.log("score: " + require("./model.js").X);
`;
const KEY = "sk-ant-test-0123456789abcdef";

type Plan = Record<number, Record<string, unknown>>;

async function run(agent: string, plan: Plan, experiments: number) {
  const dir = makeRepo({ "model.js": MODEL(10), "eval.js": EVAL });
  const scratch = tempDir();
  const files = {
    plan: join(scratch, "plan.json"),
    log: join(scratch, "tool.jsonl"),
    spy: join(scratch, "eval.txt"),
  };
  writeFileSync(files.plan, JSON.stringify(plan));
  writeFileSync(files.log, "");
  const parsed = parseConfigText(`
name: cli
target: [model.js]
frozen: [eval.js]
eval: { command: node eval.js, timeout: 10s, metrics: { score: { goal: minimize } }, pass_env: [EVAL_SPY] }
isolation: { shared: [${JSON.stringify(scratch)}] }
decide: { min_delta: 0, baseline_runs: 1 }
# Serial: each call must see the last one's result and notes (pipelined runs see them later).
pipeline: false
# The agent runs sandboxed: the fake tool's plan and call log are declared as a user declares a
# tool's folders, and its variables as the agent's own (no other variable reaches it).
agent: ${agent.replace(/ }$/, `, secrets: [FAKE_PLAN, FAKE_LOG], writable: [${JSON.stringify(scratch)}] }`)}
budget: { experiments: ${experiments}, stop_after_failures: 50 }
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const result = await runBatch({
    repoDir: dir,
    config: parsed.config,
    tag: "t",
    env: {
      ...process.env,
      PATH: `${BIN}${delimiter}${process.env.PATH}`,
      FAKE_PLAN: files.plan,
      FAKE_LOG: files.log,
      EVAL_SPY: files.spy,
      ANTHROPIC_API_KEY: KEY,
    },
  });
  const rows = branchLog(dir, "t").filter((e) => e.type === "result") as unknown as ResultEntry[];
  const calls = readFileSync(files.log, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  return { dir, result, rows, calls, evalSaw: readFileSync(files.spy, "utf8") };
}

describe("CLI agents, run headless in the worktree (fake claude, codex, aider on PATH)", () => {
  it("claude-code: edits become experiments; exits, hangs, no change, errors and strays become statuses", async () => {
    const { dir, rows, calls, evalSaw } = await run(
      "{ use: claude-code, timeout: 3s }",
      {
        1: { write: { "model.js": MODEL(8) }, describe: "lower X to 8", note: "X=8 helped" },
        2: { write: { "model.js": MODEL(7) }, commit: true, message: "I set X to 7." },
        3: { exit: 3, stderr: "API Error: 500 Internal server error" },
        4: { hang: true },
        5: { nothing: true, message: "Nothing to improve." },
        6: { error: "Credit balance is too low" },
        7: { write: { "eval.js": 'console.log("score: 0")\n' }, describe: "edit the eval" },
      },
      7,
    );
    expect(rows.map((r) => r.status)).toEqual([
      "baseline",
      "keep",
      "keep",
      "agent_error",
      "agent_error",
      "no_change",
      "agent_error",
      "violation",
    ]);
    // The description file wins; otherwise the tool's final message.
    expect(rows[1]!.description).toBe("lower X to 8");
    expect(rows[2]!.description).toBe("I set X to 7.");
    // A tool that committed anyway: its change is judged like any other, on our commit.
    expect(git(dir, "show", "autoexp/t:model.js")).toBe(MODEL(7));
    expect(git(dir, "log", "--format=%s", "autoexp/t")).not.toContain("tool commit");
    expect(rows[3]!.reason).toBe("agent exited with code 3: API Error: 500 Internal server error");
    expect(rows[4]!.reason).toBe("agent killed after its 3s timeout");
    expect(rows[4]!.agent_seconds).toBeLessThan(8);
    expect(rows[6]!.reason).toBe("agent reported an error: Credit balance is too low");
    expect(rows[7]!.reason).toContain("changed files outside target: eval.js");
    // Cost and tokens as claude reports them (no price configured: its own total_cost_usd).
    expect(rows[1]).toMatchObject({ cost_usd: 0.0123, tokens_in: 1500, tokens_out: 80 });
    // Headless flags, the prompt on stdin, notes carried to the next experiment.
    expect(calls[0].argv).toEqual([
      "-p",
      "--output-format",
      "json",
      "--permission-mode",
      "acceptEdits",
    ]);
    expect(calls.every((c: { promptHasTask: boolean }) => c.promptHasTask)).toBe(true);
    expect(calls[0].promptMentionsNotes).toBe(true);
    expect(calls[1].notes).toBe("X=8 helped\n");
    expect(git(dir, "show", "autoexp/t:.autoexp/t/notes.md")).toBe("X=8 helped\n");
    // The key reached the tool and never the eval.
    expect(calls[0].sawKey).toBe(KEY);
    expect(evalSaw).not.toContain(KEY);
    expect(
      evalSaw
        .trim()
        .split("\n")
        .every((l) => l === "absent"),
    ).toBe(true);
  }, 30_000);

  it("codex: exec --full-auto --json, usage from turn.completed priced from config, the final message as description", async () => {
    const { rows, calls } = await run(
      "{ use: codex, model: gpt-stub, price: { input: 1.25, output: 10 } }",
      {
        1: { write: { "model.js": MODEL(6) }, message: "Lowered X to 6." },
        2: { error: "stream disconnected" },
      },
      2,
    );
    expect(rows.map((r) => r.status)).toEqual(["baseline", "keep", "agent_error"]);
    expect(rows[1]).toMatchObject({
      description: "Lowered X to 6.",
      tokens_in: 2000,
      tokens_out: 150,
      cost_usd: 0.004,
    });
    expect(rows[2]!.reason).toBe("agent reported an error: stream disconnected");
    expect(calls[0].argv).toEqual([
      "exec",
      "--full-auto",
      "--skip-git-repo-check",
      "--json",
      "--model",
      "gpt-stub",
    ]);
  });

  it("aider: message file, yes-always, no auto-commits, the target files named; tokens and cost from its report", async () => {
    const { rows, calls, dir } = await run(
      "{ use: aider, model: sonnet }",
      { 1: { write: { "model.js": MODEL(5) }, describe: "X to 5" } },
      1,
    );
    expect(rows.map((r) => r.status)).toEqual(["baseline", "keep"]);
    expect(rows[1]).toMatchObject({ tokens_in: 2100, tokens_out: 156, cost_usd: 0.0086 });
    expect(calls[0].argv).toContain("--no-auto-commits");
    expect(calls[0].argv).toContain("--yes-always");
    expect(calls[0].argv.slice(-3)).toEqual(["--model", "sonnet", "model.js"]);
    expect(git(dir, "log", "--format=%s", "autoexp/t")).not.toContain("tool commit");
  });

  it("a tool that is not installed is named before anything runs", async () => {
    const dir = makeRepo({ "model.js": MODEL(10), "eval.js": EVAL });
    const parsed = parseConfigText(`
name: cli
target: [model.js]
eval: { command: node eval.js, metrics: { score: { goal: minimize } } }
agent: { use: claude-code, command: /nonexistent/claude }
`);
    if (!parsed.ok) throw new Error("config");
    await expect(
      runBatch({ repoDir: dir, config: parsed.config, tag: "t", env: process.env }),
    ).rejects.toThrow(
      "agent claude-code runs `/nonexistent/claude`, which does not exist or is not executable (install: npm install -g @anthropic-ai/claude-code); or set agent.command to its full path. Nothing was run or written",
    );
    expect(git(dir, "branch", "--list", "autoexp/*").trim()).toBe("");
  });
});
