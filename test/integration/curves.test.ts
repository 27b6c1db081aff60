import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";
import { nightLog } from "../helpers/sequence-eval.ts";

// The eval replays the real H100 run's output (its \r progress lines and its summary block) with
// every loss scaled by model.js's X / 10, and val_bpb = X / 10: each experiment's curve is its own.
const EVAL = `
const fs = require("node:fs");
const x = require("./model.js").X / 10;
const log = fs.readFileSync("train.log", "utf8")
  .replace(/loss: ([\\d.]+)/g, (_, v) => "loss: " + (Number(v) * x).toFixed(6))
  .replace(/val_bpb:\\s+[\\d.]+/, "val_bpb: " + x);
process.stdout.write(log);
`;

// A command agent that keeps the prompt it was given and sets X from its plan: 8 (better), then 9.
const AGENT = `
const fs = require("node:fs");
const i = Number(process.env.AUTOEXP_ITERATION);
fs.copyFileSync(process.env.AUTOEXP_PROMPT_FILE, process.env.SAVE + "/prompt-" + i + ".md");
const x = { 1: 8, 2: 9, 3: 7 }[i];
fs.writeFileSync("model.js", "module.exports = { X: " + x + " };\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "X to " + x);
`;

describe("the agent sees training curves from the runs' own logs", () => {
  it("gets the incumbent's curve, then the candidates', each from its first run's log", async () => {
    const log = readFileSync(join(import.meta.dirname, "..", "fixtures", "gpu-train-ok.log"));
    const repo = makeRepo({
      "model.js": "module.exports = { X: 10 };\n",
      "eval.js": EVAL,
      "train.log": log.toString("utf8"),
    });
    const save = tempDir();
    writeFiles(save, { "agent.js": AGENT });
    const rows = (
      await nightLog(
        repo,
        `
name: curves
target: [model.js]
frozen: [eval.js, train.log]
eval: { command: node eval.js, timeout: 20s, metrics: { val_bpb: { goal: minimize } } }
decide: { min_delta: 0, baseline_runs: 1 }
pipeline: false
agent: { use: command, run: [node, ${JSON.stringify(join(save, "agent.js"))}], pass_env: [SAVE], writable: [${JSON.stringify(save)}] }
budget: { experiments: 3 }
`,
        { SAVE: save },
      )
    ).results;
    expect(rows.map((r) => [r.iteration, r.status, r.score])).toEqual([
      [0, "baseline", 1],
      [1, "keep", 0.8],
      [2, "discard", 0.9],
      [3, "keep", 0.7],
    ]);
    const logs = join(repo, ".git", "autoexp", "t", "logs");
    expect(existsSync(join(logs, "0-0.log"))).toBe(true);
    const curves = (i: number) => {
      const prompt = readFileSync(join(save, `prompt-${i}.md`), "utf8");
      return prompt
        .split("## Training curves (the eval's progress lines over time)\n")[1]!
        .split("\n## ")[0]!;
    };
    // First proposal: the baseline's run, its lowest loss the real run's (0.471118 at step 1130).
    expect(curves(1)).toContain("- #0 baseline, the incumbent, val_bpb=1: ");
    expect(curves(1)).toMatch(
      /\n {2}loss by step \(137 points\): 1\.5521 @10, .*; lowest 0\.47112 @1130; falling, flat from step \d+/,
    );
    // Second: #1 kept (its losses x0.8), the baseline no longer shown.
    expect(curves(2)).toContain("- #1 keep, the incumbent, val_bpb=0.8: X to 8\n");
    expect(curves(2)).toContain("lowest 0.37689 @1130");
    expect(curves(2)).not.toContain("#0 baseline");
    // Third: the incumbent #1 and the discarded #2 (x0.9) beside it, labelled with its verdict.
    expect(curves(3)).toMatch(
      /^.*\n- #1 keep, the incumbent, val_bpb=0\.8: X to 8\n {2}loss by step.*lowest 0\.37689 @1130.*\n- #2 discard, val_bpb=0\.9: X to 9\n {2}loss by step.*lowest 0\.42401 @1130/,
    );
  }, 120_000);
});
