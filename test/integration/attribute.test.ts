import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AttributeEntry } from "../../action/ledger/types.ts";
import { branchLog, git, makeRepo, runCli, tempDir, writeFiles } from "../helpers/repo.ts";

// model.txt holds one switch per line; the loss is 20 minus each switched-on line's true effect,
// plus noise from a seeded generator (mulberry32) indexed by a run counter outside the slot (sd ≈ 0.3). A
// "luck" file written by the agent gives the next runs of one exact content a favourable draw:
// how a change that does nothing gets kept in a night.
const EVAL = `
const fs = require("node:fs");
const text = fs.readFileSync("model.txt", "utf8");
const effects = { a: 3, b: 3, c: 3, d: 0, e: 0 };
let loss = 20;
for (const [line, effect] of Object.entries(effects))
  if (new RegExp("^" + line + ": 1$", "m").test(text)) loss -= effect;
const counter = process.env.STATE + "/counter";
const n = Number(fs.existsSync(counter) ? fs.readFileSync(counter, "utf8") : 0);
fs.writeFileSync(counter, String(n + 1));
let s = n * 7919 + 1;
const uniform = () => {
  s = (s + 0x6d2b79f5) | 0;
  let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
const noise = 0.3 * (uniform() + uniform() + uniform() + uniform() - 2) * Math.sqrt(3);
const luckFile = process.env.STATE + "/luck.json";
let luck = 0;
if (fs.existsSync(luckFile)) {
  const l = JSON.parse(fs.readFileSync(luckFile, "utf8"));
  if (l.content === text && l.left > 0) {
    luck = l.draw;
    fs.writeFileSync(luckFile, JSON.stringify({ ...l, left: l.left - 1 }));
  }
}
console.log("loss: " + (loss + noise + luck));
`;

// The agent plays a fixed plan: switch one line on per experiment; a lucky one leaves a luck file
// for its own content (its first runs draw well), the others clear it.
const AGENT = `
const fs = require("node:fs");
const [line, luck] = JSON.parse(process.env.PLAN)[Number(process.env.AUTOEXP_ITERATION) - 1];
const text = fs.readFileSync("model.txt", "utf8").replace(new RegExp("^" + line + ": 0$", "m"), line + ": 1");
fs.writeFileSync("model.txt", text);
const luckFile = process.env.STATE + "/luck.json";
if (luck) fs.writeFileSync(luckFile, JSON.stringify({ content: text, left: 2, draw: luck }));
else fs.rmSync(luckFile, { force: true });
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "switch " + line + " on");
`;

const PLAN = [
  ["a", 0],
  ["b", 0],
  ["c", 0],
  ["d", -3],
  ["e", -6],
];

function setup() {
  const repo = makeRepo({ "model.txt": "a: 0\nb: 0\nc: 0\nd: 0\ne: 0\n", "eval.js": EVAL });
  const outside = tempDir();
  const state = join(outside, "state");
  writeFiles(outside, { "agent.js": AGENT, "state/.keep": "" });
  const config = join(outside, "autoexp.yml");
  writeFiles(outside, {
    "autoexp.yml": `
name: attributing
target: [model.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  metrics: { loss: { goal: minimize } }
  pass_env: [STATE]
isolation: { shared: [${JSON.stringify(state)}] }
agent: { use: command, run: [node, ${JSON.stringify(join(outside, "agent.js"))}], pass_env: [PLAN, STATE], writable: [${JSON.stringify(outside)}] }
budget: { experiments: ${PLAN.length} }
pipeline: false
decide: { baseline_runs: 3, remeasure_every: 0 }
`,
  });
  return { repo, config, state, env: { STATE: state, PLAN: JSON.stringify(PLAN) } };
}

describe("autoexp attribute", () => {
  it("finds the 3 changes that carry the gain and flags the 2 kept by luck", () => {
    const { repo, config, state, env } = setup();
    const run = runCli(repo, ["run", "--config", config, "--tag", "t"], env);
    expect(run.code, run.stderr).toBe(0);
    const kept = branchLog(repo, "t").filter((e) => e.type === "result" && e.status === "keep");
    expect(kept.map((k) => k.description)).toEqual(PLAN.map(([l]) => `switch ${l} on`));
    // The night is over: no draw is lucky any more.
    rmSync(join(state, "luck.json"), { force: true });
    const before = Number(readFileSync(join(state, "counter"), "utf8"));

    // Without --yes: the estimate and the plan, nothing run.
    const dry = runCli(repo, ["attribute", "--config", config, "--tag", "t", "--pairs", "5"], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      /Would run 50 eval runs \(5 changes × 5 pairs × 2\), about [\d.]+ (s|min) of eval time/,
    );
    expect(dry.stdout).toContain("#4 ");
    expect(dry.stdout).toContain("Nothing was run");
    expect(Number(readFileSync(join(state, "counter"), "utf8"))).toBe(before);
    expect(branchLog(repo, "t").some((e) => e.type === "attribute")).toBe(false);

    const yes = runCli(
      repo,
      ["attribute", "--config", config, "--tag", "t", "--pairs", "5", "--yes", "--seed", "1"],
      env,
    );
    expect(yes.code, yes.stderr).toBe(0);
    const line = branchLog(repo, "t").at(-1) as unknown as AttributeEntry;
    expect(line.type).toBe("attribute");
    expect(line.runs).toBe(50);
    expect(Number(readFileSync(join(state, "counter"), "utf8")) - before).toBe(50);
    const byLine = Object.fromEntries(line.changes.map((c) => [c.description.at(-4), c]));
    for (const real of ["a", "b", "c"]) {
      const c = byLine[real]!;
      expect(c.status).toBe("measured");
      expect(c.effect!.gain).toBeGreaterThan(2);
      expect(c.effect!.ci![0]).toBeGreaterThan(0);
      expect(c.drop_candidate).toBe(false);
    }
    for (const lucky of ["d", "e"]) {
      const c = byLine[lucky]!;
      expect(c.effect!.ci![0]).toBeLessThanOrEqual(0);
      expect(c.effect!.ci![1]).toBeGreaterThanOrEqual(0);
      expect(c.drop_candidate).toBe(true);
    }
    // Each "without" commit is the final code with exactly that line switched back off.
    for (const c of line.changes) {
      const model = git(repo, "show", `${c.without_commit}:model.txt`);
      const l = c.description.at(-4);
      expect(model).toBe(
        git(repo, "show", `${line.final_commit}:model.txt`).replace(`${l}: 1`, `${l}: 0`),
      );
    }
    expect(yes.stdout).toMatch(/#4 switch d on: .* candidate to drop/);
    const dashboard = git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md");
    expect(dashboard).toContain("### Each kept change's share");
    expect(dashboard).toMatch(
      /\| 5 \| `[0-9a-f]{7}` \| switch e on \| .* \| 5 \| ⚠ candidate to drop/,
    );
    console.log(
      `attribute: ${line.runs} eval runs (the GPU runs of a real night), ${line.eval_seconds} s; estimated ${line.estimated_seconds} s\n${line.changes.map((c) => `  #${c.iteration} ${c.description}: ${c.effect!.gain.toFixed(2)} [${c.effect!.ci!.map((x) => x.toFixed(2)).join(", ")}]`).join("\n")}`,
    );
  });
});
