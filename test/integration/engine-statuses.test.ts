import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import { parseResultsTsv } from "../../action/ledger/results-tsv.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { branchLog, git, makeRepo, read, tempDir, writeFiles } from "../helpers/repo.ts";

// eval.js reads value.txt: a number is the score; words trigger the behaviours under test.
const EVAL = `
const fs = require("node:fs");
const v = fs.readFileSync("value.txt", "utf8").trim();
if (v === "crash") { console.error("Traceback: boom"); process.exit(1); }
if (v === "garbage") { console.log("score: lots"); process.exit(0); }
if (v === "hang") { require("node:child_process").spawn("sleep", ["60"]); setInterval(() => {}, 1000); }
else {
  if (v === "tamper") fs.appendFileSync("eval.js", "\\n// rewritten at run time\\n");
  console.log("score: " + (v === "tamper" ? 1 : Number(v)));
}
`;

// The agent plays a script, one action per iteration (AUTOEXP_ITERATION).
const AGENT = `
const fs = require("node:fs");
const plan = {
  1: ["value", "8", "lower to 8"],
  2: ["value", "9", "raise to 9"],
  3: ["value", "crash", "a crashing idea"],
  4: ["value", "hang", "an idea that hangs"],
  5: ["notes", "hacked", "edit a file outside target"],
  6: ["value", "tamper", "rewrite the harness at run time"],
  7: ["none", "", "change nothing"],
  8: ["value", "9", "raise to 9 again"],
  9: ["value", "garbage", "print garbage"],
  10: ["fail", "", "exit 3"],
  11: ["value", "5", "lower to 5"],
};
const [what, value, description] = plan[process.env.AUTOEXP_ITERATION];
if (what === "fail") { console.log("agent broke"); process.exit(3); }
if (what === "value") fs.writeFileSync("value.txt", value + "\\n");
if (what === "notes") fs.writeFileSync("notes.txt", value);
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, description);
`;

function configFor(agentPath: string) {
  const result = parseConfigText(`
name: statuses
target: [value.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  timeout: 1s
  metrics: { score: { goal: minimize } }
decide: { min_delta: 0 }
agent: { use: command, run: [node, ${JSON.stringify(agentPath)}], timeout: 10s }
budget: { experiments: 11, stop_after_failures: 50 }
# Unsandboxed: the harness rewritten at run time is caught after the run (in the sandbox the
# write itself fails: test/security).
isolation: none
`);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

describe("the engine on a real repo with real subprocess evals", () => {
  it("gives every outcome its status, keeps only real improvements, and records all of them", async () => {
    const repo = makeRepo({
      "value.txt": "10\n",
      "eval.js": EVAL,
      "notes.txt": "mine\n",
      "program.md": "lower it\n",
    });
    writeFiles(repo, { "untracked-user-file.txt": "do not delete\n" });
    const agentDir = tempDir();
    writeFiles(agentDir, { "agent.js": AGENT });
    const result = await runBatch({
      repoDir: repo,
      config: configFor(join(agentDir, "agent.js")),
      tag: "t1",
    });

    const log = branchLog(repo, "t1");
    const rows = log.filter((e) => e.type === "result") as unknown as ResultEntry[];
    expect(rows.map((r) => r.status)).toEqual([
      "baseline",
      "keep",
      "discard",
      "crash",
      "timeout",
      "violation",
      "violation",
      "no_change",
      "duplicate",
      "crash",
      "agent_error",
      "keep",
    ]);
    const byIt = (n: number) => rows.find((r) => r.iteration === n)!;
    expect(byIt(3).reason).toBe("exited with code 1");
    expect(byIt(3).log_tail).toContain("Traceback: boom");
    expect(byIt(4).reason).toMatch(/killed after the 1s eval.timeout/);
    expect(byIt(5).reason).toBe("changed files outside target: notes.txt");
    expect(byIt(6).reason).toMatch(/the eval run changed frozen files: eval.js modified/);
    expect(byIt(8).duplicate_of).toBe(2);
    expect(byIt(8).eval_seconds).toBe(0);
    expect(byIt(9).reason).toMatch(/bad metric output: score missing/);
    expect(byIt(10).reason).toMatch(/agent exited with code 3/);
    expect(result).toMatchObject({ baseline: 10, best: 5, kept: 2, experiments: 11 });

    // The code on the branch is the last kept candidate; nothing outside target changed.
    expect(git(repo, "show", "autoexp/t1:value.txt")).toBe("5\n");
    expect(git(repo, "show", "autoexp/t1:eval.js")).toBe(EVAL);
    expect(git(repo, "show", "autoexp/t1:notes.txt")).toBe("mine\n");
    const changed = git(repo, "diff", "--name-only", "main", "autoexp/t1")
      .trim()
      .split("\n")
      .sort();
    expect(changed).toEqual([
      ".autoexp/t1/dashboard.md",
      ".autoexp/t1/log.jsonl",
      ".autoexp/t1/progress.svg",
      ".autoexp/t1/results.tsv",
      "value.txt",
    ]);

    // Every committed candidate stays reachable, violations included, and the log names its ref.
    for (const r of rows.filter((x) => x.commit_full && x.iteration > 0)) {
      expect(git(repo, "rev-parse", r.diff!).trim()).toBe(r.commit_full);
    }
    expect(git(repo, "show", `${byIt(5).diff}:notes.txt`)).toBe("hacked");
    expect(git(repo, "show", `${byIt(2).diff}:value.txt`)).toBe("9\n");

    // results.tsv and the dashboard agree with log.jsonl.
    const tsv = parseResultsTsv(git(repo, "show", "autoexp/t1:.autoexp/t1/results.tsv"));
    expect(tsv.rows.map((r) => [r.commit, r.status])).toEqual(
      rows.map((r) => [r.commit || "-------", r.status]),
    );
    expect(tsv.rows.map((r) => r.values.score)).toEqual(
      rows.map((r) => Number((r.score ?? 0).toFixed(6))),
    );
    const dashboard = git(repo, "show", "autoexp/t1:.autoexp/t1/dashboard.md");
    expect(dashboard).toContain("baseline **10** → best **5** (−50.00%)");
    // This batch ran with isolation: none, and the record says so where a reviewer looks.
    expect(dashboard).toContain(
      "> [!CAUTION]\n> Unsandboxed: this batch's evals ran without the sandbox",
    );
    expect(log.find((e) => e.type === "batch")).toMatchObject({ event: "end", isolation: "none" });
    expect(result.isolation).toBe("none");
    expect(dashboard).toContain(
      "11 experiments after the baseline: 2 keep · 2 crash · 2 violation · 1 discard · 1 timeout · 1 agent_error · 1 no_change · 1 duplicate",
    );

    // The user's checkout is untouched: same branch, same files, untracked file still there.
    expect(git(repo, "rev-parse", "--abbrev-ref", "HEAD").trim()).toBe("main");
    expect(read(repo, "value.txt")).toBe("10\n");
    expect(existsSync(join(repo, "untracked-user-file.txt"))).toBe(true);
    expect(git(repo, "status", "--porcelain").trim()).toBe("?? untracked-user-file.txt");
  });

  it("resumes a tag: a second batch continues the numbering and starts from the best commit", async () => {
    const repo = makeRepo({ "value.txt": "10\n", "eval.js": EVAL });
    const agentDir = tempDir();
    writeFiles(agentDir, {
      "agent.js": `require("node:fs").writeFileSync("value.txt", String(10 - Number(process.env.AUTOEXP_ITERATION)));`,
    });
    const config = { ...configFor(join(agentDir, "agent.js")), frozen: ["eval.js"] };
    await runBatch({ repoDir: repo, config, tag: "r", experiments: 2 });
    const second = await runBatch({ repoDir: repo, config, tag: "r", experiments: 2 });
    const rows = branchLog(repo, "r").filter((e) => e.type === "result");
    expect(rows.map((r) => r.iteration)).toEqual([0, 1, 2, 3, 4]);
    expect(second).toMatchObject({ experiments: 2, total: 4, best: 6 });
    expect(git(repo, "show", "autoexp/r:value.txt")).toBe("6");
  });
});
