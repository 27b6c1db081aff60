import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { firstSideFirst } from "../../action/engine/pair-order.ts";
import type { AttributeEntry, VerifyEntry } from "../../action/ledger/types.ts";
import { probeSandbox } from "../../action/sandbox/probe-sandbox.ts";
import { branchLog, makeRepo, runCli, tempDir, writeFiles } from "../helpers/repo.ts";

// Blind runs are a promise of the sandbox: without it an eval runs as you, in the slot's real
// folder, and can read autoexp's own /proc/<pid>/cmdline ("autoexp verify"), the ledger and the
// logs. So this test runs sandboxed or not at all.
const probe = await probeSandbox();
const SKIP = probe.ok
  ? ""
  : `SKIPPED: ${probe.why}; blind runs need the sandbox (${probe.install})`;
if (!probe.ok) console.warn(`blind-runs test ${SKIP}`);

// The eval records everything it can observe about its run: its environment, cwd, descriptors
// 0-9 and what they point at, pid and parent pid, argv, mounts, hostname, user and cgroup, the
// slot's file times and the cgroups it can list. Numbers
// the kernel hands out afresh for every process whatever it is for (a pipe's inode, a mount's id,
// an anonymous device number, a peer group) are masked: they only count up. What it saw is keyed
// by a counter in a declared writable folder, with the code it ran (to check the pairs' order).
// Its score is the truth in model.txt plus a small noise cycle from the counter.
const EVAL = `
const fs = require("node:fs");
const os = require("node:os");
// Before anything is read: the slot's times (an earlier run's read left its access time, a file
// rewritten for this run looked newer: a counter and a role an outsider read from them) and the
// cgroups it can list (the loop's agents have their own; verify's runs had none beside them).
const stamp = (p) => { const s = fs.lstatSync(p); return [s.atimeMs, s.mtimeMs]; };
const times = { tree: stamp("."), model: stamp("model.txt"), eval: stamp("eval.js") };
const list = (d) => { try { return fs.readdirSync(d).filter((n) => n.startsWith("autoexp")); } catch (e) { return e.code; } };
const cgroups = [list("/sys/fs/cgroup"), list("/sys/fs/cgroup/pids")];
const text = fs.readFileSync("model.txt", "utf8");
const truth = 20 - [...text.matchAll(/^\\w: (\\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
const mask = (s) => s.replace(/\\[\\d+\\]/g, "[n]").replace(/(shared|master|propagate_from):\\d+/g, "$1:n");
const fds = {};
for (let i = 0; i < 10; i++) {
  try { fds[i] = mask(fs.readlinkSync("/proc/self/fd/" + i)); } catch {}
}
const mounts = fs.readFileSync("/proc/self/mountinfo", "utf8").trim().split("\\n")
  .map((line) => mask(line.split(" ").slice(3).join(" ")));
const seen = {
  // Every run has a seed (shared by a pair's two sides): its value is kept apart, below.
  env: Object.fromEntries(Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => [k, k === "AUTOEXP_SEED" && /^[1-9][0-9]*$/.test(v) ? "n" : v])),
  cwd: process.cwd(),
  fds,
  pid: process.pid,
  ppid: process.ppid,
  argv: process.argv,
  mounts,
  hostname: os.hostname(),
  uid: process.getuid(),
  gid: process.getgid(),
  cgroup: fs.readFileSync("/proc/self/cgroup", "utf8"),
  times,
  cgroups,
};
const counter = process.env.STATE + "/counter";
const n = Number(fs.existsSync(counter) ? fs.readFileSync(counter, "utf8") : 0);
fs.writeFileSync(counter, String(n + 1));
const name = "/seen-" + String(n).padStart(4, "0") + "-" + Math.random().toString(36).slice(2) + ".json";
fs.writeFileSync(process.env.STATE + name, JSON.stringify({ code: text, seed: process.env.AUTOEXP_SEED, seen }));
console.log("loss: " + (truth + [0.2, -0.1, -0.1][n % 3]));
`;

// A command agent switching lines on: two real gains, then a change that does nothing.
const AGENT = `
const fs = require("node:fs");
const i = Number(process.env.AUTOEXP_ITERATION);
const [line, value] = [["a", 3], ["b", 3], ["c", 0]][i - 1] ?? ["c", 0];
fs.writeFileSync("model.txt", fs.readFileSync("model.txt", "utf8").replace(new RegExp("^" + line + ": \\\\d+$", "m"), line + ": " + value));
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "set " + line + " to " + value);
`;

function setup(more = "decide: { baseline_runs: 3, remeasure_every: 1 }") {
  const repo = makeRepo({ "model.txt": "a: 0\nb: 0\nc: 0\n", "eval.js": EVAL });
  const outside = tempDir();
  const state = join(outside, "state");
  writeFiles(outside, { "agent.js": AGENT, "state/.keep": "" });
  const config = join(outside, "autoexp.yml");
  // The checks run the very same program as the eval, given as argv where the eval is a string:
  // only the role differs (and the pid layout is the same for both forms).
  writeFiles(outside, {
    "autoexp.yml": `
name: blind
target: [model.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  metrics: { loss: { goal: minimize } }
  pass_env: [STATE]
checks: { command: [node, eval.js] }
isolation: { mode: sandbox, shared: [${JSON.stringify(state)}] }
agent: { use: command, run: [node, ${JSON.stringify(join(outside, "agent.js"))}], writable: [${JSON.stringify(outside)}] }
budget: { experiments: 3 }
pipeline: false
${more}
`,
  });
  return { repo, config, state, env: { STATE: state } };
}

interface Seen {
  code: string;
  seed: string;
  seen: Record<string, unknown>;
}

function readSeen(state: string): Seen[] {
  return readdirSync(state)
    .filter((f) => /^seen-\d+-\w+\.json$/.test(f))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(state, f), "utf8")) as Seen);
}

describe.skipIf(!probe.ok)(`blind runs${SKIP ? ` (${SKIP})` : ""}`, () => {
  it("every run sees the same thing, whatever it is for: baseline, candidate, confirmation, re-measure, checks, verify, attribute", () => {
    const { repo, config, state, env } = setup();
    const run = runCli(repo, ["run", "--config", config, "--tag", "t"], env);
    expect(run.code, run.stderr).toBe(0);
    const log = branchLog(repo, "t");
    const results = log.filter((e) => e.type === "result");
    const kept = results.filter((e) => e.status === "keep");
    expect(kept.map((k) => k.description)).toEqual(["set a to 3", "set b to 3"]);
    // Every role ran: the baseline (3 runs), candidates confirmed (more than one run each), the
    // incumbent re-measured, and the checks before each keep.
    const runsOf = (e: Record<string, unknown>) =>
      Object.values(e.samples as Record<string, number[]>)[0]!.length;
    expect(runsOf(results[0]!)).toBe(3);
    // Each keep was measured beside the incumbent (its pairs) or confirmed by more runs.
    const pairedWith = new Set(
      log.filter((e) => e.type === "remeasure").map((e) => e.paired_with as number | undefined),
    );
    expect(kept.every((k) => runsOf(k) > 1 || pairedWith.has(k.iteration as number))).toBe(true);
    expect(log.some((e) => e.type === "remeasure")).toBe(true);
    const logs = readdirSync(join(repo, ".git", "autoexp", "t", "logs"));
    expect(logs.filter((l) => l.endsWith("-checks.log"))).toHaveLength(2);
    const loop = readSeen(state).length;
    // Each run of the eval or the checks recorded what it saw.
    expect(loop).toBe(logs.length);

    const verify = runCli(repo, ["verify", "--config", config, "--tag", "t", "--pairs", "3"], env);
    expect(verify.code, verify.stderr).toBe(0);
    const attribute = runCli(
      repo,
      ["attribute", "--config", config, "--tag", "t", "--pairs", "2", "--seed", "7", "--yes"],
      env,
    );
    expect(attribute.code, attribute.stderr).toBe(0);
    const lines = branchLog(repo, "t");
    const verified = lines.find((e) => e.type === "verify") as unknown as VerifyEntry;
    const attributed = lines.find((e) => e.type === "attribute") as unknown as AttributeEntry;
    expect(verified.samples.final).toHaveLength(3);
    expect(attributed.runs).toBe(8);

    const all = readSeen(state);
    expect(all).toHaveLength(loop + 6 + 8);
    // Each pair's order was drawn from the recorded seed (given with --seed, or a fresh one).
    const base = "a: 0\nb: 0\nc: 0\n";
    const final = all[loop + 1]!.code === base ? all[loop]!.code : all[loop + 1]!.code;
    expect(attributed.order_seed).toBe(7);
    expect(all.slice(loop, loop + 6).map((r) => (r.code === base ? "base" : "final"))).toEqual(
      [1, 2, 3].flatMap((p) =>
        firstSideFirst(verified.order_seed!, p) ? ["base", "final"] : ["final", "base"],
      ),
    );
    expect(all.slice(loop + 6).map((r) => (r.code === final ? "final" : "without"))).toEqual(
      kept.flatMap((k) =>
        [1, 2].flatMap((p) =>
          firstSideFirst(7, k.iteration as number, p) ? ["final", "without"] : ["without", "final"],
        ),
      ),
    );
    // Both sides of each verify and attribute pair ran with one AUTOEXP_SEED, a new one per pair.
    const pairSeeds = (from: number, pairs: number) =>
      Array.from({ length: pairs }, (_, p) => [
        all[from + 2 * p]!.seed,
        all[from + 2 * p + 1]!.seed,
      ]);
    const measured = [...pairSeeds(loop, 3), ...pairSeeds(loop + 6, 4)];
    for (const [a, b] of measured) expect(a).toBe(b);
    expect(new Set(measured.map(([a]) => a)).size).toBe(7);
    // In the loop, the incumbent's side of each candidate's pairs ran with the candidate's seed.
    const pairedLines = log.filter((e) => e.type === "remeasure" && e.paired_with !== undefined);
    expect(pairedLines.length).toBeGreaterThan(0);
    const loopSeeds = new Set(all.slice(0, loop).map((r) => r.seed));
    for (const line of pairedLines)
      for (const seed of line.seeds as number[]) expect(loopSeeds.has(String(seed))).toBe(true);
    const first = all[0]!.seen;
    // What varies between runs, by what was observed: nothing.
    const varies = Object.keys(first).filter(
      (k) => new Set(all.map((r) => JSON.stringify(r.seen[k]))).size > 1,
    );
    const values = (k: string) => [...new Set(all.map((r) => JSON.stringify(r.seen[k])))];
    expect(Object.fromEntries(varies.map((k) => [k, values(k)]))).toEqual({});
    for (const [i, { seen }] of all.entries())
      expect({ run: i, seen }).toEqual({ run: i, seen: first });
    // Nor does anything name the tag, a log, a role's slot.
    expect(first.env).not.toHaveProperty("AUTOEXP_TAG");
    expect(JSON.stringify(first)).not.toMatch(/\.log|slots\/(verify|attribute)/);
  });

  it("two workers: each sees the same thing in every role, the concurrent baseline and verify's pairs included; they differ only in which worker they are", () => {
    const { repo, config, state, env } = setup(
      "workers: 2\ndecide: { baseline_runs: 2, remeasure_every: 0, compare_within: worker }",
    );
    const run = runCli(repo, ["run", "--config", config, "--tag", "t", "--experiments", "2"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(
      branchLog(repo, "t").some((e) => e.type === "remeasure" && e.reason === "concurrent"),
    ).toBe(true);
    const verify = runCli(repo, ["verify", "--config", config, "--tag", "t", "--pairs", "4"], env);
    expect(verify.code, verify.stderr).toBe(0);
    const all = readSeen(state).map((r) => r.seen);
    const workerOf = (s: Record<string, unknown>) =>
      String((s.env as Record<string, string>).AUTOEXP_WORKER);
    const byWorker = Object.groupBy(all, workerOf);
    expect(Object.keys(byWorker).sort()).toEqual(["0", "1"]);
    for (const runs of Object.values(byWorker)) {
      expect(runs!.length).toBeGreaterThan(2);
      for (const seen of runs!) expect(seen).toEqual(runs![0]);
    }
    // Between workers: the worker's number, its slot folder and its cgroup, nothing else.
    const [zero, one] = [byWorker["0"]![0]!, byWorker["1"]![0]!];
    const neutral = (s: Record<string, unknown>) =>
      JSON.parse(
        JSON.stringify(s)
          .replace(/slots\/[01]\//g, "slots/W/")
          .replace(/autoexp-[0-9a-f]{16}/g, "autoexp-G")
          .replace(/"AUTOEXP_WORKER":"[01]"/, '"AUTOEXP_WORKER":"W"'),
      );
    expect(neutral(one)).toEqual(neutral(zero));
  });
});
