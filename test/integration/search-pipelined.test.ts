import { describe, expect, it } from "vitest";
import { branchLog, makeRepo, runCli } from "../helpers/repo.ts";

// A deterministic eval over knob.py's one knob: the loss is the knob's distance from `best`.
function night(knob: string, best: number) {
  const repo = makeRepo({
    "knob.py": `X = ${knob}\n`,
    "eval.js": `
const text = require("node:fs").readFileSync("knob.py", "utf8");
const x = Number(/^X = (.*)$/m.exec(text)[1]);
console.log("loss: " + Math.abs(x - ${best}));
`,
    "autoexp.yml": `
name: knob
target: [knob.py]
frozen: [eval.js, autoexp.yml]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } } }
decide: { baseline_runs: 1, min_delta: 0, remeasure_every: 0 }
isolation: none
agent: { use: search }
budget: { experiments: 10 }
`,
  });
  const run = runCli(repo, ["run", "--tag", "t"]);
  expect(run.code, run.stderr).toBe(0);
  const rows = branchLog(repo, "t").filter((e) => e.type === "result");
  const scores = rows.flatMap((r) => (typeof r.score === "number" ? [r.score] : []));
  return { run, rows, best: Math.min(...scores) };
}

describe("the search agent with proposals in flight (pipeline: true, the default)", () => {
  it("waits for its only move's result instead of stopping: an integer knob at 1 reaches 5", () => {
    const { run, rows, best } = night("1", 5);
    expect(run.stdout).not.toContain("search converged");
    expect(rows.length).toBeGreaterThan(2);
    expect(best).toBe(0);
  });

  it("moves a knob at 0.0 and finds its optimum", () => {
    const { rows, best } = night("0.0", 0.2);
    expect(rows.filter((r) => r.status === "agent_error")).toEqual([]);
    expect(rows.length).toBeGreaterThan(2);
    expect(best).toBeLessThan(1e-9);
  });
});
