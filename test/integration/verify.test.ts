import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { firstSideFirst } from "../../action/engine/pair-order.ts";
import type { VerifyEntry } from "../../action/ledger/types.ts";
import { branchLog, git, makeRepo, runCli, tempDir, writeFiles } from "../helpers/repo.ts";

// score = truth + a noise read from a run counter outside the slot (a declared writable place):
// three fixed values first (the baseline and the first candidate), then a cycle of three that sums
// to zero, so any three consecutive pairs differ by exactly nothing on average. Every run appends
// what it ran to the trace: which eval, the code's truth, and whether the holdout's folder was
// visible to it.
const EVAL = `
const fs = require("node:fs");
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
const file = process.env.STATE + "/eval-counter";
const n = Number(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : 0);
fs.writeFileSync(file, String(n + 1));
const noise = n < 3 ? [0.5, -0.5, -1.0][n] : [0.3, -0.3, 0][n % 3];
const sees = fs.existsSync(process.env.HOLDOUT_DIR);
fs.appendFileSync(process.env.STATE + "/trace", "eval " + truth + " holdout-visible=" + sees + "\\n");
console.log("loss: " + (truth + noise));
`;

// The holdout carries a third of the eval's gain over 10: the kept change fits the eval better.
const HOLDOUT = `
const fs = require("node:fs");
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
const file = process.env.STATE + "/holdout-counter";
const n = Number(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : 0);
fs.writeFileSync(file, String(n + 1));
fs.appendFileSync(process.env.STATE + "/trace", "holdout " + truth + "\\n");
console.log("loss: " + (10 - (10 - truth) / 3 + [0.1, -0.1, 0][n % 3]));
`;

// A command agent playing a plan of changes in truth; it keeps a copy of its prompt and of the
// list of files in its checkout, to show what it was given.
const AGENT = `
const fs = require("node:fs");
const i = Number(process.env.AUTOEXP_ITERATION);
const effect = JSON.parse(process.env.PLAN)[i - 1] ?? 0;
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
fs.writeFileSync("candidate.txt", "truth: " + (truth + effect) + "\\nidea " + i + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "truth " + truth + " -> " + (truth + effect));
fs.copyFileSync(process.env.AUTOEXP_PROMPT_FILE, process.env.SEEN + "/prompt-" + i + ".md");
// (Its own throwaway .git aside: CLI agents get one.)
const list = (d) => fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.name !== ".git").flatMap((e) =>
  e.isDirectory() ? [e.name + "/", ...list(d + "/" + e.name).map((p) => e.name + "/" + p)] : [e.name]);
fs.writeFileSync(process.env.SEEN + "/files-" + i + ".txt", list(".").join("\\n"));
`;

function setup(plan: number[], extra: string) {
  const repo = makeRepo({ "candidate.txt": "truth: 10\n", "eval.js": EVAL });
  const outside = tempDir();
  const state = join(outside, "state");
  const seen = join(outside, "seen");
  const holdout = join(outside, "holdout");
  writeFiles(outside, {
    "agent.js": AGENT,
    "holdout/holdout.js": HOLDOUT,
    "state/.keep": "",
    "seen/.keep": "",
  });
  // The config lives outside the repository, so the agent's checkout holds no word of the holdout.
  const config = join(outside, "autoexp.yml");
  writeFiles(outside, {
    "autoexp.yml": `
name: verifying
target: [candidate.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  metrics: { loss: { goal: minimize } }
  pass_env: [STATE]
  env: { HOLDOUT_DIR: ${JSON.stringify(holdout)} }
  holdout: { command: [node, ${JSON.stringify(join(holdout, "holdout.js"))}], read_only: [${JSON.stringify(holdout)}] }
isolation: { shared: [${JSON.stringify(state)}] }
agent: { use: command, run: [node, ${JSON.stringify(join(outside, "agent.js"))}], pass_env: [PLAN, STATE, SEEN, HOLDOUT_DIR], writable: [${JSON.stringify(outside)}] }
budget: { experiments: ${plan.length} }
${extra}
`,
  });
  const env = { STATE: state, SEEN: seen, PLAN: JSON.stringify(plan) };
  const trace = () => {
    const text = readFileSync(join(state, "trace"), "utf8").trim().split("\n");
    rmSync(join(state, "trace"));
    return text;
  };
  return { repo, config, env, trace, seen };
}

describe("autoexp verify", () => {
  it("records base and final code run interleaved, the verified gain beside the kept steps, and the holdout run only then", () => {
    const { repo, config, env, trace, seen } = setup(
      [-6],
      "decide: { baseline_runs: 3, remeasure_every: 0 }",
    );
    const run = runCli(repo, ["run", "--config", config, "--tag", "t"], env);
    expect(run.code, run.stderr).toBe(0);
    const sandboxed = run.stdout.includes("evals run sandboxed");
    // The loop never ran the holdout, and (sandboxed) its folder was not even visible to the eval.
    const loop = trace();
    expect(loop.every((l) => l.startsWith("eval "))).toBe(true);
    if (sandboxed) expect(loop.every((l) => l.endsWith("holdout-visible=false"))).toBe(true);
    const kept = branchLog(repo, "t").find((e) => e.type === "result" && e.status === "keep")!;
    expect(kept).toBeDefined();

    // Each pair's order is drawn; seed 32 draws base first in all four (the noise cycle below
    // falls on the pairs as written). blind-runs.test.ts shows orders drawn either way.
    expect([1, 2, 3, 4].every((p) => firstSideFirst(32, p))).toBe(true);
    const verify = runCli(
      repo,
      ["verify", "--config", config, "--tag", "t", "--pairs", "4", "--seed", "32"],
      env,
    );
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(
      // The kept step is its delta against the incumbent measured beside it (its pairs).
      /verified: −5\.9 ± 0\.7 \(95%\), over 4 pairs; sum of kept steps −\d+(\.\d+)?\n/,
    );
    expect(verify.stdout).toMatch(/holdout: −2\.05 ± 0\.28 \(95%\), over 4 pairs\n/);
    // A B A B: base, final, then the holdout's base and final, four times.
    expect(trace().map((l) => l.split(" ").slice(0, 2).join(" "))).toEqual(
      Array.from({ length: 4 }, () => ["eval 10", "eval 4", "holdout 10", "holdout 4"]).flat(),
    );
    const log = branchLog(repo, "t");
    const header = log[0]!;
    const line = log.at(-1) as unknown as VerifyEntry;
    expect(line.type).toBe("verify");
    expect(line.base_commit).toBe(header.base_commit);
    expect(line.final_commit).toBe(kept.commit_full);
    expect(line.final_iteration).toBe(kept.iteration);
    expect(line.pairs).toBe(4);
    expect(line.order_seed).toBe(32);
    expect(line.samples.base).toHaveLength(4);
    expect(line.samples.final).toHaveLength(4);
    expect(line.gain.gain).toBeCloseTo(5.925, 10);
    expect(line.gain.includes_no_improvement).toBe(false);
    expect(line.holdout!.gain.gain).toBeCloseTo(2.05, 10);
    expect(line.kept).toBe(1);
    expect(line.kept_gain_sum).toBeCloseTo(-(kept.delta as number), 10);
    expect(line.isolation).toBe(sandboxed ? "sandbox" : "none");
    expect(typeof line.timestamp).toBe("string");
    const status = runCli(repo, ["status", "--config", config, "--tag", "t"], env);
    expect(status.stdout.split("\n")[1]).toMatch(/^verified: −5\.9 ± 0\.7 \(95%\)/);
    // The dashboard leads with it, validation and holdout side by side.
    const dashboard = git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md");
    expect(dashboard.split("\n")[2]).toMatch(/^\*\*verified: −5\.9 ± 0\.7 \(95%\), over 4 pairs/);
    expect(dashboard).toMatch(
      /\| holdout \(never seen by the agent\) \| −2\.05 \| \[−2\.33, −1\.77\] \| 4 \|/,
    );

    // The next batch's agent is told nothing of the holdout, and its checkout holds no record.
    const next = runCli(repo, ["run", "--config", config, "--tag", "t", "--experiments", "1"], {
      ...env,
      PLAN: JSON.stringify([-6, 0]),
    });
    expect(next.code, next.stderr).toBe(0);
    expect(trace().every((l) => l.startsWith("eval "))).toBe(true);
    const prompts = readdirSync(seen).filter((f) => f.startsWith("prompt-"));
    expect(prompts.length).toBe(2);
    for (const name of prompts) {
      const prompt = readFileSync(join(seen, name), "utf8");
      expect(prompt).toContain("loss");
      expect(prompt).not.toMatch(/holdout|verif/i);
    }
    for (const name of readdirSync(seen).filter((f) => f.startsWith("files-")))
      expect(readFileSync(join(seen, name), "utf8").split("\n").sort()).toEqual([
        "candidate.txt",
        "eval.js",
      ]);
  });

  it("runs at batch end with verify.pairs and says plainly when the interval includes no improvement", () => {
    // One run decides (confirm: false): the first candidate changes nothing but draws a lucky -1.
    const { repo, config, env } = setup(
      [0],
      "decide: { baseline_runs: 2, confirm: false, min_delta: 0.1, remeasure_every: 0 }\nverify: { pairs: 3 }",
    );
    const run = runCli(repo, ["run", "--config", config, "--tag", "t"], env);
    expect(run.code, run.stderr).toBe(0);
    const log = branchLog(repo, "t");
    expect(log.find((e) => e.type === "result" && e.iteration === 1)!.status).toBe("keep");
    const end = log.findIndex((e) => e.type === "batch" && e.event === "end");
    const line = log.at(-1) as unknown as VerifyEntry;
    expect(line.type).toBe("verify");
    expect(log.length - 1).toBeGreaterThan(end);
    // The pairs' noise is 0 -0.3, 0.3 0 and -0.3 0.3 or the other way round, as each pair's
    // drawn order has it: the mean difference is at most 0.4 and the interval spans zero.
    expect(Math.abs(line.gain.gain)).toBeLessThanOrEqual(0.4 + 1e-9);
    expect(line.order_seed).toBeGreaterThan(0);
    expect(line.gain.includes_no_improvement).toBe(true);
    expect(line.kept_gain_sum).toBeCloseTo(1, 10);
    expect(run.stdout).toContain("The verified interval includes no improvement");
    const dashboard = git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md");
    expect(dashboard).toContain(
      "> [!WARNING]\n> The verified interval includes no improvement: re-measured against the base, the final code is not shown to be better (the kept steps claimed −1).",
    );
  });

  it("refuses a tag that kept nothing, and a config that changed the eval", () => {
    const { repo, config, env } = setup([5], "decide: { baseline_runs: 2, remeasure_every: 0 }");
    expect(runCli(repo, ["run", "--config", config, "--tag", "t"], env).code).toBe(0);
    const nothing = runCli(repo, ["verify", "--config", config, "--tag", "t"], env);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain("tag t has kept nothing yet");
    const text = readFileSync(config, "utf8").replace(
      "metrics: { loss: { goal: minimize } }",
      "metrics: { loss: { goal: maximize } }",
    );
    writeFiles(join(config, ".."), { "changed.yml": text });
    const changed = runCli(
      repo,
      ["verify", "--config", join(config, "..", "changed.yml"), "--tag", "t"],
      env,
    );
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain("goal: minimize → maximize");
    expect(branchLog(repo, "t").some((e) => e.type === "verify")).toBe(false);
  });

  it("measures a tag run with another agent than the config names now: verify runs no agent", () => {
    const { repo, config, env } = setup(
      [0],
      "decide: { baseline_runs: 2, confirm: false, min_delta: 0.1, remeasure_every: 0 }",
    );
    expect(runCli(repo, ["run", "--config", config, "--tag", "t"], env).code).toBe(0);
    const text = readFileSync(config, "utf8").replace(/^agent: .*$/m, "agent: { use: search }");
    writeFiles(join(config, ".."), { "search.yml": text });
    const other = ["--config", join(config, "..", "search.yml"), "--tag", "t"];
    const verify = runCli(repo, ["verify", ...other, "--pairs", "2"], env);
    expect(verify.code, verify.stderr).toBe(0);
    expect(branchLog(repo, "t").some((e) => e.type === "verify")).toBe(true);
    // A batch would run the other agent: resuming still says so, in one short line.
    const resume = runCli(repo, ["run", ...other], env);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain("\n  agent: command → search\n");
  });
});

describe("autoexp verify with several workers", () => {
  it("runs pairs in parallel, both halves of a pair on one worker, so a worker's offset cancels", () => {
    const repo = makeRepo({
      "candidate.txt": "truth: 10\n",
      // Worker w's device reads 5 w higher; a run takes 300 ms and leaves its worker and times.
      "eval.js": `
const fs = require("node:fs");
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
const w = Number(process.env.AUTOEXP_WORKER);
const t0 = Date.now();
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
fs.appendFileSync(process.env.STATE + "/trace", [w, truth, t0, Date.now()].join(" ") + "\\n");
console.log("loss: " + (truth + 5 * w));
`,
    });
    const outside = tempDir();
    const state = join(outside, "state");
    writeFiles(outside, {
      "state/.keep": "",
      "agent.js": `const fs = require("node:fs");
fs.writeFileSync("candidate.txt", "truth: 4\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "truth 10 -> 4");`,
      "autoexp.yml": `
name: matched
target: [candidate.txt]
frozen: [eval.js]
workers: 2
eval: { command: node eval.js, metrics: { loss: { goal: minimize } }, pass_env: [STATE] }
isolation: { shared: [${JSON.stringify(state)}] }
decide: { compare_within: worker, remeasure_every: 0 }
agent: { use: command, run: [node, ${JSON.stringify(join(outside, "agent.js"))}], pass_env: [PLAN, STATE, SEEN, HOLDOUT_DIR], writable: [${JSON.stringify(outside)}] }
budget: { experiments: 1 }
`,
    });
    const config = join(outside, "autoexp.yml");
    const env = { STATE: state };
    const run = runCli(repo, ["run", "--config", config, "--tag", "m"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(branchLog(repo, "m").some((e) => e.type === "result" && e.status === "keep")).toBe(true);
    rmSync(join(state, "trace"));
    const verify = runCli(repo, ["verify", "--config", config, "--tag", "m", "--pairs", "6"], env);
    expect(verify.code, verify.stderr).toBe(0);
    const line = branchLog(repo, "m").at(-1) as unknown as VerifyEntry;
    // Matched: every pair's difference is the code's, the worker's 5 w cancels exactly.
    expect(line.samples.base.map((b, i) => b - line.samples.final[i]!)).toEqual(Array(6).fill(6));
    expect(line.gain.gain).toBe(6);
    expect(line.pairs_on).toHaveLength(6);
    expect(new Set(line.pairs_on!.map((p) => p.worker))).toEqual(new Set([0, 1]));
    // In parallel: a run on one worker overlapped a run on the other.
    const runs = readFileSync(join(state, "trace"), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" ").map(Number) as [number, number, number, number]);
    expect(runs).toHaveLength(12);
    const overlap = runs.some(([w, , s, e]) =>
      runs.some(([w2, , s2, e2]) => w2 !== w && s2 < e && s < e2),
    );
    expect(overlap).toBe(true);
  }, 120_000);
});
