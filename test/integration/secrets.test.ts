import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { edit, openaiAnswer, startStub } from "../helpers/llm-stub.ts";
import { git, makeRepo, runCliAsync } from "../helpers/repo.ts";

const KEY = "sk-proj-Zq81xQvT5mLw0aBc7Yd2Ke9";
const MODEL = "const X = 10;\nmodule.exports = { X };\n";
// The eval prints what it can see of the agent's key (it must see nothing).
const EVAL = `console.log("key seen by eval: " + (process.env.OPENAI_API_KEY ?? "none"));
console.log("score: " + require("./model.js").X);
`;

/** Every file under dir, recursively (the working tree, the state folder, git's metadata). */
function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? allFiles(full) : [full];
  });
}

describe("secrets", () => {
  it("the key reaches the model server only: not the eval, the ledger, the record, the logs, the output or an error", async () => {
    // A leaky model that repeats the key in its description and notes, then a server that
    // echoes it in a 401 error, as some proxies do.
    const stub = await startStub([
      openaiAnswer(
        edit("model.js", "const X = 10;", "const X = 9;", `used ${KEY} to decide`, `key is ${KEY}`),
      ),
      { status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}.` } } },
    ]);
    const dir = makeRepo({
      "model.js": MODEL,
      "eval.js": EVAL,
      "autoexp.yml": `name: sec
target: [model.js]
frozen: [eval.js]
eval: { command: node eval.js, timeout: 10s, metrics: { score: { goal: minimize } } }
decide: { baseline_runs: 1, min_delta: 0 }
agent: { use: openai, model: m, base_url: "${stub.url}/v1", retries: 0 }
budget: { experiments: 5 }
`,
    });
    const run = await runCliAsync(dir, ["run", "--tag", "sec"], { OPENAI_API_KEY: KEY });
    expect(run.stdout + run.stderr).toContain("the agent cannot work");
    expect(run.stdout + run.stderr).toContain("Incorrect API key provided: [redacted]");
    expect(stub.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);

    // The output of the run.
    expect(run.stdout).not.toContain(KEY);
    expect(run.stderr).not.toContain(KEY);
    // Every file of every commit and every ref, and every commit message.
    const revs = git(dir, "rev-list", "--all").trim().split("\n");
    expect(revs.length).toBeGreaterThan(2);
    expect(() => git(dir, "grep", "-F", KEY, ...revs)).toThrow(); // git grep exits 1: no match
    expect(git(dir, "log", "--all", "--format=%B")).not.toContain(KEY);
    // Every file on disk: the checkout, the experiment worktree, eval and agent logs, prompts.
    const files = allFiles(dir);
    expect(files.some((f) => f.includes("/autoexp/sec/logs/"))).toBe(true);
    expect(files.some((f) => f.includes("/autoexp/sec/agents/0/scratch/answer-1.md"))).toBe(true);
    for (const f of files) expect(readFileSync(f).includes(KEY), f).toBe(false);
    // The eval ran without it; the record shows where it was redacted.
    const evalLogs = files.filter((f) => f.includes("/autoexp/sec/logs/"));
    for (const f of evalLogs) expect(readFileSync(f, "utf8")).toContain("key seen by eval: none");
    const log = git(dir, "show", "autoexp/sec:.autoexp/sec/log.jsonl");
    expect(log).toContain("used [redacted] to decide");
    expect(git(dir, "show", "autoexp/sec:.autoexp/sec/notes.md")).toContain("key is [redacted]");
  });
});
