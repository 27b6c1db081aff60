// bench/curves: what the training-curves section costs the agent's context and autoexp's time.
//   node bench/curves.ts [--mb 50] [--repeats 5]
// 1. The context's added size: the same context (a synthetic night of 20 experiments, the default
//    60,000-character budget) built without and with the curves read from the real H100 log
//    (test/fixtures/gpu-train-ok.log) as the incumbent's and the last 3 candidates' first runs.
// 2. The time to read and summarise a --mb log: a long run's progress line at every step
//    (readCurves reads its first 512 KiB and last 1.5 MiB).
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildContext } from "../action/agents/context/build-context.ts";
import type { ContextInput } from "../action/agents/context/context-input.ts";
import { readCurves } from "../action/agents/context/read-curves.ts";
import { syntheticLedger, syntheticScript } from "../test/helpers/synthetic-ledger.ts";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const MB = Number(flag("--mb", "50"));
const REPEATS = Number(flag("--repeats", "5"));
const LOG = readFileSync(join(import.meta.dirname, "..", "test", "fixtures", "gpu-train-ok.log"));

const dir = mkdtempSync(join(tmpdir(), "autoexp-bench-curves-"));
try {
  // 1. Added size.
  const { header, results } = syntheticLedger(20);
  const logs = join(dir, "logs");
  mkdirSync(logs);
  for (const row of results) writeFileSync(join(logs, `${row.iteration}-0.log`), LOG);
  const base: ContextInput = {
    metric: "val_bpb",
    goal: "minimize",
    incumbentScore: 0.97,
    header,
    results,
    program: "Make val_bpb lower on a fixed 5-minute budget.\n",
    files: [{ path: "train.py", text: syntheticScript(300) }],
    notes: "",
    budget: { experiments: 10, wallClockMs: null, costUsd: null },
    maxChars: 60_000,
    protocol: { kind: "edits", wholeFileMax: 8000 },
  };
  const curves = await readCurves(logs, results, "val_bpb");
  const without = buildContext(base).length;
  const withCurves = buildContext({ ...base, curves }).length;
  console.log(
    `context: ${without} characters without curves, ${withCurves} with (${curves.length} runs: the incumbent and ${curves.length - 1} candidates): +${withCurves - without} characters`,
  );

  // 2. A long log.
  const big = join(dir, "big");
  mkdirSync(big);
  const path = join(big, "0-0.log");
  // A long run printing a progress line every step: loss 3 -> ~0.5, flat for the last half.
  const fd = openSync(path, "w");
  let size = 0;
  let step = 0;
  while (size < MB * 1024 * 1024) {
    const lines = Array.from({ length: 10_000 }, () => {
      step++;
      const loss = 0.5 + 2.5 * Math.exp(-step / 50_000) + 0.01 * Math.sin(step);
      return `\rstep ${String(step).padStart(6, "0")} | loss: ${loss.toFixed(6)} | dt: 31ms | remaining: 9s    `;
    });
    size += writeSync(fd, lines.join(""));
  }
  size += writeSync(fd, `\n---\nval_bpb: 0.5\nnum_steps: ${step}\n`);
  closeSync(fd);
  const times: number[] = [];
  let shown = "";
  for (let r = 0; r < REPEATS; r++) {
    const started = performance.now();
    const runs = await readCurves(big, [results[0]!], "val_bpb");
    times.push(performance.now() - started);
    shown = runs[0]?.series[0]
      ? `${runs[0].series[0].name}: lowest ${runs[0].series[0].min?.y}, ${runs[0].series[0].shape}`
      : "no curve";
  }
  times.sort((a, b) => a - b);
  console.log(
    `a ${(size / 1024 / 1024).toFixed(1)} MB log: read and summarised in ${times[Math.floor(times.length / 2)]!.toFixed(1)} ms (median of ${REPEATS}; min ${times[0]!.toFixed(1)}, max ${times.at(-1)!.toFixed(1)}); ${shown}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
