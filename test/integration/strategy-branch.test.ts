import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { renderPr } from "../../app/pr-body.ts";
import { branchLog, git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

// Known truth with a local optimum: two switches, a.txt and b.txt. Either one alone costs 0.1;
// both together gain BOTH (1 in one eval, -0.3 in the other). With NOISE 0 runs of the same code
// agree (the ledger is exact); else each run adds up to NOISE, so candidates are measured in pairs.
const evalWith = (both: number, noise: number) => `
const fs = require("node:fs");
const a = Number(fs.readFileSync("a.txt", "utf8")) > 0;
const b = Number(fs.readFileSync("b.txt", "utf8")) > 0;
const score = 10 + (a && b ? ${both} : 0) - (a !== b ? 0.1 : 0) + Math.random() * ${noise};
console.log("score: " + score.toFixed(6));
`;

// A climber that turns one switch on, the one its iteration's parity picks among those still off:
// from the baseline it tries b, then a, then repeats itself; it never turns both on in one change.
// It keeps a copy of each prompt it was given, by iteration.
const AGENT = `
const fs = require("node:fs");
const off = ["a.txt", "b.txt"].filter((f) => Number(fs.readFileSync(f, "utf8")) === 0);
const n = Number(process.env.AUTOEXP_ITERATION);
fs.copyFileSync(process.env.AUTOEXP_PROMPT_FILE, process.env.PROMPTS + "/" + n + ".md");
if (off.length > 0) {
  const f = off[n % off.length];
  fs.writeFileSync(f, "1\\n");
  fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "turn " + f + " on");
} else fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "nothing left to turn on");
`;

// A landscape where a discard's premise changes: a alone gains 0.5; b alone costs 0.1 on the
// baseline but gains 0.5 once a is on. Each run adds up to NOISE.
const evalRevisit = (noise: number) => `
const fs = require("node:fs");
const a = Number(fs.readFileSync("a.txt", "utf8")) > 0;
const b = Number(fs.readFileSync("b.txt", "utf8")) > 0;
const score = 10 + (a ? 0.5 : 0) + (b ? (a ? 0.5 : -0.1) : 0) + Math.random() * ${noise};
console.log("score: " + score.toFixed(6));
`;

// An agent that tries each switch once, b then a (its state in the prompts folder), then has
// nothing of its own: it describes itself with $ASK (e.g. a revisit request) or says so.
const ONCE_AGENT = `
const fs = require("node:fs");
const n = Number(process.env.AUTOEXP_ITERATION);
fs.copyFileSync(process.env.AUTOEXP_PROMPT_FILE, process.env.PROMPTS + "/" + n + ".md");
const state = process.env.PROMPTS + "/tried.json";
const tried = fs.existsSync(state) ? JSON.parse(fs.readFileSync(state, "utf8")) : [];
const next = ["b.txt", "a.txt"].find((f) => !tried.includes(f));
let description = process.env.ASK || "nothing left to turn on";
if (next) {
  fs.writeFileSync(next, "1\\n");
  fs.writeFileSync(state, JSON.stringify([...tried, next]));
  description = "turn " + next + " on";
}
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, description);
`;

function setup(options: {
  both: number;
  strategy: string;
  pipeline?: boolean;
  experiments: number;
  noise?: number;
  /** Another eval and agent than the plateau's (the revisit tests). */
  evalJs?: string;
  agentJs?: string;
  ask?: string;
}) {
  const repo = makeRepo({
    "a.txt": "0\n",
    "b.txt": "0\n",
    "eval.js": options.evalJs ?? evalWith(options.both, options.noise ?? 0),
  });
  const dir = tempDir();
  const prompts = join(dir, "prompts");
  writeFiles(dir, { "agent.js": options.agentJs ?? AGENT, "prompts/.keep": "" });
  const parsed = parseConfigText(`
name: plateau
target: [a.txt, b.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { score: { goal: maximize } } }
decide: { baseline_runs: 2 }
pipeline: ${options.pipeline ?? false}
agent: { use: command, run: [node, ${JSON.stringify(join(dir, "agent.js"))}], pass_env: [PROMPTS, ASK], writable: [${JSON.stringify(prompts)}] }
budget: { experiments: ${options.experiments} }
${options.strategy}
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const env = { ...process.env, PROMPTS: prompts, ASK: options.ask ?? "" };
  return { repo, config: parsed.config, env, prompts };
}

/** The ledger without what differs between two runs: times, seconds, commit ids. */
function normalised(repo: string): string[] {
  const ids = new Map<string, string>();
  return branchLog(repo, "t").map((entry) => {
    const e = { ...entry } as Record<string, unknown>;
    for (const k of Object.keys(e))
      if (k === "timestamp" || k === "runs_on" || k.endsWith("_seconds")) delete e[k];
    return JSON.stringify(e)
      .replace(/\b[0-9a-f]{40}\b/g, (sha) => {
        if (!ids.has(sha)) ids.set(sha, `C${ids.size}`);
        return ids.get(sha)!;
      })
      .replace(/"commit":"[0-9a-f]{7}"/g, '"commit":"short"')
      .replace(/\/tmp\/autoexp-test-\w+/g, "DIR");
  });
}

describe("strategy branch: leaving a plateau", () => {
  it("proposes on a near-miss after the stall, keeps what beats the incumbent beside it, and the keep reproduces", async () => {
    const { repo, config, env, prompts } = setup({
      both: 1,
      strategy: "strategy: { use: branch, stall: 3 }",
      experiments: 5,
      noise: 0.002,
    });
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const log = parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"));
    const rows = log.results;
    // Climbing: b alone, a alone (both 0.1 worse), then b again (a duplicate): a plateau.
    expect(rows.slice(1, 4).map((r) => [r.status, r.proposed_on])).toEqual([
      ["discard", undefined],
      ["discard", undefined],
      ["duplicate", undefined],
    ]);
    // Stalled for 3: proposed on the nearer of the two near-misses (#1: b on, #2: a on; noise
    // ranks them), where the agent turns the other switch on too.
    const first = log.branches![0]!;
    const point = first.points[0]!.iteration;
    const other = 3 - point;
    const onBranch = rows[4]!;
    expect(onBranch.proposed_on).toBe(point);
    expect(onBranch.status).toBe("keep");
    expect(onBranch.delta).toBeCloseTo(1, 2);
    expect(onBranch.against).toBeUndefined(); // judged against the incumbent, #0
    // Measured beside the incumbent: the incumbent's own runs paired with #4's.
    expect(log.remeasures.some((m) => m.iteration === 0 && m.paired_with === 4)).toBe(true);
    // The keep ended the stall: #5 climbs from the new incumbent again.
    expect(rows[5]!.proposed_on).toBeUndefined();
    // Each switch is a line, before the first row on the new branch.
    expect(log.branches!.map((b) => [b.iteration, b.from, b.on, b.incumbent])).toEqual([
      [4, null, point, 0],
      [5, point, null, 4],
    ]);
    expect(first.reason).toContain(
      `no keep in the last 3 experiments (strategy.stall 3): proposing on #${point} (a near-miss, −0.`,
    );
    // strategy.remeasure unset (off): no point is re-measured beside the incumbent; each is
    // ranked on its recorded run (screened out on it: no pairs of its own on record).
    expect(first.points.map((p) => [p.iteration, p.kind, p.measured])).toEqual([
      [point, "near-miss", "unpaired"],
      [other, "near-miss", "unpaired"],
    ]);
    expect(log.remeasures.filter((m) => m.beside || m.reason === "branch")).toEqual([]);
    expect(first.points[0]!.gain).toBeCloseTo(-0.1, 2);
    const order = branchLog(repo, "t")
      .map((l) =>
        l.type === "branch"
          ? `branch@${l.iteration}`
          : l.type === "result"
            ? `#${l.iteration}`
            : null,
      )
      .filter(Boolean);
    expect(order.slice(4, 8)).toEqual(["branch@4", "#4", "branch@5", "#5"]);
    // The agent was told which code it held and why.
    const told = readFileSync(join(prompts, "4.md"), "utf8");
    expect(told).toContain("## The branch you are proposing on");
    expect(told).toContain(`experiment #${point}, which was not kept but came close`);
    expect(readFileSync(join(prompts, "3.md"), "utf8")).not.toContain(
      "The branch you are proposing on",
    );
    // The kept commit carries the point's switch although the agent changed only the other, and its eval
    // gives the same score in a clean checkout of the branch.
    const clean = tempDir();
    git(repo, "worktree", "add", "--detach", clean, "autoexp/t");
    expect(readFileSync(join(clean, "a.txt"), "utf8")).toBe("1\n");
    expect(readFileSync(join(clean, "b.txt"), "utf8")).toBe("1\n");
    const again = execFileSync("node", ["eval.js"], { cwd: clean, encoding: "utf8" });
    expect(Number(/score: (\S+)/.exec(again)![1])).toBeCloseTo(11, 2);
    // The dashboard shows the tree: the point, its proposals and which keep came from it.
    const dashboard = git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md");
    expect(dashboard).toContain("## Branches (2 switches)");
    expect(dashboard).toMatch(
      /\| #[12] \(near-miss\) \| −0\.\d+ worse \(means at different times\) \| 1 \| #4 \|/,
    );
    // The PR body draws the same tree, each point and keep linked to its commit.
    const pr = renderPr(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"), {
      tag: "t",
      repoUrl: "https://github.com/o/r",
    });
    expect(pr.body).toContain("### Branches (2 switches)");
    expect(pr.body).toMatch(
      new RegExp(
        `\\| #${point} \\[\`[0-9a-f]{7}\`\\]\\(https://github.com/o/r/commit/[0-9a-f]{40}\\) \\(near-miss\\) \\| .+ \\| 1 \\| #4 \\[`,
      ),
    );
  }, 120_000);

  it("discards a change made on a branch point that does not beat the incumbent", async () => {
    const { repo, config, env } = setup({
      both: -0.3,
      strategy: "strategy: { use: branch, stall: 3 }",
      experiments: 4,
      noise: 0.002,
    });
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const log = parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"));
    const row = log.results[4]!;
    expect(row.proposed_on).toBe(log.branches![0]!.points[0]!.iteration);
    // Both switches on: 9.7, against the incumbent's 10 measured beside it.
    expect(row.status).toBe("discard");
    expect(row.delta).toBeCloseTo(-0.3, 2);
    // The branch still holds the baseline's code; the attempt is under its ref, with both on.
    expect(git(repo, "show", "autoexp/t:a.txt")).toBe("0\n");
    expect(git(repo, "show", "autoexp/t:b.txt")).toBe("0\n");
    expect(git(repo, "show", `${row.diff}:a.txt`)).toBe("1\n");
    expect(git(repo, "show", `${row.diff}:b.txt`)).toBe("1\n");
  }, 120_000);

  it("with use: climb writes the same ledger as without the key", async () => {
    const ledgers: string[][] = [];
    for (const strategy of ["", "strategy: { use: climb, stall: 3 }"]) {
      const { repo, config, env } = setup({ both: 1, strategy, experiments: 5 });
      await runBatch({ repoDir: repo, config, tag: "t", env });
      ledgers.push(normalised(repo));
    }
    const [without, climb] = ledgers as [string[], string[]];
    expect(climb).toEqual(without);
    expect(without.some((l) => l.includes('"type":"branch"') || l.includes("proposed_on"))).toBe(
      false,
    );
    // The climber never finds the pair: nothing kept.
    expect(without.filter((l) => l.includes('"status":"keep"'))).toEqual([]);
  }, 120_000);

  it("branches the same way with proposals in flight (pipelined)", async () => {
    const { repo, config, env } = setup({
      both: 1,
      strategy: "strategy: { use: branch, stall: 3 }",
      pipeline: true,
      experiments: 7,
    });
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const log = parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"));
    const kept = log.results.filter((r) => r.status === "keep");
    expect(kept.map((r) => r.proposed_on)).toEqual([log.branches![0]!.on]);
    expect([1, 2]).toContain(log.branches![0]!.on);
    expect(git(repo, "show", "autoexp/t:a.txt") + git(repo, "show", "autoexp/t:b.txt")).toBe(
      "1\n1\n",
    );
  }, 120_000);

  it("revisits a discard judged against an earlier incumbent once, onto the new one, when the bandit picks it", async () => {
    const { repo, config, env, prompts } = setup({
      both: 0,
      evalJs: evalRevisit(0.002),
      agentJs: ONCE_AGENT,
      strategy: "strategy: { use: branch, stall: 2, points: 1 }",
      experiments: 12,
    });
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const log = parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"));
    const rows = log.results;
    // b alone loses on the baseline; a alone wins: #1's premise (the incumbent #0) is replaced.
    expect(rows.slice(1, 3).map((r) => r.status)).toEqual(["discard", "keep"]);
    const revisits = rows.filter((r) => r.revisit_of !== undefined);
    expect(revisits.map((r) => r.revisit_of)).toEqual([1]); // once, never twice
    const r = revisits[0]!;
    // Stalled (2 without a keep), the bandit tried its one point (#0) first, then the revisit arm.
    expect(r.iteration).toBe(6);
    expect(rows[5]!.proposed_on).toBe(0);
    expect(r.proposed_on).toBeUndefined();
    expect(r.description).toBe(
      "revisit of #1 (discarded against #0; picked by strategy branch) onto #2: turn b.txt on",
    );
    // Judged beside the current incumbent like any candidate: b on a's code gains 0.5.
    expect(r.status).toBe("keep");
    expect(r.against).toBeUndefined();
    expect(r.delta).toBeCloseTo(0.5, 2);
    expect(log.remeasures.some((m) => m.iteration === 2 && m.paired_with === 6)).toBe(true);
    expect(git(repo, "show", "autoexp/t:a.txt") + git(repo, "show", "autoexp/t:b.txt")).toBe(
      "1\n1\n",
    );
    // A revisit is no switch of branch: the lines are #0 at 5, back to the incumbent after. The
    // night stalled again later (more switches) and #1 was not revisited a second time.
    expect(log.branches!.slice(0, 2).map((b) => [b.iteration, b.on])).toEqual([
      [5, 0],
      [7, null],
    ]);
    expect(log.branches!.length).toBeGreaterThan(2);
    // The agent is told what was revisited and how it went.
    expect(readFileSync(join(prompts, "7.md"), "utf8")).toMatch(
      /## Revisits\nRevisited so far:\n- #6 revisited #1: keep \(\+0\.(49|50)\d\)/,
    );
    // The dashboard and the PR show it.
    const dashboard = git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md");
    expect(dashboard).toMatch(/## Branches \(\d+ switches, 1 revisit\)/);
    expect(dashboard).toMatch(/\| #6 \| #1 \| keep \| \+0\.(49|50)\d* \|/);
  }, 120_000);

  it("revisits a discard the agent asks for, once; a second ask is refused, and climb ignores it", async () => {
    const { repo, config, env, prompts } = setup({
      both: 0,
      evalJs: evalRevisit(0.002),
      agentJs: ONCE_AGENT,
      strategy: "strategy: { use: branch, stall: 50 }",
      experiments: 4,
      ask: "revisit: #1",
    });
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const rows = parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl")).results;
    expect(rows.map((r) => [r.status, r.revisit_of])).toEqual([
      ["baseline", undefined],
      ["discard", undefined],
      ["keep", undefined],
      ["keep", 1],
      ["no_change", undefined],
    ]);
    expect(rows[3]!.description).toBe(
      "revisit of #1 (discarded against #0; asked for by the agent) onto #2: turn b.txt on",
    );
    expect(rows[4]!.description).toBe("revisit: #1");
    // The agent was offered #1 (and told how to ask) before, and not after.
    const before = readFileSync(join(prompts, "3.md"), "utf8");
    expect(before).toContain("## Revisits");
    expect(before).toMatch(/- #1 \(-0\.\d+ against #0\): turn b\.txt on/);
    expect(before).toContain("write a line `revisit: #N` in your description file");
    expect(readFileSync(join(prompts, "4.md"), "utf8")).not.toContain("against #0): turn b");

    // Under climb (today's loop) the same request is only a description.
    const climbing = setup({
      both: 0,
      evalJs: evalRevisit(0.002),
      agentJs: ONCE_AGENT,
      strategy: "strategy: { use: climb }",
      experiments: 3,
      ask: "revisit: #1",
    });
    await runBatch({
      repoDir: climbing.repo,
      config: climbing.config,
      tag: "t",
      env: climbing.env,
    });
    const climbed = parseLog(git(climbing.repo, "show", "autoexp/t:.autoexp/t/log.jsonl")).results;
    expect(climbed.map((r) => [r.status, r.revisit_of])).toEqual([
      ["baseline", undefined],
      ["discard", undefined],
      ["keep", undefined],
      ["no_change", undefined],
    ]);
    expect(readFileSync(join(climbing.prompts, "3.md"), "utf8")).not.toContain("## Revisits");
  }, 120_000);
});
