import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import { type ParsedLog, parseLog } from "../../action/ledger/log-jsonl.ts";
import { branchPoints } from "../../action/strategy/branch-points.ts";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

// Known truth per code (x.txt), plus noise of sd 0.006. R2 is 0.5 better than Q: the groups of
// runs that span the machine's change of speed widen the run noise to about 0.16, which pairs
// judge a trial by until the night has 10 degrees of freedom of them, and 0.2 better was kept
// only some nights. The machine runs 0.5 fast until the agent
// begins #2 (it leaves CALM behind): what was measured early (the baseline, #1) carries 0.5 in its
// recorded score, though not in its pairs (both sides ran fast). A lucky record, made by drift.
// With BROKEN_P, P's code no longer runs once the machine is calm.
const evalJs = (brokenP: boolean) => `
const fs = require("node:fs");
const truth = { base: 10, P: 9.9, Q: 10.2, R: 10.15, S: 9, T: 9.01, R2: 10.7 };
const x = fs.readFileSync("x.txt", "utf8").trim();
const fast = fs.existsSync(process.env.CALM) ? 0 : 0.5;
if (${brokenP} && x === "P" && !fast) process.exit(3);
console.log("score: " + ((truth[x] ?? 8) + fast + Math.random() * 0.02).toFixed(6));
`;

// A tuning agent with a plan: P (worse), Q (better: kept), R (a near-miss of Q), S and T (far
// worse): a plateau. Proposing on R's code it finds R2; on any other code, something far worse.
const AGENT = `
const fs = require("node:fs");
const n = Number(process.env.AUTOEXP_ITERATION);
if (n >= 2) fs.writeFileSync(process.env.CALM, "");
const x = fs.readFileSync("x.txt", "utf8").trim();
const next = n <= 5 ? ["P", "Q", "R", "S", "T"][n - 1] : x === "R" ? "R2" : "U" + n;
fs.writeFileSync("x.txt", next + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "x = " + next);
`;

function setup(strategy: string, pipeline = false, brokenP = false) {
  const repo = makeRepo({ "x.txt": "base\n", "eval.js": evalJs(brokenP) });
  const dir = tempDir();
  writeFiles(dir, { "agent.js": AGENT });
  const parsed = parseConfigText(`
name: lucky
target: [x.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { score: { goal: maximize } }, pass_env: [CALM] }
isolation: { shared: [${JSON.stringify(dir)}] }
decide: { baseline_runs: 2 }
pipeline: ${pipeline}
agent: { use: command, run: [node, ${JSON.stringify(join(dir, "agent.js"))}], pass_env: [CALM], writable: [${JSON.stringify(dir)}] }
budget: { experiments: 6 }
${strategy}
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return { repo, config: parsed.config, env: { ...process.env, CALM: join(dir, "calm") } };
}

const ledger = (repo: string): ParsedLog =>
  parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"));

describe("strategy branch: branch points measured beside the incumbent, in pairs", () => {
  it("after the stall measures the picked point in pairs beside the incumbent, then picks again: the lucky points lose to the truly best; a resume measures what was not", async () => {
    const { repo, config, env } = setup(
      "strategy: { use: branch, stall: 3, points: 3, remeasure: 2 }",
    );
    // Five experiments, then the batch ends: the stall is reached but nothing is measured yet.
    await runBatch({ repoDir: repo, config, tag: "t", env, experiments: 5 });
    let log = ledger(repo);
    expect(log.results.map((r) => r.status)).toEqual([
      "baseline",
      "discard",
      "keep",
      "discard",
      "discard",
      "discard",
    ]);
    expect(log.remeasures.filter((m) => m.beside)).toEqual([]);
    // On their recorded scores, the baseline and #1 (both 0.5 fast) lead R, the true near-miss.
    const incumbent = { iteration: 2, score: 0 };
    incumbent.score = log.results[2]!.score!;
    const recorded = branchPoints(log.results, incumbent, "maximize", 3, {
      remeasures: log.remeasures,
      metric: "score",
    });
    expect(recorded.map((p) => [p.iteration, p.measured])).toEqual([
      [0, "unpaired"],
      [1, "unpaired"],
      [3, "paired"],
    ]);

    // The next batch resumes: before its first proposal, the pick (the baseline) is measured
    // beside #2; it falls behind #1, picked and measured next; then R, paired already, is picked.
    await runBatch({ repoDir: repo, config, tag: "t", env, experiments: 1 });
    log = ledger(repo);
    const lines = log.remeasures.filter((m) => m.beside);
    const pairs = 2;
    expect(lines.map((m) => [m.iteration, m.beside, m.reason, m.samples.score?.length])).toEqual([
      [0, { point: 0, incumbent: 2 }, "branch", pairs],
      [2, { point: 0, incumbent: 2 }, "branch", pairs],
      [1, { point: 1, incumbent: 2 }, "branch", pairs],
      [2, { point: 1, incumbent: 2 }, "branch", pairs],
    ]);
    // Both sides of each pair ran with one seed; each side's runs took eval time.
    expect(lines[0]!.seeds).toHaveLength(pairs);
    expect(lines[1]!.seeds).toEqual(lines[0]!.seeds);
    expect(lines[3]!.seeds).toEqual(lines[2]!.seeds);
    expect(lines[2]!.seeds).not.toEqual(lines[0]!.seeds);
    for (const m of lines) {
      expect(m.after).toBe(5);
      expect(m.eval_seconds).toBeGreaterThan(0);
    }
    // Beside #2, the baseline is 0.2 worse and #1 0.3: R's own pairs (0.05 worse) rank it first.
    // R, judged in pairs against #2, had its gap already: it was not measured.
    const branch = log.branches![0]!;
    expect(branch.iteration).toBe(6);
    expect(branch.on).toBe(3);
    expect(branch.points.map((p) => [p.iteration, p.measured, p.pairs])).toEqual([
      [3, "paired", expect.any(Number)],
      [0, "paired", pairs],
      [1, "paired", pairs],
    ]);
    expect(branch.points[0]!.gain).toBeCloseTo(-0.05, 1);
    expect(branch.points[1]!.gain).toBeCloseTo(-0.2, 1);
    expect(branch.points[2]!.gain).toBeCloseTo(-0.3, 1);
    expect(branch.reason).toMatch(
      /proposing on #3 \(a near-miss, −0\.0\d+ \(worse\) against the incumbent #2, measured beside it in \d pairs?;/,
    );
    // Proposed on R's code, the agent found R2, kept against #2 beside it.
    const six = log.results[6]!;
    expect([six.proposed_on, six.status, six.description]).toEqual([3, "keep", "x = R2"]);
    expect(git(repo, "show", "autoexp/t:x.txt")).toBe("R2\n");
    // The measured lines come before the branch line and the row it precedes.
    const raw = git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; beside?: unknown; iteration: number });
    const firstBeside = raw.findIndex((l) => l.type === "remeasure" && l.beside);
    const branchAt = raw.findIndex((l) => l.type === "branch");
    expect(firstBeside).toBeGreaterThan(
      raw.findIndex((l) => l.type === "result" && l.iteration === 5),
    );
    expect(branchAt).toBeGreaterThan(firstBeside + 3);
    // The dashboard counts the points' runs apart from the incumbent's.
    const dashboard = git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md");
    expect(dashboard).toMatch(new RegExp(`eval runs: \\d+ \\(.*, ${2 * pairs} of branch points,`));

    // R2 (#6) is the incumbent; three far worse proposals on it stall again. Offered beside #6:
    // the baseline and #1 (lucky records, as before), Q (#2) and R (#3), none with a gap measured
    // beside #6. The picks: the baseline, #1, then Q (truly 0.5 worse), which stays first once
    // measured: R, offered under it but never picked, is not measured.
    await runBatch({ repoDir: repo, config, tag: "t", env, experiments: 4 });
    log = ledger(repo);
    expect(log.results.slice(7).map((r) => r.status)).toEqual([
      "discard",
      "discard",
      "discard",
      "discard",
    ]);
    const again = log.remeasures.filter((m) => m.beside?.incumbent === 6);
    expect(again.map((m) => [m.iteration, m.beside!.point])).toEqual([
      [0, 0],
      [6, 0],
      [1, 1],
      [6, 1],
      [2, 2],
      [6, 2],
    ]);
    // (#7 switched back from R's branch to the incumbent's: a branch line with `on: null`.)
    const second = log.branches!.find((b) => b.incumbent === 6 && b.on !== null)!;
    expect([second.iteration, second.on]).toEqual([10, 2]);
    expect(second.points.slice(0, 2).map((p) => [p.iteration, p.measured])).toEqual([
      [2, "paired"],
      [3, "unpaired"],
    ]);
    expect(second.points[0]!.gain).toBeCloseTo(-0.5, 1);
  }, 120_000);

  it("no longer offers a point whose code fails beside the incumbent, and records why", async () => {
    const { repo, config, env } = setup(
      "strategy: { use: branch, stall: 3, points: 2, remeasure: 2 }",
      false,
      true,
    );
    await runBatch({ repoDir: repo, config, tag: "t", env, experiments: 6 });
    const log = ledger(repo);
    const lines = log.remeasures.filter((m) => m.beside);
    // #1 failed in its first run: its line has no runs and says why, beside the incumbent's runs
    // made in that pair (if the incumbent's side ran first) or none.
    const one = lines.filter((m) => m.beside!.point === 1);
    expect(one[0]!.iteration).toBe(1);
    expect(one[0]!.samples).toEqual({});
    expect(one[0]!.note).toMatch(
      /^its code failed beside the incumbent \(.+\); no longer offered\. Log: /,
    );
    expect(one.slice(1).every((m) => m.iteration === 2 && m.samples.score!.length <= 1)).toBe(true);
    // The batch went on: R came into the offered set in #1's place, and was proposed on.
    const branch = log.branches![0]!;
    expect(branch.points.map((p) => p.iteration)).toEqual([3, 0]);
    expect(branch.on).toBe(3);
    expect(log.results[6]!.status).toBe("keep");
  }, 120_000);

  it("measures the picked point before the first proposal on it, with proposals in flight (pipelined)", async () => {
    const { repo, config, env } = setup(
      "strategy: { use: branch, stall: 3, points: 2, remeasure: 2 }",
      true,
    );
    // Calm from the start: with proposals in flight, #2's agent would make the machine calm
    // somewhere inside #1's pairs (a race), and a pair half fast, half calm inflates the noise.
    writeFileSync(env.CALM, "");
    // Proposals begun before the stall was recorded climb; the ones after it branch.
    await runBatch({ repoDir: repo, config, tag: "t", env, experiments: 9 });
    const raw = git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; beside?: unknown });
    const log = ledger(repo);
    const first = log.branches![0]!;
    // The point it proposes on was measured beside the incumbent of that line, before it.
    const on = first.points.find((p) => p.iteration === first.on)!;
    expect(on.measured).toBe("paired");
    const measured = log.remeasures.filter((m) => m.beside?.incumbent === first.incumbent);
    expect(measured.length).toBeGreaterThanOrEqual(2);
    expect(raw.findIndex((l) => l.type === "remeasure" && l.beside)).toBeLessThan(
      raw.findIndex((l) => l.type === "branch"),
    );
    // At most `points` measured beside one incumbent.
    expect(new Set(measured.map((m) => m.beside!.point)).size).toBeLessThanOrEqual(2);
  }, 120_000);

  it("under climb measures no branch point", async () => {
    const { repo, config, env } = setup(
      "strategy: { use: climb, stall: 3, points: 2, remeasure: 2 }",
    );
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const log = ledger(repo);
    expect(log.results).toHaveLength(7);
    expect(log.remeasures.filter((m) => m.beside || m.reason === "branch")).toEqual([]);
    expect(log.branches ?? []).toEqual([]);
  }, 120_000);
});
