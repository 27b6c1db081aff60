// bench/throughput: are the GPUs busy? A fake agent that thinks for P seconds, a fake eval that
// holds a fake GPU (its worker's) for E seconds; the real engine, real git, real processes.
// Prints, side by side in one run, the share of wall time each GPU is busy for the serial and
// the pipelined scheduler at several (P, E), and experiments per hour with 1, 2, 4, 8 workers.
//   node bench/throughput.ts [--experiments 6] [--per-worker 12] [--scale 1]
// --scale multiplies every P and E (0.5 halves the bench's time; shares do not depend on it).
// --per-worker: experiments per simulated GPU in the N sweep (a night is hundreds: the one-time
// start, the incumbent measured on every worker at once, weighs 1/(K+1) of the sweep's evals).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const N = Number(flag("--experiments", "6"));
const SCALE = Number(flag("--scale", "1"));
const PER_WORKER = Number(flag("--per-worker", "12"));
const CLI = resolve(import.meta.dirname, "..", "action", "cli.ts");

// The eval: E seconds on "its GPU", logged as a busy interval; prints the sum of ten
// parameters (+ noise).
const EVAL = `
const fs = require("node:fs");
const dir = process.env.BENCH_DIR;
const start = Date.now();
const value = fs.readFileSync("params.txt", "utf8").trim().split("\\n").reduce((s, l) => s + Number(l), 0);
const noise = Number(process.env.BENCH_NOISE) * (Math.random() * 2 - 1);
setTimeout(() => {
  fs.appendFileSync(dir + "/busy-" + process.env.AUTOEXP_WORKER, start + " " + Date.now() + " " + value + "\\n");
  console.log("loss: " + (value + noise));
}, Number(process.env.BENCH_E) * 1000);
`;
// The agent: P seconds of thinking, then one of the ten parameters changed (its own line, as
// separate ideas usually are); one in ten is an improvement.
const AGENT = `
const fs = require("node:fs");
const i = Number(process.env.AUTOEXP_ITERATION);
setTimeout(() => {
  const lines = fs.readFileSync("params.txt", "utf8").trim().split("\\n");
  const k = i % lines.length;
  lines[k] = String(Number(lines[k]) + (i % 10 === 0 ? -1 : 1 + (i % 7) / 10));
  fs.writeFileSync("params.txt", lines.join("\\n") + "\\n");
  fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "param " + k + " -> " + lines[k]);
}, Number(process.env.BENCH_P) * 1000);
`;

function git(cwd: string, ...argv: string[]) {
  execFileSync("git", argv, { cwd, stdio: "ignore" });
}

interface Run {
  busy: number[];
  wallMs: number;
  /** From the baseline's first run to the last eval's end: the whole batch, start-up included. */
  wholeMs: number;
  experiments: number;
  /** Kept, re-applied onto a newer incumbent and evaluated again, recorded against an older one. */
  kept: number;
  reapplied: number;
  against: number;
}

function run(
  p: number,
  e: number,
  options: {
    pipeline: boolean;
    workers: number;
    proposers: number;
    noise?: number;
    experiments: number;
  },
): Run {
  const repo = mkdtempSync(join(tmpdir(), "autoexp-throughput-"));
  const dir = mkdtempSync(join(tmpdir(), "autoexp-gpu-"));
  const agent = join(dir, "agent.js");
  writeFileSync(agent, AGENT);
  writeFileSync(join(repo, "params.txt"), `${Array.from({ length: 10 }, () => "10").join("\n")}\n`);
  writeFileSync(join(repo, "eval.js"), EVAL);
  writeFileSync(
    join(repo, "autoexp.yml"),
    `name: throughput
target: [params.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } }, pass_env: [BENCH_DIR, BENCH_E, BENCH_NOISE] }
isolation: { shared: [${JSON.stringify(dir)}] }
decide: { baseline_runs: ${options.noise ? 3 : 1}, min_delta: ${options.noise ? "auto" : 0}, remeasure_every: 0 }
agent: { use: command, run: [node, ${JSON.stringify(agent)}], timeout: 60s }
pipeline: ${options.pipeline}
workers: ${options.workers}
proposers: ${options.proposers}
budget: { experiments: ${options.experiments} }
`,
  );
  git(repo, "init", "-q", "--initial-branch=main");
  git(repo, "-c", "user.name=b", "-c", "user.email=b@b", "add", "-A");
  git(repo, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "start");
  const env = {
    ...process.env,
    BENCH_DIR: dir,
    BENCH_P: String(p * SCALE),
    BENCH_E: String(e * SCALE),
    BENCH_NOISE: String(options.noise ?? 0),
  };
  const events = execFileSync(process.execPath, [CLI, "run", "--tag", "t", "--json"], {
    cwd: repo,
    env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", process.env.TRACE ? "inherit" : "pipe"],
  })
    .trim()
    .split("\n")
    .map(
      (l) =>
        JSON.parse(l) as {
          type: string;
          message?: string;
          row?: { status: string; against?: number };
        },
    );
  // The experiment phase: from the first experiment's eval to the last one's end. The first
  // proposal (one P, once a night), the baseline and, with several workers, the incumbent
  // measured on each at once are start-up (once a tag), not the steady state. The start's code
  // sums to 100; every candidate changes it.
  const files = readdirSync(dir).filter((f) => f.startsWith("busy-"));
  const intervals = files.map((f) =>
    readFileSync(join(dir, f), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" ").map(Number) as [number, number, number]),
  );
  const all = intervals.flat().sort((a, b) => a[0] - b[0]);
  const phaseStart = all.find((x) => x[2] !== 100)![0];
  const phaseEnd = Math.max(...all.map((x) => x[1]));
  const wallMs = phaseEnd - phaseStart;
  const wholeMs = phaseEnd - all[0]![0];
  const busy = Array.from({ length: options.workers }, (_, w) => {
    const mine = intervals[files.indexOf(`busy-${w}`)] ?? [];
    const ms = mine.reduce((s, [a, b]) => s + Math.max(0, b - Math.max(a, phaseStart)), 0);
    return ms / wallMs;
  });
  const rows = events.filter((x) => x.type === "experiment").map((x) => x.row!);
  return {
    busy,
    wallMs,
    wholeMs,
    experiments: rows.length,
    kept: rows.filter((r) => r.status === "keep").length,
    reapplied: events.filter((x) => x.message?.includes("re-applied and evaluated there")).length,
    against: rows.filter((r) => r.against !== undefined).length,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
if (process.env.ONE) {
  const [p, e] = process.env.ONE.split(",").map(Number) as [number, number];
  const r = run(p, e, { pipeline: true, workers: 1, proposers: 1, experiments: N });
  console.log(`one run P ${p} E ${e}: busy ${r.busy.map(pct).join(" ")}, wall ${r.wallMs} ms`);
  process.exit(0);
}
// ONLY_N alone runs only the N sweep; ONLY_PE alone only the busy-share rows.
if (process.env.ONLY_N === undefined || process.env.ONLY_PE !== undefined) {
  console.log(
    `GPU busy share from the first experiment's eval to the last (${N} experiments, times x${SCALE}):`,
  );
  console.log("P s  E s  serial  pipelined  pipelined+proposers");
  // ONLY_PE=4,1 runs that (P, E) row alone.
  const only = process.env.ONLY_PE?.split(",").map(Number);
  for (const [p, e] of (
    [
      [2, 2],
      [1, 4],
      [4, 1],
    ] as const
  ).filter(([p, e]) => !only || (only[0] === p && only[1] === e))) {
    const serial = run(p, e, { pipeline: false, workers: 1, proposers: 1, experiments: N });
    const piped = run(p, e, { pipeline: true, workers: 1, proposers: 1, experiments: N });
    const k = Math.ceil(p / e);
    const proposers = run(p, e, { pipeline: true, workers: 1, proposers: k, experiments: N });
    console.log(
      `${p}    ${e}    ${pct(serial.busy[0]!).padEnd(7)} ${pct(piped.busy[0]!).padEnd(10)} ${pct(proposers.busy[0]!)} (proposers ${k})`,
    );
  }
  {
    const serial = run(1, 2, {
      pipeline: false,
      workers: 1,
      proposers: 1,
      noise: 0.4,
      experiments: N,
    });
    const piped = run(1, 2, {
      pipeline: true,
      workers: 1,
      proposers: 1,
      noise: 0.4,
      experiments: N,
    });
    console.log(
      `noisy eval with confirmations (P 1, E 2): serial ${pct(serial.busy[0]!)}, pipelined ${pct(piped.busy[0]!)}`,
    );
  }
}
if (process.env.ONLY_PE !== undefined && process.env.ONLY_N === undefined) process.exit(0);
console.log(
  `\nexperiments per hour with N simulated GPUs (P 0.5 s, E 2 s, proposers N, ${PER_WORKER} experiments per GPU):`,
);
let single = 0;
let singleWhole = 0;
for (const n of (process.env.ONLY_N ?? "1,2,4,8").split(",").map(Number)) {
  const r = run(0.5, 2, { pipeline: true, workers: n, proposers: n, experiments: PER_WORKER * n });
  const perHour = (r.experiments / (r.wallMs / 1000)) * 3600;
  const perHourWhole = (r.experiments / (r.wholeMs / 1000)) * 3600;
  if (n === 1) [single, singleWhole] = [perHour, perHourWhole];
  console.log(
    `N ${n}: ${perHour.toFixed(0)} experiments/h (${(perHour / single).toFixed(2)}x one GPU, target >= ${(0.9 * n).toFixed(1)}x); busy ${r.busy.map(pct).join(" ")}; ${r.experiments} experiments, ${r.kept} kept, ${r.reapplied} re-applied after a keep, ${r.against} recorded against an earlier incumbent; whole batch with its start ${perHourWhole.toFixed(0)}/h (${(perHourWhole / singleWhole).toFixed(2)}x)`,
  );
}
