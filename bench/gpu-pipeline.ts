// bench/gpu-pipeline: the GPU example with an agent that thinks THINK seconds per proposal (30 by
// default, as a model does), serial then pipelined, each a full bench/gpu-example run; prints
// experiments per hour and the GPU figures (nvidia-smi) of both side by side.
//   node bench/gpu-pipeline.ts [experiments=6] [training_seconds] [think_seconds=30]
// On a GPU machine: about 2 x experiments x (training + start-up) plus the thinking; with the
// 300 s training of the example, 6 experiments take about an hour. Pass training_seconds (e.g.
// 60) for a shorter check. Without nvidia-smi it runs the CPU tiny mode (GPU figures not measured).
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const [experiments = "6", training, think = "30"] = process.argv.slice(2);
const WANTED = [
  "batch wall time",
  "experiments per hour",
  "share of wall time training",
  "GPU utilisation during training",
  "GPU busy, share of batch time",
  "statuses",
];

const figures: Record<string, Record<string, string>> = {};
for (const pipeline of ["false", "true"]) {
  const run = spawnSync(
    process.execPath,
    [join(import.meta.dirname, "gpu-example.ts"), experiments, ...(training ? [training] : [])],
    {
      encoding: "utf8",
      env: { ...process.env, THINK: think, PIPELINE: pipeline },
      maxBuffer: 64 * 1024 * 1024,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  process.stdout.write(run.stdout);
  if (run.status !== 0) throw new Error(`bench/gpu-example failed with pipeline: ${pipeline}`);
  figures[pipeline] = {};
  for (const line of run.stdout.split("\n")) {
    const name = WANTED.find((w) => line.trim().startsWith(w));
    if (name) figures[pipeline]![name] = line.trim().slice(name.length).trim();
  }
}
console.log(`\nbench/gpu-pipeline: the agent thinks ${think} s per proposal; serial vs pipelined`);
for (const name of WANTED)
  console.log(
    `  ${name.padEnd(32)} serial: ${figures.false![name] ?? "n/a"}\n  ${"".padEnd(32)} pipelined: ${figures.true![name] ?? "n/a"}`,
  );
