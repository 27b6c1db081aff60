import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { incumbentState } from "../../action/decide/ledger-state.ts";
import { mean } from "../../action/decide/stats.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { parseResultsTsv } from "../../action/ledger/results-tsv.ts";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

// A noisy eval with a known truth: score = truth + a fixed, repeating noise sequence (sd ≈ 1),
// plus `shift` once the counter passes DRIFT_AFTER (a machine that changed in the night).
const EVAL = `
const fs = require("node:fs");
const text = fs.readFileSync("candidate.txt", "utf8");
const truth = Number(/truth: (\\S+)/.exec(text)[1]);
const noise = [0.9, -1.1, 0.4, -0.6, 1.3, -0.2, -1.4, 0.7, 0.1, -0.3, 1.0, -0.8];
const file = process.env.COUNTER;
const n = Number(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : 0);
fs.writeFileSync(file, String(n + 1));
const shift = process.env.DRIFT_AFTER && n >= Number(process.env.DRIFT_AFTER) ? -20 : 0;
if (process.env.CRASH_AT === String(n)) process.exit(3);
console.log("loss: " + (truth + noise[n % noise.length] + shift));
console.log("mem_mb: " + (text.includes("huge") ? 900 : 100));
`;

// The agent plays a plan: [change in truth, extra word, description] per iteration.
const AGENT = `
const fs = require("node:fs");
const plan = JSON.parse(process.env.PLAN);
const [effect, word, description] = plan[Number(process.env.AUTOEXP_ITERATION) - 1];
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
fs.writeFileSync("candidate.txt", "truth: " + (truth + effect) + "\\n" + word + " " + process.env.AUTOEXP_ITERATION + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, description);
`;

const CHECKS = `process.exit(require("node:fs").readFileSync("candidate.txt", "utf8").includes("broken") ? 1 : 0);`;

function setup(
  plan: [number, string, string][],
  decide: string,
  extraEnv: Record<string, string> = {},
) {
  const repo = makeRepo({
    "candidate.txt": "truth: 10\n",
    "eval.js": EVAL,
    "checks.js": CHECKS,
  });
  const dir = tempDir();
  writeFiles(dir, { "agent.js": AGENT });
  const parsed = parseConfigText(`
name: deciding
target: [candidate.txt]
frozen: [eval.js, checks.js]
eval:
  command: node eval.js
  metrics:
    loss: { goal: minimize }
    mem_mb: { guard: { max: 500 } }
  pass_env: [COUNTER, DRIFT_AFTER, CRASH_AT]
# The eval keeps a run counter outside the slot (it simulates noise): a declared writable place.
isolation: { shared: [${JSON.stringify(dir)}] }
decide: ${decide}
# The eval's noise follows the global order of runs (a counter): serial, so that order is fixed.
pipeline: false
checks: { command: node checks.js }
agent: { use: command, run: [node, ${JSON.stringify(join(dir, "agent.js"))}], pass_env: [PLAN], writable: [${JSON.stringify(dir)}] }
budget: { experiments: ${plan.length} }
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const env = {
    ...process.env,
    PLAN: JSON.stringify(plan),
    COUNTER: join(dir, "counter"),
    ...extraEnv,
  };
  return { repo, config: parsed.config, env };
}

const ledger = (repo: string) => parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"));

describe("deciding under noise, through the engine", () => {
  it("confirms a real improvement, discards worse ones after one run, and refuses guard and check failures", async () => {
    const { repo, config, env } = setup(
      [
        [-6, "", "a big real improvement"],
        [3, "", "clearly worse"],
        [-6, "huge", "better but blows the memory guard"],
        [-6, "broken", "better but breaks the checks"],
        [0, "", "no real change"],
      ],
      "{ baseline_runs: 4, remeasure_every: 0, paired: false }",
    );
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const log = ledger(repo);
    expect(log.config!.noise).toBeGreaterThan(0.5);
    expect(log.config!.min_delta).toBeCloseTo(0.25 * log.config!.noise!, 10);
    const [base, big, worse, guard, checks, none] = log.results;
    expect(base!.samples.loss).toHaveLength(4);
    expect(big!.status).toBe("keep");
    expect(big!.samples.loss!.length).toBeGreaterThanOrEqual(2);
    expect(big!.evidence!.p!).toBeLessThan(0.05 / 4);
    expect(big!.evidence!.test).toBe("t");
    expect(worse!.status).toBe("discard");
    expect(worse!.samples.loss).toHaveLength(1);
    expect(guard!.status).toBe("guard_fail");
    expect(guard!.reason).toContain("mem_mb = 900 is above its max 500");
    expect(checks!.status).toBe("checks_failed");
    expect(checks!.reason).toBe("checks failed: exited with code 1");
    expect(none!.status).not.toBe("keep");
    // After the keep the new incumbent got fresh runs (a top-up), and its score is the mean of all.
    const topUp = log.remeasures.find((m) => m.iteration === big!.iteration);
    expect(topUp?.reason).toBe("top-up");
    expect(topUp!.samples.loss).toHaveLength(4);
    const inc = incumbentState(log)!;
    expect(inc.iteration).toBe(big!.iteration);
    expect(inc.score).toBeCloseTo(mean([...big!.samples.loss!, ...topUp!.samples.loss!]), 10);
    const tsv = parseResultsTsv(git(repo, "show", "autoexp/t:.autoexp/t/results.tsv"));
    expect(tsv.rows[1]!.values.loss).toBeCloseTo(inc.score, 5);
    const dashboard = git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md");
    expect(dashboard).toMatch(/noise: sd [\d.]+ \(pooled, \d+ df\)/);
    // The keep's test (its t and the bar it reached), then its figures.
    expect(dashboard).toMatch(
      /\| kept at t = [\d.]+ ≥ [\d.]+ \(a bar for up to 5 runs\); [\d.]+ sd, p = [\d.e-]+, CI \[/,
    );
    // The tree the agent saw was clean every time: no experiment was a violation.
    expect(log.results.filter((r) => r.status === "violation")).toHaveLength(0);
  });

  it("re-measures the incumbent on schedule and re-bases it when the machine drifts", async () => {
    const plan: [number, string, string][] = Array.from({ length: 8 }, (_, i) => [
      0,
      "",
      `idea ${i + 1}`,
    ]);
    // 4 baseline runs, then ~1-2 runs per idea; from eval 9 on every score is 20 lower ("better").
    // The unpaired rule's drift check (decide.paired: false); pairs need none (the test below).
    const { repo, config, env } = setup(
      plan,
      "{ baseline_runs: 4, remeasure_every: 2, paired: false }",
      { DRIFT_AFTER: "9" },
    );
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const log = ledger(repo);
    const drift = log.remeasures.find((m) => m.reason === "drift");
    expect(drift, JSON.stringify(log.remeasures)).toBeDefined();
    expect(drift!.reset).toBe(true);
    expect(drift!.note).toContain("drift");
    // Drift in the improving direction was not read as progress.
    const kept = log.results.filter((r) => r.status === "keep");
    expect(kept.length).toBeLessThanOrEqual(1);
    expect(incumbentState(log)!.score).toBeLessThan(0);
    expect(git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md")).toContain("Drift:");
  });

  it("paired (the default): the same step in the machine's speed keeps nothing, even where it falls inside a pair", async () => {
    const plan: [number, string, string][] = Array.from({ length: 8 }, (_, i) => [
      0,
      "",
      `idea ${i + 1}`,
    ]);
    const { repo, config, env } = setup(plan, "{ baseline_runs: 4 }", { DRIFT_AFTER: "9" });
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const log = ledger(repo);
    // The step happened: runs after the 9th read 20 lower.
    const all = [
      ...log.results.flatMap((r) => r.samples.loss ?? []),
      ...log.remeasures.flatMap((m) => m.samples.loss ?? []),
    ];
    expect(all.some((v) => v < -5)).toBe(true);
    expect(log.results.filter((r) => r.status === "keep")).toEqual([]);
    expect(log.remeasures.some((m) => m.paired_with !== undefined)).toBe(true);
  });

  it("paired: kept code runs once more after its keep, and is scored on that run, not on the pairs that chose it", async () => {
    const { repo, config, env } = setup(
      [
        [-6, "", "a big real improvement"],
        // Clearly worse (3 sd; the noise is at most 1.4): never kept, whatever order its pair
        // runs in, so the big change stays the incumbent and its runs can be read.
        [3, "", "clearly worse"],
      ],
      "{ baseline_runs: 4 }",
    );
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const log = ledger(repo);
    const big = log.results[1]!;
    expect(log.results[2]!.status).toBe("discard");
    expect(big.status).toBe("keep");
    expect(big.evidence!.paired).toBe(true);
    // The ledger's next line after the kept row is its run after the keep: one run of its code.
    const lines = git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; iteration?: number; reason?: string });
    const at = lines.findIndex((l) => l.type === "result" && l.iteration === big.iteration);
    expect(lines[at + 1]).toMatchObject({
      type: "remeasure",
      iteration: big.iteration,
      reason: "after-keep",
    });
    const after = log.remeasures.find((m) => m.reason === "after-keep")!;
    expect(after.samples.loss).toHaveLength(1);
    expect(after.eval_seconds).toBeGreaterThan(0);
    // It measured the kept code (truth 4: the eval's noise is at most 1.4).
    expect(Math.abs(after.samples.loss![0]! - 4)).toBeLessThan(1.5);
    // The runs it was kept on are not its score: the runs after its keep are (this one and the
    // incumbent's side of the next candidate's pairs).
    const inc = incumbentState(log)!;
    expect(inc.iteration).toBe(big.iteration);
    const later = log.remeasures
      .filter((m) => m.iteration === big.iteration)
      .flatMap((m) => m.samples.loss!);
    expect(later[0]).toBe(after.samples.loss![0]);
    expect(inc.samples.loss).toEqual(later);
    expect(inc.score).toBeCloseTo(mean(later), 10);
    // Every surface reads the same score: results.tsv's kept row is it.
    const tsv = parseResultsTsv(git(repo, "show", "autoexp/t:.autoexp/t/results.tsv"));
    expect(tsv.rows[1]!.values.loss).toBeCloseTo(inc.score, 5);
  });

  it("paired: kept code whose run after its keep fails is not kept: the row is that failure, the incumbent stays", async () => {
    // Runs 0-3 the baseline; 4 the big change's screened run, 5 the incumbent beside it; 6-7 its
    // second pair, which keeps it (a 6 sd gain); 8 its run after the keep, which exits 3.
    const { repo, config, env } = setup(
      [[-6, "", "a big real improvement"]],
      "{ baseline_runs: 4 }",
      {
        CRASH_AT: "8",
      },
    );
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const log = ledger(repo);
    const big = log.results[1]!;
    expect(big.status).toBe("crash");
    expect(big.reason).toMatch(/^run 3: /);
    // The runs before it are still on the row (the screened run and its second pair's side).
    expect(big.samples.loss).toHaveLength(2);
    expect(log.remeasures.some((m) => m.reason === "after-keep")).toBe(false);
    expect(incumbentState(log)!.iteration).toBe(0);
  });

  it("keeps a shorter candidate that is equal within noise as a simplification", async () => {
    const { repo, config, env } = setup(
      [[0, "", "remove a line"]],
      "{ baseline_runs: 4, simplification: true, max_runs: 5, paired: false }",
    );
    writeFiles(repo, { "candidate.txt": "truth: 10\nx\ny\nz\n" });
    git(repo, "commit", "-qam", "longer");
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const row = ledger(repo).results[1]!;
    expect(row.lines_delta).toBe(-2);
    expect(row.samples.loss).toHaveLength(5);
    expect(row.status).toBe("simplification");
  });

  it("stops on budgets with the reason logged: plateau and consecutive failures", async () => {
    const plan: [number, string, string][] = Array.from({ length: 6 }, (_, i) => [
      3,
      "",
      `worse ${i}`,
    ]);
    const { repo, config, env } = setup(plan, "{ baseline_runs: 2 }");
    const result = await runBatch({
      repoDir: repo,
      config: { ...config, budget: { ...config.budget, plateau: 3 } },
      tag: "t",
      env,
    });
    expect(result.stopReason).toBe("plateau: no keep in 3 experiments (budget.plateau)");
    expect(ledger(repo).batches.at(-1)!.reason).toBe(result.stopReason);
    const failing = setup(
      Array.from({ length: 6 }, (_, i) => [-6, "broken", `broken ${i}`]),
      "{ baseline_runs: 2 }",
    );
    const stopped = await runBatch({
      repoDir: failing.repo,
      config: { ...failing.config, budget: { ...failing.config.budget, stop_after_failures: 2 } },
      tag: "t",
      env: failing.env,
    });
    expect(stopped.stopReason).toBe("2 consecutive failures (budget.stop_after_failures)");
    expect(stopped.experiments).toBe(2);
  });
});
