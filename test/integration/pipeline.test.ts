import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evalSpent } from "../../action/ledger/eval-spent.ts";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { branchLog, git, makeRepo, runCli, tempDir, writeFiles } from "../helpers/repo.ts";

// model.txt holds one switch per line; the loss is 20 minus the true effect of each line switched
// on. Deterministic, and slow enough (300 ms) that five candidates are in flight on three
// workers. Every run appends the code it ran on to a file outside the slot: how often each code
// was evaluated, seen from outside autoexp.
/** An eval of model.txt's switches (loss 20 less each switched line's effect) that appends the
 * code each run ran on to STATE/runs, outside the slot; `noise`: uniform ±0.005 around the truth. */
function countingEval(effects: Record<string, number>, delayMs: number, noise = false): string {
  return `
const fs = require("node:fs");
const text = fs.readFileSync("model.txt", "utf8");
const effects = ${JSON.stringify(effects)};
let loss = 20${noise ? " + (Math.random() - 0.5) / 100" : ""};
for (const [line, effect] of Object.entries(effects))
  if (new RegExp("^" + line + ": 1$", "m").test(text)) loss -= effect;
const on = Object.keys(effects).filter((l) => new RegExp("^" + l + ": 1$", "m").test(text));
setTimeout(() => {
  fs.appendFileSync(process.env.STATE + "/runs", (on.join("") || "-") + "\\n");
  console.log("loss: " + loss);
}, ${delayMs});
`;
}

const EVAL = countingEval({ a: 3, b: 0, c: 2, d: -1, e: 0 }, 300);

// Experiment n switches line n on (a, b, c, d, e): each is its own line, so any of them
// re-applies onto an incumbent that switched another on.
const AGENT = `
const fs = require("node:fs");
const line = "abcde"[Number(process.env.AUTOEXP_ITERATION) - 1];
const text = fs.readFileSync("model.txt", "utf8").replace(line + ": 0", line + ": 1");
fs.writeFileSync("model.txt", text);
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "switch " + line + " on");
`;

// A night on model.txt with the agent above and an eval that appends the code it ran on to
// STATE/runs, outside the slot: `rest` is the config past the parts every such night shares.
function countedNight(
  evalSource: string,
  name: string,
  rest: string,
  args: string[] = [],
  agent = AGENT,
  env: Record<string, string> = {},
) {
  const repo = makeRepo({ "model.txt": "a: 0\nb: 0\nc: 0\nd: 0\ne: 0\n", "eval.js": evalSource });
  const outside = tempDir();
  const state = join(outside, "state");
  writeFiles(outside, {
    "agent.js": agent,
    "state/runs": "",
    "autoexp.yml": `
name: ${name}
target: [model.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } }, pass_env: [STATE] }
isolation: { shared: [${JSON.stringify(state)}] }
agent: { use: command, run: [node, ${JSON.stringify(join(outside, "agent.js"))}], pass_env: [STATE], writable: [${JSON.stringify(outside)}] }
${rest}`,
  });
  // A command on the same night (`run` again: resumed), with other arguments.
  const cli = (command: string, more: string[], extra: Record<string, string> = {}) =>
    runCli(repo, [command, "--config", join(outside, "autoexp.yml"), "--tag", "t", ...more], {
      STATE: state,
      ...extra,
    });
  const run = cli("run", args, env);
  if (env.AUTOEXP_FAULT && !env.AUTOEXP_FAULT.startsWith("pause-"))
    expect(run.signal, run.stderr).toBe("SIGKILL");
  else expect(run.code, run.stderr).toBe(0);
  const runs = readFileSync(join(state, "runs"), "utf8").trim().split("\n");
  return { repo, run, runs, cli };
}

describe("three workers, proposals in flight: a keep does not throw away the others' evals", () => {
  it("re-evaluates only what beat its own incumbent; losers are recorded against it; the incumbent runs once per worker at the start", () => {
    const { repo, run, runs } = countedNight(
      EVAL,
      "pipelined",
      `decide: { baseline_runs: 1, min_delta: 0, remeasure_every: 0 }
workers: 3
pipeline: true
budget: { experiments: 5 }
`,
    );
    const log = branchLog(repo, "t");
    const rows = log.filter((e) => e.type === "result");
    const byLine = Object.fromEntries(rows.slice(1).map((r) => [String(r.description).at(-4), r]));

    // All five were proposed against the baseline (#0) before anything was recorded. #1 (a, -3)
    // is kept; #3 (c, -2) beat #0 too, so it is re-applied onto #1 and kept there (a and c on);
    // #2, #4 and #5 lost to #0 and are recorded as judged against #0, not evaluated again.
    expect(rows.map((r) => r.status)).toEqual([
      "baseline",
      "keep",
      "discard",
      "keep",
      "discard",
      "discard",
    ]);
    for (const l of ["b", "d", "e"]) {
      expect(byLine[l]!.against).toBe(0);
      expect(git(repo, "show", `${byLine[l]!.commit_full}:model.txt`)).toContain(`${l}: 1`);
    }
    expect(byLine.a!.against).toBeUndefined();
    expect(byLine.c!.against).toBeUndefined();
    // Its row says it beat #0 before it was re-applied; the rows judged once say nothing.
    // Its two runs on #0's code (a keep on a deterministic eval: two that agree) are on record there.
    expect(byLine.c!.reapplied).toMatchObject([
      { from: 0, status: "keep", samples: { loss: [18, 18] } },
    ]);
    for (const l of ["a", "b", "d", "e"]) expect(byLine[l]!.reapplied).toBeUndefined();
    expect(byLine.c!.score).toBe(15);
    expect(run.stdout).toContain("#3 was proposed against #0; the incumbent is now #1: re-applied");
    expect(run.stdout).not.toMatch(/#[245] was proposed against/);
    // The terminal says which incumbent a delta is to: d made the loss 1 worse than #0's 20.
    expect(run.stdout).toMatch(/#4 discard +loss 21 \+1(\.0+)? vs #0 /);
    expect(git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md")).toMatch(
      /\| 4 \| `[0-9a-f]{7}` \| 21 \| \+1(\.0+)? vs #0 \| 1 \| discard \| switch d on \|/,
    );

    // The kept #3 reproduces from its commit, evaluated in a clean checkout outside autoexp.
    const clean = tempDir();
    execFileSync("sh", [
      "-c",
      `git -C ${repo} archive ${byLine.c!.commit_full} | tar -x -C ${clean}`,
    ]);
    const again = execFileSync(process.execPath, ["eval.js"], {
      cwd: clean,
      env: { ...process.env, STATE: tempDir() },
      encoding: "utf8",
    });
    expect(again.trim()).toBe("loss: 15");

    // What ran, counted by the eval itself: the baseline once alone and once on each of the
    // three workers at once (one concurrent re-measure, before any candidate); each candidate
    // once, but a keep twice (the baseline's runs agreed: a deterministic eval keeps on two
    // runs that agree); c twice, alone and on top of a (ac).
    expect(runs.sort()).toEqual([
      "-",
      "-",
      "-",
      "-",
      "a",
      "a",
      "ac",
      "ac",
      "b",
      "c",
      "c",
      "d",
      "e",
    ]);
    const concurrent = log.filter((e) => e.type === "remeasure");
    expect(concurrent).toHaveLength(1);
    expect(concurrent[0]).toMatchObject({ iteration: 0, reason: "concurrent", after: 0 });
    expect((concurrent[0]!.runs_on as { worker: number }[]).map((r) => r.worker)).toEqual([
      0, 1, 2,
    ]);
    expect(log.indexOf(concurrent[0]!)).toBeLessThan(log.indexOf(rows[1]!));
  });
});

// A noisy eval (±0.005 around the truth) with large effects: a and c are kept after two runs,
// b, d and e are worse and discarded after one. Every keep is topped up with fresh runs.
const NOISY_EVAL = `
const fs = require("node:fs");
const text = fs.readFileSync("model.txt", "utf8");
const effects = { a: 3, b: -1, c: 2, d: -1, e: -2 };
let loss = 20 + (Math.random() - 0.5) / 100;
for (const [line, effect] of Object.entries(effects))
  if (new RegExp("^" + line + ": 1$", "m").test(text)) loss -= effect;
setTimeout(() => console.log("loss: " + loss), 100);
`;

describe("pipelined with confirmation: the top-up after a keep comes first", () => {
  it("judges every later candidate against the new incumbent with its fresh runs, not its few selected ones", () => {
    const repo = makeRepo({ "model.txt": "a: 0\nb: 0\nc: 0\nd: 0\ne: 0\n", "eval.js": NOISY_EVAL });
    const outside = tempDir();
    writeFiles(outside, {
      "agent.js": AGENT,
      "autoexp.yml": `
name: topped-up
target: [model.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } } }
agent: { use: command, run: [node, ${JSON.stringify(join(outside, "agent.js"))}], pass_env: [STATE], writable: [${JSON.stringify(outside)}] }
decide: { baseline_runs: 3, remeasure_every: 0, paired: false }
pipeline: true
proposers: 2
budget: { experiments: 5 }
`,
    });
    const run = runCli(repo, ["run", "--config", join(outside, "autoexp.yml"), "--tag", "t"]);
    expect(run.code, run.stderr).toBe(0);
    const log = branchLog(repo, "t");
    const rows = log.filter((e) => e.type === "result");
    expect(rows.map((r) => r.status)).toEqual([
      "baseline",
      "keep",
      "discard",
      "keep",
      "discard",
      "discard",
    ]);
    const runsOf = (e: Record<string, unknown>) =>
      ((e.samples as Record<string, number[]>).loss ?? []).length;
    const topUps = log.filter((e) => e.type === "remeasure" && e.reason === "top-up");
    expect(topUps.map((t) => t.iteration)).toEqual([1, 3]);
    // Each row after #1 is judged against the incumbent before it (or the one it names): that
    // incumbent's own runs and its top-up, never its own two runs alone (2 vs 2 before).
    let incumbent = rows[1]!;
    for (const row of rows.slice(2)) {
      const against = row.against === undefined ? incumbent : rows[row.against as number]!;
      const topUp = topUps.filter((t) => t.iteration === against.iteration);
      const expected = runsOf(against) + topUp.reduce((n, t) => n + runsOf(t), 0);
      expect(against.iteration === 0 || topUp.length === 1, `#${row.iteration}`).toBe(true);
      expect((row.evidence as { incumbent_runs: number }).incumbent_runs, `#${row.iteration}`).toBe(
        expected,
      );
      if (row.status === "keep") incumbent = row;
    }
  });
});

// The k-th run of each program reads 0.3 off its truth, alternately better and worse (the
// counter kept outside the slot): deterministic noise, so a small effect stays undecided.
const PATTERN_EVAL = `
const fs = require("node:fs");
const text = fs.readFileSync("model.txt", "utf8");
const effects = { a: 3, b: 0.4, c: -2, d: 0, e: 0 };
let loss = 20;
for (const [line, effect] of Object.entries(effects))
  if (new RegExp("^" + line + ": 1$", "m").test(text)) loss -= effect;
const on = Object.keys(effects).filter((l) => new RegExp("^" + l + ": 1$", "m").test(text)).join("") || "-";
const counter = process.env.STATE + "/count-" + on;
const k = fs.existsSync(counter) ? Number(fs.readFileSync(counter, "utf8")) : 0;
fs.writeFileSync(counter, String(k + 1));
fs.appendFileSync(process.env.STATE + "/runs", on + "\\n");
setTimeout(() => console.log("loss: " + (loss + (k % 2 === 0 ? -0.3 : 0.3))), 100);
`;

describe("pipelined: a candidate undecided against its own incumbent gets a fair trial on the new one", () => {
  it("re-applies what ran out of runs still in the running; what clearly lost stays recorded against its incumbent", () => {
    // Two proposers (proposals may finish out of order), so nothing waits for the record before
    // its eval (the catch-up below): evaluated ahead against #0.
    const { repo, run, runs } = countedNight(
      PATTERN_EVAL,
      "undecided",
      `decide: { baseline_runs: 3, remeasure_every: 0, paired: false }
pipeline: true
proposers: 2
budget: { experiments: 3 }
`,
    );
    const rows = branchLog(repo, "t").filter((e) => e.type === "result");
    expect(rows.map((r) => r.status)).toEqual(["baseline", "keep", "discard", "discard"]);
    // All three were proposed against #0; a (#1) is kept. b (#2, a small effect) used its five
    // runs against #0 without being confirmed or fading: it is re-applied onto #1 and judged
    // there (its row names no earlier incumbent, its commit has a and b on). c (#3) was clearly
    // worse than #0 after one run: recorded against #0, not evaluated again.
    const [, , b, c] = rows;
    expect(b!.against).toBeUndefined();
    expect(git(repo, "show", `${b!.commit_full}:model.txt`)).toMatch(/^a: 1\nb: 1\n/);
    expect(String(b!.reason)).toMatch(/^not confirmed after 5 runs/);
    // Its row says how its evaluation against #0 ended: still in the running after its runs.
    expect(b!.reapplied).toMatchObject([{ from: 0, status: "undecided" }]);
    expect((b!.reapplied as { samples: { loss: number[] } }[])[0]!.samples.loss).toHaveLength(5);
    expect(c!.against).toBe(0);
    expect(c!.reapplied).toBeUndefined();
    expect(run.stdout).toContain("#2 was proposed against #0; the incumbent is now #1: re-applied");
    expect(run.stdout).not.toMatch(/#3 was proposed against/);
    // Counted by the eval itself: b five times on #0's code, then five times on top of a; c once.
    const count = (code: string) => runs.filter((r) => r === code).length;
    expect([count("b"), count("ab"), count("c"), count("ac")]).toEqual([5, 5, 1, 0]);
  });

  it("one worker, one proposer: waits for the experiment before it and is re-applied before any run, so no run measures it against an incumbent the record has left", () => {
    const { repo, run, runs } = countedNight(
      PATTERN_EVAL,
      "undecided",
      `decide: { baseline_runs: 3, remeasure_every: 0, paired: false }
pipeline: true
proposers: 1
budget: { experiments: 3 }
`,
    );
    const rows = branchLog(repo, "t").filter((e) => e.type === "result");
    expect(rows.map((r) => r.status)).toEqual(["baseline", "keep", "discard", "discard"]);
    // b and c were proposed against #0 while a ran; a (#1) is kept. Each is re-applied onto #1
    // before its first run and judged there: no row names an earlier incumbent.
    const [, , b, c] = rows;
    expect(b!.against).toBeUndefined();
    expect(c!.against).toBeUndefined();
    // Re-applied before any evaluation: no evaluation was left behind, and the rows say none.
    expect(b!.reapplied).toBeUndefined();
    expect(c!.reapplied).toBeUndefined();
    expect(git(repo, "show", `${b!.commit_full}:model.txt`)).toMatch(/^a: 1\nb: 1\n/);
    expect(git(repo, "show", `${c!.commit_full}:model.txt`)).toMatch(/^a: 1\nb: 0\nc: 1\n/);
    expect(run.stdout).toContain("#2 was proposed against #0; the incumbent is now #1: re-applied");
    expect(run.stdout).toContain("#3 was proposed against #0; the incumbent is now #1: re-applied");
    // Counted by the eval itself: not one run of b or c on #0's code.
    const count = (code: string) => runs.filter((r) => r === code).length;
    expect([count("b"), count("ab"), count("c"), count("ac")]).toEqual([0, 5, 0, 1]);
  });
});

// Noisy, counting each run's code outside the slot: a and b both help.
const NOISY_COUNTED_EVAL = countingEval({ a: 3, b: 2 }, 100, true);

describe("pipelined, paired: an evaluation left behind by a re-apply keeps its incumbent runs on record", () => {
  it("records the incumbent's runs beside it, unpaired, under the incumbent they measured: the ledger holds every run of that code the eval made", () => {
    // b's agent takes 300 ms more, so a takes the one slot first and is decided first: b decided
    // first would be recorded first (a keep goes ahead, steps.ts recordAhead), and a left behind.
    const slowB = `if (process.env.AUTOEXP_ITERATION === "2") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);\n${AGENT}`;
    const { repo, run, runs } = countedNight(
      NOISY_COUNTED_EVAL,
      "set-aside",
      `decide: { baseline_runs: 3, remeasure_every: 0 }
pipeline: true
proposers: 2
budget: { experiments: 2 }
`,
      ["--json"],
      slowB,
    );
    const log = branchLog(repo, "t");
    const rows = log.filter((e) => e.type === "result");
    expect(rows.map((r) => r.status)).toEqual(["baseline", "keep", "keep"]);
    // b (#2) was measured against #0 while a (#1) ran: it beat #0, or (as a was kept) it was
    // stopped still in the running at its next run; either way it was re-applied onto #1.
    expect(run.stdout).toContain("#2 was proposed against #0; the incumbent is now #1: re-applied");
    expect(git(repo, "show", `${rows[2]!.commit_full}:model.txt`)).toMatch(/^a: 1\nb: 1\n/);
    const [left, ...more] = rows[2]!.reapplied as {
      from: number;
      status: string;
      commit: string;
      samples: Record<string, number[]>;
      eval_seconds: number;
    }[];
    expect(more).toEqual([]);
    expect(left!.from).toBe(0);
    expect(["keep", "stopped"]).toContain(left!.status);
    // A stopped one was in its trial when a's keep landed; one that won, anywhere from its last
    // pair to its turn to be recorded.
    const during = (left as { replaced_during?: string }).replaced_during;
    if (left!.status === "stopped") expect(during).toBe("trial");
    else expect(["trial", "after_keep", "wait"]).toContain(during);
    // The evaluation left behind ran b's change on #0's code, and its runs are on its entry.
    expect(git(repo, "show", `${left!.commit}:model.txt`)).toMatch(/^a: 0\nb: 1\n/);
    const lines = log.filter((e) => e.type === "remeasure");
    const runsOf = (e: Record<string, unknown>) =>
      ((e.samples as Record<string, number[]>).loss ?? []).length;
    // Its pairs beside #0 are gone with its first evaluation; #0's side of them, where it got
    // that far (a stop right after its screened run leaves none), is recorded just before its
    // row, as #0's runs without a pairing.
    const aside = lines.filter(
      (e) => e.iteration === 0 && e.reason === "concurrent" && e.paired_with === undefined,
    );
    expect(aside.length).toBeLessThanOrEqual(1);
    for (const line of aside) {
      expect(line.seeds).toBeUndefined();
      expect(runsOf(line)).toBeGreaterThanOrEqual(1);
      expect(log.indexOf(line)).toBeLessThan(log.indexOf(rows[2]!));
      expect(log.indexOf(line)).toBeGreaterThan(log.indexOf(rows[1]!));
    }
    expect(lines.filter((e) => e.paired_with === 2).every((e) => e.iteration === 1)).toBe(true);
    // Counted by the eval itself: every run of #0's code is in the ledger (before, those beside
    // b's first evaluation were not), and b ran both on #0's code and on top of a. A pair beside
    // #0 made, the eval counts more runs of #0's code than the baseline's and a's pairs.
    const ledgerRuns = (iteration: number) =>
      runsOf(rows[iteration]!) +
      lines.filter((e) => e.iteration === iteration).reduce((n, e) => n + runsOf(e), 0);
    const count = (code: string) => runs.filter((r) => r === code).length;
    expect(count("-")).toBe(ledgerRuns(0));
    expect(count("b")).toBeGreaterThanOrEqual(1);
    // Every run of b on #0's code too, on its `reapplied` entry; each slept 100 ms there.
    expect(left!.samples.loss).toHaveLength(count("b"));
    expect(left!.eval_seconds).toBeGreaterThanOrEqual(0.1 * count("b"));
    // So every run the eval made is in the ledger, and the dashboard's eval time says what the
    // runs left behind were.
    const recorded =
      rows.reduce((n, r) => n + runsOf(r), 0) +
      lines.reduce((n, e) => n + runsOf(e), 0) +
      left!.samples.loss!.length;
    expect(recorded).toBe(runs.length);
    // The batch's eval time (the CLI's, the Action's job summary's) covers every run the eval
    // made, each of which slept 100 ms, the incumbent's beside candidates and b's left behind.
    const done = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as { evalSeconds: number };
    expect(done.evalSeconds).toBeGreaterThanOrEqual(0.1 * runs.length);
    const dashboard = git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md");
    // The dashboard's count of eval runs is the eval's own.
    expect(dashboard).toContain(`eval runs: ${runs.length} (`);
    expect(dashboard).toContain(
      `of it on ${count("b")} run${count("b") === 1 ? "" : "s"} of candidates a keep elsewhere left behind`,
    );
    expect(count("ab")).toBe(
      runsOf(rows[2]!) +
        lines
          .filter((e) => e.reason === "after-keep" && e.iteration === 2)
          .reduce((n, e) => n + runsOf(e), 0),
    );
    // Every line that is still paired pairs its row's runs: one incumbent run per candidate run
    // after the screened one.
    for (const line of lines.filter((e) => e.paired_with !== undefined))
      expect(runsOf(line)).toBe(runsOf(rows[line.paired_with as number]!));
  });
});

describe("two workers, paired: a keep decided while another is being recorded", () => {
  it("waits for its turn, is left behind when that one lands (replaced_during: wait), and is tried again on it with pairs, not a screen", () => {
    // a's record is held 4 s before it writes anything (pause-before-record@1); b, begun 800 ms
    // after a on the other worker, beats #0 and finishes its runs meanwhile: decided while the
    // record was busy, it is recorded only after a, on top of which it is tried again.
    const slowB = `if (process.env.AUTOEXP_ITERATION === "2") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 800);\n${AGENT}`;
    const { repo, runs } = countedNight(
      NOISY_COUNTED_EVAL,
      "wait",
      `decide: { baseline_runs: 3, remeasure_every: 0 }
workers: 2
budget: { experiments: 2 }
`,
      [],
      slowB,
      { AUTOEXP_FAULT: "pause-before-record@1" },
    );
    const log = branchLog(repo, "t");
    const rows = log.filter((e) => e.type === "result");
    expect(rows.map((r) => r.iteration)).toEqual([0, 1, 2]);
    expect(rows[1]!.status).toBe("keep");
    const [left, ...more] = rows[2]!.reapplied as {
      from: number;
      status: string;
      replaced_during?: string;
      samples: Record<string, number[]>;
    }[];
    expect(more).toEqual([]);
    expect(left).toMatchObject({ from: 0, status: "keep", replaced_during: "wait" });
    // Its whole evaluation beside #0 ran: its runs there, b on #0's code, are on the entry.
    const count = (code: string) => runs.filter((r) => r === code).length;
    expect(left!.samples.loss).toHaveLength(count("b"));
    // On #1 it is not screened: pairs decide (from its first run where #1 has no runs on its
    // worker yet; else its first run is measured against the bar, not screened on it).
    const screen = rows[2]!.screen as { won_against?: number } | undefined;
    if (screen) expect(screen.won_against).toBe(0);
    expect(count("ab")).toBeGreaterThanOrEqual(2);
    // #0's side of its pairs is on record, unpaired, under #0, with its row (after a's).
    const aside = log.filter(
      (e) => e.type === "remeasure" && e.reason === "concurrent" && e.paired_with === undefined,
    );
    expect(aside).toHaveLength(1);
    expect(aside[0]!.iteration).toBe(0);
    expect(log.indexOf(aside[0]!)).toBeGreaterThan(log.indexOf(rows[1]!));
    expect(log.indexOf(aside[0]!)).toBeLessThan(log.indexOf(rows[2]!));
  });
});

describe("three workers: a duplicate found only when it is recorded keeps its runs on record", () => {
  it("records the runs its own evaluation made, unused by its result: the ledger holds every run", () => {
    // #1 and #2 both switch d on (worse by 1), proposed against #0 at once and evaluated side by
    // side: #2's code is decided (#1, discarded) only while it is in flight.
    const sameTwice = AGENT.replace('"abcde"[Number(process.env.AUTOEXP_ITERATION) - 1]', '"d"');
    const { repo, runs } = countedNight(
      EVAL,
      "duplicate",
      `decide: { baseline_runs: 1, min_delta: 0, remeasure_every: 0 }
workers: 3
pipeline: true
budget: { experiments: 2 }
`,
      [],
      sameTwice,
    );
    const log = parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"));
    const [, first, second] = log.results;
    expect([first!.status, second!.status]).toEqual(["discard", "duplicate"]);
    expect(second!.duplicate_of).toBe(1);
    // Counted by the eval itself: d ran once for each; the duplicate's run is on its row's `ran`,
    // with the code it ran (the same content as #1's) and its eval time.
    expect(runs.filter((r) => r === "d")).toHaveLength(2);
    expect(first!.samples.loss).toEqual([21]);
    expect(second!.ran?.samples?.loss).toEqual([21]);
    expect(git(repo, "show", `${second!.ran!.commit}:model.txt`)).toMatch(
      /^a: 0\nb: 0\nc: 0\nd: 1\n/,
    );
    expect(second!.ran!.eval_seconds).toBeGreaterThanOrEqual(0.3);
    expect(evalSpent(log, "loss").seconds).toBeGreaterThanOrEqual(0.3 * runs.length);
    // The dashboard and `autoexp status` count every run the eval counted, the duplicate's too.
    const counted = new RegExp(
      `eval runs: ${runs.length} \\(.*1 of candidates found duplicates when recorded`,
    );
    expect(git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md")).toMatch(counted);
    const status = runCli(repo, ["status", "--tag", "t"]);
    expect(status.stdout).toMatch(counted);
    expect(status.stdout).toMatch(/^eval time: \d+s$/m);
  });
});

// a (#1) helps by 3 and b (#2) by 2. a's runs on #0's code take 5 s, every other run 0.1 s: side
// by side, b is kept against #0 while a's first run is still under way (b's trial is a few runs,
// seconds on a loaded machine), and a on top of b, and verify, run at the usual speed.
const SLOW_A = `
const fs = require("node:fs");
const text = fs.readFileSync("model.txt", "utf8");
const on = (l) => new RegExp("^" + l + ": 1$", "m").test(text);
const loss = 20 - (on("a") ? 3 : 0) - (on("b") ? 2 : 0) + (Math.random() - 0.5) / 100;
fs.appendFileSync(process.env.STATE + "/runs", ((on("a") ? "a" : "") + (on("b") ? "b" : "") || "-") + "\\n");
setTimeout(() => console.log("loss: " + loss), on("a") && !on("b") ? 5000 : 100);
`;
const AHEAD = `decide: { baseline_runs: 3, remeasure_every: 0 }
workers: 2
pipeline: true
budget: { experiments: 2 }
`;

describe("two workers, paired: a keep decided before the experiment begun ahead of it", () => {
  it("is recorded at once, and the one begun before it, still in the running, is stopped and tried again on top of it", () => {
    // Recorded in the order experiments began, b would wait for a, and be left behind and tried
    // again once a was kept.
    const { repo, runs, cli } = countedNight(SLOW_A, "ahead", AHEAD);
    const rows = parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl")).results;
    expect(rows.map((r) => [r.iteration, r.status])).toEqual([
      [0, "baseline"],
      [2, "keep"],
      [1, "keep"],
    ]);
    // b was never evaluated again; a's first evaluation, against #0, was stopped in its trial by
    // b's keep, and a was kept on top of b.
    expect(rows[1]!.reapplied).toBeUndefined();
    const [left] = rows[2]!.reapplied!;
    expect(left).toMatchObject({ from: 0, status: "stopped", replaced_during: "trial" });
    expect(rows[2]!.reason).toMatch(/beside the incumbent/);
    // Its runs on #0's code are on the entry: a stopped trial is stopped at its next run, so no
    // more than two.
    expect(left!.samples!.loss).toHaveLength(runs.filter((r) => r === "a").length);
    expect(left!.samples!.loss!.length).toBeLessThanOrEqual(2);
    expect(runs.filter((r) => r === "ab").length).toBeGreaterThan(0);
    // verify takes the final code (#1, recorded last) as holding both keeps: #2 numbered above it
    // is among its steps.
    const verify = cli("verify", ["--pairs", "2"]);
    expect(verify.code, verify.stderr).toBe(0);
    const entry = branchLog(repo, "t").find((e) => e.type === "verify")!;
    expect(entry).toMatchObject({
      final_iteration: 1,
      kept: 2,
      final_commit: rows[2]!.commit_full,
    });
  });

  it("killed right after that keep and run again: the experiment begun before it is redone under its own number", () => {
    const { repo, cli } = countedNight(SLOW_A, "ahead", AHEAD, [], AGENT, {
      AUTOEXP_FAULT: "after-refs@2",
    });
    const logged = () => parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl")).results;
    expect(logged().map((r) => r.iteration)).toEqual([0, 2]);
    const again = cli("run", ["--experiments", "2"]);
    expect(again.code, again.stderr).toBe(0);
    const rows = logged();
    // #1 first (its number was never recorded), then #3: none lost, none twice.
    expect(rows.map((r) => r.iteration)).toEqual([0, 2, 1, 3]);
    expect(rows[2]!.description).toBe("switch a on");
    expect(rows[3]!.description).toBe("switch c on");
    for (const r of rows.filter((x) => x.diff))
      expect(git(repo, "rev-parse", r.diff!).trim()).toBe(r.commit_full);
  });
});
