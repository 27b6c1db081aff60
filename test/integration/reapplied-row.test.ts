// A change re-applied onto a newer incumbent after its evaluation against the one it was made
// for ended in its favour: its row says so (ResultEntry.reapplied), through the real engine:
// three workers, real git, real eval processes, changes that merge or (each also writing a line
// they all share) never do, so the agent is asked again.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";
import { nightLog } from "../helpers/sequence-eval.ts";

const EXPERIMENTS = 30;

// score = the sum of the slots set, plus noise of sd 0.1; each run appends "<its code> <when it
// started, ms>" to RUNS (outside the slot: isolation none), its code being the slots set, joined.
const EVAL = `
const fs = require("node:fs");
const started = Date.now();
const text = fs.readFileSync("candidate.txt", "utf8");
let truth = 10;
const on = [];
for (const m of text.matchAll(/^idea (\\d+): (-?\\d+)$/gm)) { truth += Number(m[2]); on.push(m[1]); }
const u = () => { let x = 0; while (x === 0) x = Math.random(); return x; };
const noise = 0.1 * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
fs.appendFileSync(process.env.RUNS, (on.join("+") || "-") + " " + started + "\\n");
console.log("score: " + (truth + noise));
`;

// Change i sets its own slot to its planned effect (each slot between blank lines, so that any
// change merges onto an incumbent that set others); with SHARED, it also writes its number into
// the first line, which every change then changes (none merges).
const AGENT = `
const fs = require("node:fs");
const i = Number(process.env.AUTOEXP_ITERATION);
const effect = JSON.parse(process.env.PLAN)[i - 1];
let text = fs.readFileSync("candidate.txt", "utf8");
if (process.env.SHARED) text = text.replace(/^last: .*$/m, "last: " + i);
fs.writeFileSync("candidate.txt", text.replace(new RegExp("^idea " + i + ": -$", "m"), "idea " + i + ": " + effect));
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "idea " + i + ": " + effect);
`;

/**
 * A night of AGENT on three workers: every third change helps by 20 run sds, so keeps land while
 * the other workers' candidates are in flight, and the helpful ones among those beat the
 * incumbent they were made for. The ledger, the repo and the code of every run the eval made.
 */
async function reappliedNight(shared: boolean) {
  const plan = Array.from({ length: EXPERIMENTS }, (_, i) => (i % 3 === 1 ? 2 : 0));
  const repo = makeRepo({
    "candidate.txt": `last: -\n\n${Array.from({ length: EXPERIMENTS }, (_, i) => `idea ${i + 1}: -\n`).join("\n")}`,
    "eval.js": EVAL,
  });
  const dir = tempDir();
  writeFiles(dir, { "agent.js": AGENT });
  const runsFile = join(dir, "runs");
  const log = await nightLog(
    repo,
    `name: reapplied
target: [candidate.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { score: { goal: maximize } }, pass_env: [RUNS] }
isolation: none
workers: 3
decide: { baseline_runs: 3, remeasure_every: 0 }
agent: { use: command, run: [node, ${JSON.stringify(join(dir, "agent.js"))}], pass_env: [PLAN, SHARED] }
budget: { experiments: ${EXPERIMENTS} }
`,
    { PLAN: JSON.stringify(plan), RUNS: runsFile, ...(shared ? { SHARED: "1" } : {}) },
  );
  const lines = readFileSync(runsFile, "utf8").trim().split("\n");
  const runs = lines.map((l) => l.split(" ")[0]!);
  const started = lines.map((l) => Number(l.split(" ")[1]));
  return { repo, log, runs, started };
}

/**
 * Each re-applied row against what the eval ran: the incumbent it says it beat (or was still in
 * the running against) was kept before it, its commit holds its change on a newer incumbent, and
 * the eval ran its change on that incumbent's code, where a stopped one stopped. The rows
 * re-applied.
 */
function checkReapplied({ repo, log, runs, started }: Awaited<ReturnType<typeof reappliedNight>>) {
  const rows = log.results.filter((r) => r.status !== "baseline");
  const again = rows.filter((r) => r.reapplied?.length);
  // Proof the night re-applied changes.
  expect(again.length).toBeGreaterThan(0);
  const kept = new Set([0, ...rows.filter((r) => r.status === "keep").map((r) => r.iteration)]);
  // Where a row stands in the record: a keep may be recorded ahead of experiments begun before
  // it (steps.ts, recordAhead), so what came first is read from the record's order.
  const place = (iteration: number) => log.results.findIndex((x) => x.iteration === iteration);
  for (const r of again) {
    const left = r.reapplied!.at(-1)!;
    expect(["keep", "undecided", "stopped"]).toContain(left.status);
    expect(kept.has(left.from)).toBe(true);
    expect(place(r.iteration)).toBeGreaterThan(place(left.from));
    // Judged on the incumbent of its record, or (the incumbent moved again while it ran, and it
    // lost there) on the newer one it was re-applied onto, named by `against`.
    if (r.against !== undefined) {
      expect(kept.has(r.against)).toBe(true);
      expect(place(r.against)).toBeGreaterThan(place(left.from));
    }
    // Its commit holds its own slot on top of a newer incumbent's code (one with slots set).
    const code = codeOf(git(repo, "show", `${r.commit_full}:candidate.txt`));
    expect(code.split("+")).toContain(`${r.iteration}`);
    expect(code.split("+").length).toBeGreaterThan(1);
    // The evaluation it left behind ran its change on the code of the incumbent it beat: the
    // eval saw that code with its slot set, which is not its recorded commit's.
    const beaten = log.results.find((x) => x.iteration === left.from)!;
    const before = codeOf(git(repo, "show", `${beaten.commit_full}:candidate.txt`));
    const old = [...(before ? before.split("+") : []), `${r.iteration}`]
      .sort((a, b) => Number(a) - Number(b))
      .join("+");
    expect(old).not.toBe(code);
    expect(runs).toContain(old);
    // Stopped: no run of that code began after the keep that replaced the incumbent it beat was
    // recorded, but the one under way then (finished, the trial would have gone on in pairs).
    if (left.status === "stopped") {
      const keep = log.results.find((x, i) => i > place(left.from) && x.status === "keep")!;
      const at = Date.parse(keep.timestamp);
      const later = runs.filter((c, i) => c === old && started[i]! > at).length;
      expect(later).toBeLessThanOrEqual(1);
    }
  }
  return again;
}

describe("a change re-applied after it beat the incumbent it was made for, through the engine", () => {
  it("records what it beat and how its evaluation there ended, and is judged again with its change on the new incumbent", async () => {
    const again = checkReapplied(await reappliedNight(false));
    // Keeps land while others are still in the running: those are stopped, not finished (three
    // nights of this one had 6 to 11 of their 13 to 15 re-applied rows stopped).
    expect(again.some((r) => r.reapplied!.some((a) => a.status === "stopped"))).toBe(true);
    // Each merged: the agent was never asked again.
    expect(again.filter((r) => r.reapplied!.some((a) => a.asked_again))).toEqual([]);
  }, 180_000);

  it("says so where the change no longer merged and the agent was asked again", async () => {
    const again = checkReapplied(await reappliedNight(true));
    for (const r of again) expect(r.reapplied!.at(-1)!.asked_again).toBe(true);
  }, 180_000);
});

function codeOf(text: string): string {
  return [...text.matchAll(/^idea (\d+): (-?\d+)$/gm)].map((m) => m[1]).join("+");
}
