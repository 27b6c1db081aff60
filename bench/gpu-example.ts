// bench/gpu-example: the GPU example (templates/examples/gpu-train) run for real under the Action's
// entry point (dist/action.js with INPUT_* variables), as a GPU runner runs it, with nvidia-smi
// sampled every 250 ms. Prints: GPU utilisation during training, the share of the batch's wall
// time with the GPU busy, experiments per hour, the baseline noise (sd of val_bpb over the
// baseline runs), what was kept with its confidence, and each run's own figures.
//   node bench/gpu-example.ts [experiments=10] [training_seconds]
// training_seconds sets AUTOEXP_TIME_BUDGET (default: prepare.py's, 300 s; 5 s in tiny mode).
// Without nvidia-smi, or with AUTOEXP_TINY=1, it runs the CPU tiny mode and says that the GPU
// figures were not measured. PYTHON picks the interpreter (default: the first with PyTorch).
// The data is generated once into $AUTOEXP_GPU_TRAIN_CACHE or ~/.cache/autoexp-gpu-train.
// THINK=30 replaces the search agent with one that thinks 30 s per proposal (as a model does)
// and then scales one hyperparameter; PIPELINE=false|true sets the scheduler. bench/gpu-pipeline
// runs both schedulers with THINK and puts the figures side by side.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseMetrics } from "../action/eval/parse-metrics.ts";
import type { ConfigEntry, ResultEntry } from "../action/ledger/types.ts";

const EXPERIMENTS = Number(process.argv[2] ?? 10);
const BUDGET = process.argv[3];
const ACTION = join(import.meta.dirname, "..", "dist", "action.js");
const EXAMPLE = join(import.meta.dirname, "..", "templates", "examples", "gpu-train");
const TAG = "bench";
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, encoding: "utf8" });

function torchPython(): string {
  for (const candidate of [process.env.PYTHON, "/usr/bin/python3", "python3", "python"]) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ["-c", "import sys, torch; print(sys.executable)"], {
      encoding: "utf8",
    });
    if (probe.status === 0) return probe.stdout.trim();
  }
  throw new Error("no Python with PyTorch found: set PYTHON, or apt-get install python3-torch");
}

const hasGpu = spawnSync("nvidia-smi", ["-L"], { stdio: "ignore" }).status === 0;
const tiny = process.env.AUTOEXP_TINY === "1" || !hasGpu;
const python = torchPython();
const cacheRoot =
  process.env.AUTOEXP_GPU_TRAIN_CACHE || join(homedir(), ".cache", "autoexp-gpu-train");
const evalEnv: Record<string, string> = {
  PYTHON: python,
  ...(tiny ? { AUTOEXP_TINY: "1" } : {}),
  ...(BUDGET ? { AUTOEXP_TIME_BUDGET: BUDGET } : {}),
  ...(process.env.AUTOEXP_GPU_TRAIN_CACHE ? { AUTOEXP_GPU_TRAIN_CACHE: cacheRoot } : {}),
};

console.log(
  `bench/gpu-example: ${EXPERIMENTS} experiments of templates/examples/gpu-train under dist/action.js, ` +
    `${tiny ? "CPU tiny mode (AUTOEXP_TINY=1)" : "GPU"}, python ${python}, node ${process.version}`,
);
if (!hasGpu) console.log("  no nvidia-smi here: GPU figures are not measured; CPU figures only");

// 1. The data, once (what a user does before the first batch).
const t0 = performance.now();
const prepared = spawnSync(python, ["prepare.py"], {
  cwd: EXAMPLE,
  encoding: "utf8",
  env: { ...process.env, ...evalEnv, PYTHONDONTWRITEBYTECODE: "1" },
});
if (prepared.status !== 0) throw new Error(`prepare.py failed:\n${prepared.stderr}`);
const prepareSeconds = (performance.now() - t0) / 1000;
for (const line of prepared.stdout.trim().split("\n")) console.log(`  prepare.py | ${line}`);
const meta = JSON.parse(
  readFileSync(join(cacheRoot, tiny ? "tiny" : "full", "meta.json"), "utf8"),
) as Record<string, number>;

// 2. A repository with the example, a bare remote, and the runner's clone.
const root = mkdtempSync(join(tmpdir(), "autoexp-bench-gpu-"));
const source = join(root, "source");
cpSync(EXAMPLE, source, { recursive: true, filter: (p) => !p.includes("__pycache__") });
if (process.env.AUTOEXP_GPU_TRAIN_CACHE) {
  const config = join(source, "autoexp.yml");
  writeFileSync(
    config,
    readFileSync(config, "utf8").replace(
      "read_only: [~/.cache/autoexp-gpu-train]",
      `read_only: [${cacheRoot}]`,
    ),
  );
}
// A thinking agent (THINK s per proposal): one hyperparameter scaled per experiment, in turn.
const THINKING_AGENT = `
const fs = require("node:fs");
const i = Number(process.env.AUTOEXP_ITERATION);
const knobs = [["LEARNING_RATE", 1.5], ["LEARNING_RATE", 0.7], ["WARMDOWN_RATIO", 1.25], ["EMBEDDING_LR", 1.5], ["WEIGHT_DECAY", 0.5], ["BATCH_SIZE", 0.5]];
const [name, factor] = knobs[(i - 1) % knobs.length];
setTimeout(() => {
  const text = fs.readFileSync("train.py", "utf8");
  const re = new RegExp("^" + name + " = ([0-9.e-]+)", "m");
  const old = Number(re.exec(text)[1]);
  const value = name === "BATCH_SIZE" ? Math.max(8, Math.round(old * factor)) : Number((old * factor).toPrecision(3));
  fs.writeFileSync("train.py", text.replace(re, name + " = " + value));
  fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, name + " " + old + " -> " + value);
}, ${Number(process.env.THINK ?? 0) * 1000});
`;
{
  const config = join(source, "autoexp.yml");
  let text = readFileSync(config, "utf8");
  if (process.env.THINK) {
    writeFileSync(join(root, "thinking-agent.js"), THINKING_AGENT);
    text = text.replace(
      /^ {2}use: search.*$/m,
      `  use: command\n  run: [node, ${JSON.stringify(join(root, "thinking-agent.js"))}]\n  timeout: 10m`,
    );
  }
  if (process.env.PIPELINE) text += `pipeline: ${process.env.PIPELINE === "true"}\n`;
  writeFileSync(config, text);
}
git(source, "init", "-q", "--initial-branch=main");
git(source, "config", "user.name", "bench");
git(source, "config", "user.email", "bench@example.com");
git(source, "add", "-A");
git(source, "commit", "-qm", "gpu-train example");
const remote = join(root, "remote.git");
git(root, "init", "-q", "--bare", "--initial-branch=main", remote);
git(source, "push", "-q", remote, "main");
const work = join(root, "work");
git(root, "clone", "-q", remote, work);
git(work, "config", "user.name", "bench");
git(work, "config", "user.email", "bench@example.com");

// 3. nvidia-smi every 250 ms, for the whole batch.
interface Sample {
  t: number;
  util: number;
  memMb: number;
}
const samples: Sample[] = [];
const device = (process.env.CUDA_VISIBLE_DEVICES ?? "0").split(",")[0]!.trim();
const smi = hasGpu
  ? spawn(
      "nvidia-smi",
      [
        "--query-gpu=index,uuid,timestamp,utilization.gpu,memory.used",
        "--format=csv,noheader,nounits",
        "-lms",
        "250",
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    )
  : null;
if (smi) {
  createInterface({ input: smi.stdout! }).on("line", (line) => {
    const [index, uuid, stamp, util, mem] = line.split(",").map((s) => s.trim());
    if (index !== device && uuid !== device) return;
    samples.push({ t: smiTime(stamp!) ?? Date.now(), util: Number(util), memMb: Number(mem) });
  });
}

/** nvidia-smi's "2025/01/31 23:59:59.123", local time, in ms since the epoch. */
function smiTime(stamp: string): number | null {
  const m = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(stamp);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as number[];
  const ms = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  return new Date(y!, mo! - 1, d!, h!, mi!, s!, ms).getTime();
}

// 4. The batch, as the runner starts it.
const files = mkdtempSync(join(root, "runner-"));
for (const f of ["output", "summary"]) writeFileSync(join(files, f), "");
const env: Record<string, string> = {
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? root,
  ...(process.env.CUDA_VISIBLE_DEVICES
    ? { CUDA_VISIBLE_DEVICES: process.env.CUDA_VISIBLE_DEVICES }
    : {}),
  GITHUB_ACTIONS: "true",
  GITHUB_WORKSPACE: work,
  GITHUB_OUTPUT: join(files, "output"),
  GITHUB_STEP_SUMMARY: join(files, "summary"),
  RUNNER_TEMP: files,
  INPUT_MODE: "run",
  INPUT_TAG: TAG,
  INPUT_EXPERIMENTS: String(EXPERIMENTS),
  ...evalEnv,
};
const batchStart = Date.now();
const code = await new Promise<number | null>((resolve) => {
  const child = spawn(process.execPath, [ACTION], {
    cwd: work,
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (/^::(group|warning|error)::/.test(line)) process.stderr.write(`  action | ${line}\n`);
  });
  child.on("close", resolve);
});
const batchEnd = Date.now();
smi?.kill();
if (code !== 0) throw new Error(`dist/action.js exited with ${code}; the run is in ${work}`);

// 5. The record: the ledger on the branch, and each eval run's log.
const ledger = git(work, "show", `autoexp/${TAG}:.autoexp/${TAG}/log.jsonl`)
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as { type: string });
const header = ledger.find((e) => e.type === "config") as ConfigEntry;
const results = ledger.filter((e) => e.type === "result") as ResultEntry[];
const logsDir = join(work, ".git", "autoexp", TAG, "logs");
const runs = (existsSync(logsDir) ? readdirSync(logsDir) : [])
  .filter((f) => f.endsWith(".log") && !f.includes("checks"))
  .map((f) => {
    const path = join(logsDir, f);
    const m = parseMetrics(readFileSync(path, "utf8"));
    // The log's last write is the summary, at the end of the run; training ended eval_seconds before.
    const end = statSync(path).mtimeMs - (m.get("eval_seconds") ?? 0) * 1000;
    const training = (m.get("training_seconds") ?? 0) * 1000;
    return { name: f, m, window: [end - training, end] as const };
  })
  .filter((r) => r.m.has("val_bpb"));

const wallHours = (batchEnd - batchStart) / 3_600_000;
const experiments = results.filter((r) => r.iteration > 0).length;
const baseline = results.find((r) => r.iteration === 0);
const baselineRuns = baseline?.samples.val_bpb ?? [];
const kept = results.filter(
  (r) => r.iteration > 0 && ["keep", "simplification"].includes(r.status),
);
const best = Math.min(...results.filter((r) => r.score !== null).map((r) => r.score!));
const trainingSeconds = runs.reduce((s, r) => s + (r.m.get("training_seconds") ?? 0), 0);

const fmt = (x: number | undefined, digits = 1) =>
  x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(digits);
const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!;
};
const sd = (xs: number[]) => {
  if (xs.length < 2) return Number.NaN;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
};
const perRun = (key: string) => median(runs.map((r) => r.m.get(key) ?? Number.NaN));
const counts = new Map<string, number>();
for (const r of results.filter((r) => r.iteration > 0))
  counts.set(r.status, (counts.get(r.status) ?? 0) + 1);

console.log(
  `\nbench/gpu-example: results (${tiny ? "CPU tiny mode" : "GPU"}${process.env.THINK ? `, agent thinking ${process.env.THINK} s` : ""}${process.env.PIPELINE ? `, pipeline: ${process.env.PIPELINE}` : ""})`,
);
console.log(
  `  data (prepare.py, once)          ${fmt(prepareSeconds)} s, ${meta.train_chars?.toLocaleString("en")} training symbols`,
);
console.log(
  `  reference points (bpb)           uniform ${meta.uniform_bpb}, letter frequencies ${meta.unigram_bpb}, generator entropy ${meta.entropy_bpb}`,
);
console.log(
  `  batch wall time                  ${fmt(wallHours * 60, 2)} min for ${experiments} experiments and ${runs.length} eval runs`,
);
console.log(
  `  experiments per hour             ${fmt(experiments / wallHours)}  (eval runs per hour ${fmt(runs.length / wallHours)})`,
);
console.log(
  `  statuses                         ${[...counts].map(([s, n]) => `${s} ${n}`).join(", ")}`,
);
console.log(
  `  share of wall time training      ${fmt((100 * trainingSeconds) / ((batchEnd - batchStart) / 1000))}%`,
);
console.log(
  `  per run (median)                 training ${fmt(perRun("training_seconds"))} s, total ${fmt(perRun("total_seconds"))} s, eval ${fmt(perRun("eval_seconds"))} s, ${fmt(perRun("tokens_per_sec"), 0)} tokens/s, MFU ${runs.some((r) => r.m.has("mfu_percent")) ? `${fmt(perRun("mfu_percent"), 2)}%` : "n/a"}, peak VRAM ${fmt(perRun("peak_vram_mb"), 0)} MB`,
);
console.log(
  `  baseline val_bpb                 ${fmt(header.baseline, 4)} over ${baselineRuns.length} runs: ${baselineRuns.map((x) => x.toFixed(4)).join(", ")}`,
);
console.log(
  `  baseline noise (sd of val_bpb)   ${fmt(sd(baselineRuns), 4)}  (ledger noise ${fmt(header.noise ?? Number.NaN, 4)}, min_delta ${fmt(header.min_delta, 4)})`,
);
console.log(
  `  best val_bpb                     ${fmt(best, 4)}  (${fmt((100 * (best - header.baseline)) / header.baseline, 2)}% from the baseline)`,
);
if (kept.length === 0) console.log("  kept                             nothing");
for (const k of kept) {
  const e = k.evidence;
  const how = e
    ? `gain ${fmt(e.gain, 4)}, ${e.effect_sigma === null ? "" : `${fmt(e.effect_sigma, 1)} sd, `}p ${e.p === null ? "n/a" : e.p.toPrecision(2)}, ${Math.round(100 * (header.confidence ?? 0.95))}% interval ${e.ci ? `[${fmt(e.ci[0], 4)}, ${fmt(e.ci[1], 4)}]` : "n/a"}, ${e.runs} vs ${e.incumbent_runs} runs (${e.test})`
    : "no evidence recorded";
  console.log(
    `  kept #${k.iteration}: ${k.description} -> ${fmt(k.score ?? Number.NaN, 4)}; ${how}`,
  );
}
if (!hasGpu) {
  console.log("  GPU utilisation                  not measured (no GPU on this machine)");
} else {
  const during = samples.filter((s) => runs.some((r) => s.t >= r.window[0] && s.t <= r.window[1]));
  const inBatch = samples.filter((s) => s.t >= batchStart && s.t <= batchEnd);
  const mean = (xs: Sample[]) => xs.reduce((a, s) => a + s.util, 0) / xs.length;
  console.log(
    `  GPU samples (every 250 ms)       ${inBatch.length} in the batch, ${during.length} during training`,
  );
  console.log(
    `  GPU utilisation during training  mean ${fmt(mean(during))}%, ${fmt((100 * during.filter((s) => s.util >= 80).length) / during.length)}% of samples >= 80%  (target: mean >= 80%)`,
  );
  console.log(
    `  GPU busy, share of batch time    ${fmt(mean(inBatch))}%  (mean utilisation over the whole batch)`,
  );
  console.log(
    `  GPU memory used, peak            ${fmt(Math.max(...inBatch.map((s) => s.memMb)), 0)} MB`,
  );
}
console.log(`  the run is kept in ${work}`);
