import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { TRANSFER_MIN_N, transferUpperBound } from "../../action/decide/transfer.ts";
import { explores } from "../../action/engine/cheap-screen.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { renderPr } from "../../app/pr-body.ts";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

// candidate.txt holds a number x. The full eval's loss falls as x rises; the cheap eval's loss
// rises with x when CHEAP_SIGN is -1 (it ranks candidates backwards) and falls with it when +1.
// Each run appends "<mode> <x>" to RUNS, a file outside the repository: the runs made, counted.
const EVAL = `
const fs = require("node:fs");
const mode = process.argv[2];
const x = Number(fs.readFileSync("candidate.txt", "utf8"));
fs.appendFileSync(process.env.RUNS, mode + " " + x + "\\n");
const sign = mode === "cheap" ? Number(process.env.CHEAP_SIGN) : 1;
console.log("loss: " + (100 - sign * x + Math.random() / 100));
`;

// Proposal i writes the i-th value of the plan (a JSON list written into the agent).
const AGENT = (plan: number[]) => `
const fs = require("node:fs");
const plan = ${JSON.stringify(plan)};
const x = plan[(Number(process.env.AUTOEXP_ITERATION) - 1) % plan.length];
fs.writeFileSync("candidate.txt", x + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "x = " + x);
`;

function setup(sign: 1 | -1, plan: number[], experiments: number) {
  const repo = makeRepo({ "candidate.txt": "0\n", "eval.js": EVAL });
  const dir = tempDir();
  writeFiles(dir, { "agent.js": AGENT(plan) });
  const parsed = parseConfigText(`
name: cheap
target: [candidate.txt]
frozen: [eval.js]
eval:
  command: node eval.js full
  metrics:
    loss: { goal: minimize }
  pass_env: [RUNS, CHEAP_SIGN]
  screen: { command: node eval.js cheap, timeout: 30s }
isolation: { shared: [${JSON.stringify(dir)}] }
decide: { baseline_runs: 2 }
# Serial, so that the runs the eval counts are exactly those each row records.
pipeline: false
agent: { use: command, run: [node, ${JSON.stringify(join(dir, "agent.js"))}] }
budget: { experiments: ${experiments} }
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const runs = join(dir, "runs");
  const env = { ...process.env, RUNS: runs, CHEAP_SIGN: String(sign) };
  return { repo, config: parsed.config, env, runs };
}

const runsOf = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(" ") as [string, string]);

describe("the cheap eval (eval.screen)", () => {
  it("discards a candidate that loses on the cheap eval without running the full eval for it", async () => {
    // The seeded draw that sends a failing candidate on anyway must not pick #1 under tag t.
    const tag = ["t", "u", "v", "w"].find((t) => !explores(t, 1))!;
    const { repo, config, env, runs } = setup(1, [-5, 5], 2);
    const result = await runBatch({ repoDir: repo, config, tag, env });
    expect(result.stop.failed).toBe(false);
    const log = parseLog(git(repo, "show", `autoexp/${tag}:.autoexp/${tag}/log.jsonl`));
    const [, worse, better] = log.results;
    expect(worse!.status).toBe("discard");
    expect(worse!.score).toBeNull();
    expect(worse!.samples).toEqual({});
    expect(worse!.reason).toMatch(
      /^the cheap eval \(eval\.screen\): loss worse by [45](\.\d+)? than the incumbent #0's 3 cheap runs, under the .+ needed .*: not given the full eval$/,
    );
    expect(worse!.cheap).toMatchObject({
      metric: "loss",
      of: 0,
      value: expect.any(Number),
      outcome: "failed",
    });
    expect(worse!.cheap!.incumbent).toHaveLength(3);
    expect(better!.cheap).toMatchObject({ outcome: "passed", incumbent: [], against: 3 });
    expect(better!.status).toBe("keep");
    expect(better!.cheap!.full).toBeCloseTo(5, 1);
    // The processes the eval counted: the baseline's two full runs, the incumbent's three cheap
    // runs, #1's cheap run and no full one, #2's cheap run and its full runs.
    const made = runsOf(runs);
    expect(made.filter(([m, x]) => m === "full" && x === "-5")).toEqual([]);
    expect(made.filter(([m, x]) => m === "cheap" && x === "-5")).toHaveLength(1);
    expect(made.filter(([m, x]) => m === "cheap" && x === "0")).toHaveLength(3);
    expect(made.filter(([m, x]) => m === "full" && x === "5").length).toBeGreaterThan(0);
    // eval_seconds counts the cheap runs too.
    expect(worse!.eval_seconds).toBe(worse!.cheap!.seconds);
    expect(worse!.eval_seconds).toBeGreaterThan(0);
    // The reviewer sees the cheap eval in the PR as on the dashboard: still screening, what it decided.
    const ledger = git(repo, "show", `autoexp/${tag}:.autoexp/${tag}/log.jsonl`);
    const { body } = renderPr(ledger, { tag, repoUrl: "https://github.com/o/r" });
    expect(body).toContain(
      "Cheap eval (eval.screen): screening (stops once 8 or more candidates have both",
    );
    expect(body).toMatch(/1 passed on to the full eval, 1 discarded on it, 0 failed but sent on/);
  }, 60_000);

  it("stops screening when the cheap eval ranks candidates unlike the full eval", async () => {
    // Distinct candidates up and down from the incumbent: the cheap eval says the opposite of the full.
    const plan = Array.from({ length: 41 }, (_, i) => ((i * 37) % 41) - 20);
    const { repo, config, env, runs } = setup(-1, plan, 30);
    const result = await runBatch({ repoDir: repo, config, tag: "t", env });
    expect(result.stop.failed).toBe(false);
    const log = parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"));
    const stoppedAt = log.results.findIndex((r) => r.cheap_stopped);
    expect(stoppedAt).toBeGreaterThan(0);
    const stop = log.results[stoppedAt]!.cheap_stopped!;
    const before = log.results.slice(0, stoppedAt);
    const both = before.filter((r) => r.cheap?.gain != null && r.cheap.full !== undefined);
    expect(stop.n).toBe(both.length);
    expect(stop.n).toBeGreaterThanOrEqual(TRANSFER_MIN_N);
    expect(stop.rho).toBeLessThan(-0.5);
    expect(transferUpperBound(stop.rho, stop.n)!).toBeLessThan(0.3);
    expect(stop.reason).toMatch(
      /^the cheap eval ranks candidates unlike the full eval: rank correlation -.*, its 80% upper bound -[\d.]+ under 0\.3;/,
    );
    // From there on, no cheap runs: every candidate gets the full eval.
    const after = log.results.slice(stoppedAt);
    expect(after.length).toBeGreaterThan(1);
    expect(after.every((r) => r.cheap === undefined)).toBe(true);
    expect(after.every((r) => (r.samples.loss?.length ?? 0) > 0)).toBe(true);
    const made = runsOf(runs);
    const cheapRuns = before.reduce((s, r) => s + (r.cheap ? 1 + r.cheap.incumbent.length : 0), 0);
    expect(made.filter(([m]) => m === "cheap")).toHaveLength(cheapRuns);
    const dashboard = git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md");
    expect(dashboard).toContain(
      "Cheap eval (eval.screen): stopped: the cheap eval ranks candidates unlike the full eval: rank correlation",
    );
    expect(dashboard).toMatch(
      /every candidate gets the full eval from here on\. Now: rank correlation with the full eval -[\d.]+ \(90% interval -[\d.]+ to -?[\d.]+\) over \d+ candidate/,
    );
    // The PR body carries the same paragraph as the dashboard, word for word.
    const paragraph = dashboard.split("\n").find((l) => l.startsWith("Cheap eval (eval.screen)"))!;
    const pr = renderPr(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"), {
      tag: "t",
      repoUrl: "https://github.com/o/r",
    });
    expect(pr.body.split("\n")).toContain(paragraph);
  }, 120_000);
});
