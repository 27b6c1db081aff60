import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { branchLog, CLI, makeRepo, runCli, tempDir } from "../helpers/repo.ts";

/** One eval run's length. */
const EVAL_MS = 1500;

// The score is X plus a little noise, so a candidate passes its first run and is then measured in
// pairs: an interrupt during its first run leaves it half-done. Every run appends "X start-ms" to
// a declared shared folder, and leaves a grandchild (named by that folder) in its process group.
const EVAL = `
const fs = require("node:fs");
const x = Number(/X = (\\d+)/.exec(fs.readFileSync("x.txt", "utf8"))[1]);
fs.appendFileSync(process.env.STATE + "/starts", x + " " + Date.now() + "\\n");
const ms = Number(process.env.EVAL_MS) * (x >= Number(process.env.SLOW_FROM || 1e9) ? 20 : 1);
require("node:child_process").spawn(process.execPath, ["-e", "setTimeout(() => {}, " + ms + ")", process.env.STATE], { stdio: "ignore" });
setTimeout(() => console.log("score: " + (x + (Math.random() - 0.5) * 0.02)), ms);
`;

// Experiment n sets X = n + 1: each one better than the last, whatever it was proposed against.
const AGENT = `
const fs = require("node:fs");
const n = Number(process.env.AUTOEXP_ITERATION) + 1;
fs.writeFileSync("x.txt", "X = " + n + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "X to " + n);
`;

function setup() {
  const state = tempDir();
  const repo = makeRepo({
    "x.txt": "X = 1\n",
    "eval.js": EVAL,
    "agent.js": AGENT,
    "autoexp.yml": `name: stop
target: [x.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  timeout: 2m
  metrics: { score: { goal: maximize } }
  pass_env: [STATE, EVAL_MS, SLOW_FROM]
isolation: { shared: [${JSON.stringify(state)}] }
agent: { use: command, run: [node, agent.js] }
decide: { baseline_runs: 2 }
budget: { experiments: 5 }
`,
  });
  return { repo, state, env: { STATE: state, EVAL_MS: String(EVAL_MS) } };
}

/** The runs the eval started: the candidate's X and when. */
function starts(state: string): { x: number; at: number }[] {
  const file = join(state, "starts");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => l.split(" ").map(Number))
    .map(([x, at]) => ({ x: x!, at: at! }));
}

/** Processes whose command line names `marker` (the eval's grandchildren name the state folder). */
function processesNaming(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

interface Interrupted {
  code: number | null;
  stdout: string;
  stderr: string;
  /** When each signal was sent, and when the process ended (ms since the epoch). */
  sentAt: number[];
  endedAt: number;
}

/**
 * `autoexp run` until experiment #2's first run (X = 3) has run `after` ms, then `signals`, each
 * 300 ms after the one before.
 */
function interruptRun(
  repo: string,
  state: string,
  env: Record<string, string>,
  signals: NodeJS.Signals[],
  after = 700,
): Promise<Interrupted> {
  const child: ChildProcess = spawn(process.execPath, [CLI, "run", "--tag", "t"], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c) => {
    stdout += c;
  });
  child.stderr!.on("data", (c) => {
    stderr += c;
  });
  const sentAt: number[] = [];
  const watch = setInterval(() => {
    const second = starts(state).find((s) => s.x === 3);
    if (!second || Date.now() - second.at < after) return;
    clearInterval(watch);
    for (const [i, signal] of signals.entries())
      setTimeout(() => {
        sentAt.push(Date.now());
        child.kill(signal);
      }, i * 300);
  }, 50);
  const kill = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearInterval(watch);
      clearTimeout(kill);
      resolve({ code, stdout, stderr, sentAt, endedAt: Date.now() });
    }),
  );
}

/** The first signal stops at the end of the eval run in flight, records nothing half-done. */
function expectPoliteStop(run: Interrupted, repo: string, state: string) {
  expect(run.code, run.stdout + run.stderr).toBe(130);
  const signalled = run.sentAt[0]!;
  const second = starts(state).find((s) => s.x === 3)!;
  // Out by the end of the run in flight (plus the slack of a busy machine), not after more runs.
  expect(run.endedAt - signalled).toBeLessThan(second.at + EVAL_MS - signalled + 3000);
  // No eval run started after the signal.
  expect(starts(state).filter((s) => s.at > signalled)).toEqual([]);
  expect(run.stderr).toMatch(
    /stopping: waiting for the eval run in flight \(#2, run 1, (about \d+(ms|s) left by the last runs' durations|running for \d+(ms|s), as long as the last runs took or longer)\).*Ctrl-C again to stop at once/,
  );
  // Exactly the experiments finished before the signal: #2 was half-done and is not recorded.
  const log = branchLog(repo, "t");
  expect(log.filter((l) => l.type === "result").map((l) => l.iteration)).toEqual([0, 1]);
  expect(log.at(-1)).toMatchObject({ type: "batch", event: "end", reason: "interrupted" });
}

describe("Ctrl-C and SIGTERM during a batch", () => {
  it("the first Ctrl-C stops at the end of the eval run in flight; a resume records #2", async () => {
    const { repo, state, env } = setup();
    const run = await interruptRun(repo, state, env, ["SIGINT"]);
    expectPoliteStop(run, repo, state);

    const resumed = runCli(repo, ["run", "--tag", "t", "--experiments", "1"], env);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const rows = branchLog(repo, "t").filter((l) => l.type === "result");
    expect(rows.map((r) => [r.iteration, r.status])).toEqual([
      [0, "baseline"],
      [1, "keep"],
      [2, "keep"],
    ]);
    expect(rows[2]!.description).toBe("X to 3");
  }, 60_000);

  it("SIGTERM alone is the same polite stop", async () => {
    const { repo, state, env } = setup();
    expectPoliteStop(await interruptRun(repo, state, env, ["SIGTERM"]), repo, state);
  }, 60_000);

  it("a second Ctrl-C stops at once: the eval's process group is killed", async () => {
    const { repo, state, env } = setup();
    // #2's run takes 30 s: only killing it ends the batch in time.
    const run = await interruptRun(repo, state, { ...env, SLOW_FROM: "3" }, ["SIGINT", "SIGINT"]);
    expect(run.code, run.stdout + run.stderr).toBe(130);
    expect(run.endedAt - run.sentAt[0]!).toBeLessThan(2500);
    // The group is killed at once; the sandbox's pid namespace may take a moment to empty.
    for (let i = 0; i < 20 && processesNaming(state).length > 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(processesNaming(state)).toEqual([]);
    const log = branchLog(repo, "t");
    expect(log.filter((l) => l.type === "result").map((l) => l.iteration)).toEqual([0, 1]);
  }, 60_000);
});

describe("Ctrl-C during verify", () => {
  it("kills the runs in flight and says nothing was recorded, exit 130", async () => {
    const { repo, state, env } = setup();
    const night = runCli(repo, ["run", "--tag", "t", "--experiments", "1"], env);
    expect(night.code, night.stderr).toBe(0);
    const before = starts(state).length;
    const child = spawn(process.execPath, [CLI, "verify", "--tag", "t", "--pairs", "4"], {
      cwd: repo,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (c) => {
      stderr += c;
    });
    // Once verify's second run has started (a run in flight to kill): Ctrl-C.
    const watch = setInterval(() => {
      if (starts(state).length >= before + 2) {
        clearInterval(watch);
        child.kill("SIGINT");
      }
    }, 50);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearInterval(watch);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain(
      "autoexp verify: interrupted. It records its line only once every pair has run, so nothing of this one was recorded; run the same command again",
    );
    for (let i = 0; i < 20 && processesNaming(state).length > 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(processesNaming(state)).toEqual([]);
    expect(branchLog(repo, "t").some((l) => l.type === "verify")).toBe(false);
  }, 60_000);
});
