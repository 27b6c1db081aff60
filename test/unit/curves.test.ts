import { execFileSync } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildContext } from "../../action/agents/context/build-context.ts";
import type { ContextInput } from "../../action/agents/context/context-input.ts";
import { parseCurves } from "../../action/agents/context/parse-curves.ts";
import { readCurves, readLog } from "../../action/agents/context/read-curves.ts";
import { summariseCurve } from "../../action/agents/context/summarise-curve.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { tempDir } from "../helpers/repo.ts";
import { syntheticLedger, syntheticScript } from "../helpers/synthetic-ledger.ts";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");
const OK_LOG = readFileSync(join(FIXTURES, "gpu-train-ok.log"), "utf8");

function row(iteration: number, status: ResultEntry["status"], score: number | null) {
  return {
    ...syntheticLedger(0).results[0]!,
    iteration,
    status,
    score,
    description: `idea ${iteration}`,
  } as ResultEntry;
}

/** `step` lines with `loss` from `f`, karpathy's format, carriage returns between them. */
function steps(n: number, f: (i: number) => number): string {
  return Array.from(
    { length: n },
    (_, i) =>
      `\rstep ${String(i * 10).padStart(5, "0")} (${i}%) | loss: ${Number(f(i).toPrecision(12))} | remaining: 9s`,
  ).join("");
}

describe("training curves from an eval's log", () => {
  it("reads the real H100 log's loss by step: its minimum, and that it fell then went flat", () => {
    const series = parseCurves(OK_LOG);
    const loss = series.find((s) => s.name === "loss")!;
    expect(loss.x).toBe("step");
    expect(loss.ys.length).toBe(137);
    // The summary block (val_bpb, num_steps) is printed once: not a curve.
    expect(series.map((s) => s.name)).not.toContain("val_bpb");
    const summary = summariseCurve(loss);
    expect(summary.points[0]).toEqual({ x: 10, y: 1.5521 });
    expect(summary.points.at(-1)).toEqual({ x: 1370, y: 0.483809 });
    expect(summary.min).toEqual({ x: 1130, y: 0.471118 });
    // The loss falls from 1.55 to about 0.49 by step ~150 and then stays there.
    const flat = /^falling, flat from step (\d+) \((\d+)% in\)$/.exec(summary.shape)!;
    expect(flat).not.toBeNull();
    expect(Number(flat[1])).toBeGreaterThanOrEqual(120);
    expect(Number(flat[1])).toBeLessThanOrEqual(250);
  });

  it("says nothing for a log without repeated metric lines (the real OOM traceback)", () => {
    expect(parseCurves(readFileSync(join(FIXTURES, "gpu-train-oom.log"), "utf8"))).toEqual([]);
    expect(parseCurves("val_bpb: 0.99\nnum_steps: 1373\n")).toEqual([]);
  });

  it("names the shapes that matter: still falling, diverged to NaN, a rise past the start", () => {
    const shape = (text: string) => summariseCurve(parseCurves(text)[0]!).shape;
    expect(shape(steps(100, (i) => 2 - i * 0.01))).toBe("still falling at the end");
    expect(shape(steps(100, (i) => (i < 70 ? 2 - i * 0.01 : Number.NaN)))).toBe(
      "diverged at step 700 (NaN); before that: still falling at the end",
    );
    expect(shape(steps(100, (i) => (i < 50 ? 2 - i * 0.02 : 1 + (i - 50) * 0.05)))).toMatch(
      /^diverged after step 4\d0 \(4\d% in\): fell to its lowest there, then went back past where it started$/,
    );
    expect(shape(steps(100, (i) => Math.min(0.9, i * 0.03)))).toMatch(
      /^rising, flat from step [23]\d0 \([23]\d% in\)$/,
    );
    // Noise around a constant is not a trend.
    let seed = 7;
    const noise = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647 - 0.5;
    };
    expect(shape(steps(200, () => 1 + noise() * 0.1))).toBe(
      "flat throughout (moves within its noise)",
    );
  });

  it("reads the formats in use: nanoGPT, a Python dict per log call, tqdm's postfix", () => {
    const nano = Array.from(
      { length: 8 },
      (_, i) => `iter ${i * 10}: loss ${(3 - i * 0.1).toFixed(4)}, time 12.${i}ms, mfu 3.2${i}%`,
    ).join("\n");
    expect(parseCurves(nano).map((s) => [s.name, s.x, s.ys[1]])).toEqual([
      ["loss", "iter", 2.9],
      ["time", "iter", 12.1],
      ["mfu", "iter", 3.21],
    ]);
    const hf = Array.from(
      { length: 6 },
      (_, i) => `{'loss': ${3 - i * 0.5}, 'learning_rate': 5e-05, 'epoch': ${i / 4}}`,
    ).join("\n");
    expect(parseCurves(hf).map((s) => [s.name, s.x, s.xs.at(-1)])).toEqual([
      ["loss", "epoch", 1.25],
    ]);
    const tqdm = Array.from(
      { length: 6 },
      (_, i) => `\r 45%|####5     | 45/100 [00:10<00:12, 4.${i}it/s, loss=${3 - i * 0.25}]`,
    ).join("");
    expect(parseCurves(tqdm).find((s) => s.name === "loss")?.ys).toEqual([
      3, 2.75, 2.5, 2.25, 2, 1.75,
    ]);
    // karpathy's full progress line: thousands separators and units are read as numbers.
    const full = Array.from(
      { length: 6 },
      (_, i) =>
        `\rstep 0010${i} (1.${i}%) | loss: 3.${i} | lrm: 1.00 | dt: 31${i}ms | tok/sec: 1,68${i},123 | mfu: 39.${i}% | epoch: 1 | remaining: 29${i}s    `,
    ).join("");
    const names = parseCurves(full).map((s) => `${s.name}/${s.x}`);
    expect(names).toEqual(["loss/step", "dt/step", "tok/sec/step", "mfu/step", "remaining/step"]);
    expect(parseCurves(full).find((s) => s.name === "tok/sec")!.ys[2]).toBe(1682123);
  });

  it("never breaks on odd bytes: invalid UTF-8, NULs, escapes, a 100k-character line", () => {
    const junk = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x1b, 0x5b, 0x33, 0x31, 0x6d]),
      Buffer.from(`${"x".repeat(100_000)}\n\u202eloss: 1\u0000\n`),
      Buffer.from(steps(20, (i) => 2 - i * 0.05)),
      Buffer.from([0xe2, 0x82]),
    ]);
    const series = parseCurves(junk.toString("utf8"));
    // The stray `loss: 1` without a step is not placed on the step axis; `remaining` never moves.
    expect(series.map((s) => s.name)).toEqual(["loss"]);
    expect(series[0]!.ys.length).toBe(20);
    expect(summariseCurve(series[0]!).min).toEqual({ x: 190, y: 1.05 });
  });

  it("reads the incumbent's and the last 3 candidates' first runs from the log folder", async () => {
    const logs = tempDir();
    writeFileSync(join(logs, "0-0.log"), OK_LOG);
    writeFileSync(join(logs, "2-0.log"), OK_LOG.replace(/loss: 0\.4/g, "loss: 0.3"));
    writeFileSync(join(logs, "3-0.log"), readFileSync(join(FIXTURES, "gpu-train-oom.log")));
    writeFileSync(
      join(logs, "4-0.log"),
      steps(30, (i) => 2 - i * 0.01),
    );
    writeFileSync(
      join(logs, "5-0.log"),
      steps(30, (i) => 3 - i * 0.01),
    );
    writeFileSync(
      join(logs, "5-1.log"),
      steps(30, (i) => 9 - i * 0.01),
    );
    const history = [
      row(0, "baseline", 0.7),
      row(1, "discard", 0.8),
      row(2, "discard", 0.71),
      row(3, "crash", null),
      row(4, "agent_error", null),
      row(5, "discard", 0.75),
    ];
    const runs = await readCurves(logs, history, "val_bpb");
    // #0 is the incumbent; #4 was never evaluated, #3 crashed before printing a curve, #1's log is gone.
    expect(runs.map((r) => [r.iteration, r.incumbent])).toEqual([
      [0, true],
      [2, false],
      [5, false],
    ]);
    // Clocks (remaining) are not shown; #5's first run, not its second.
    expect(runs[0]!.series.map((s) => s.name)).toEqual(["loss"]);
    expect(runs[2]!.series[0]!.points[0]!.y).toBe(3);
    expect(runs[1]!.series[0]!.min!.y).toBe(0.371118);
  });

  it("reads a 50 MB log by its head and tail, quickly", async () => {
    const logs = tempDir();
    const path = join(logs, "0-0.log");
    const fd = openSync(path, "w");
    writeSync(
      fd,
      steps(50, (i) => 5 - i * 0.01),
    );
    const filler = Buffer.from(`${"noise line without numbers ".repeat(40)}\n`);
    const chunk = Buffer.concat(Array.from({ length: 1000 }, () => filler));
    for (let written = 0; written < 50 * 1024 * 1024; written += chunk.length) writeSync(fd, chunk);
    writeSync(fd, OK_LOG);
    closeSync(fd);
    const started = performance.now();
    const runs = await readCurves(logs, [row(0, "baseline", 0.7)], "val_bpb");
    const ms = performance.now() - started;
    expect(ms).toBeLessThan(3000);
    expect(runs[0]!.partial).toBe(true);
    const loss = runs[0]!.series[0]!;
    // The head's steps and the tail's (the real run) both read: a curve from 5 down to 0.47.
    expect(loss.points[0]!.y).toBe(5);
    expect(loss.min).toEqual({ x: 1130, y: 0.471118 });
  });

  it("does not block on a FIFO an eval left where a log should be", async () => {
    const logs = tempDir();
    execFileSync("mkfifo", [join(logs, "0-0.log")]);
    expect(await readLog(join(logs, "0-0.log"))).toBeNull();
    expect(await readCurves(logs, [row(0, "baseline", 0.7)], "val_bpb")).toEqual([]);
  });
});

describe("the curves section of the agent's context", () => {
  async function input(maxChars: number): Promise<ContextInput> {
    const logs = tempDir();
    writeFileSync(join(logs, "0-0.log"), OK_LOG);
    for (const i of [1, 2, 3]) writeFileSync(join(logs, `${i}-0.log`), OK_LOG);
    const { header, results } = syntheticLedger(3);
    return {
      metric: "val_bpb",
      goal: "minimize",
      incumbentScore: 0.7,
      header,
      results,
      program: "Make val_bpb lower.\n",
      files: [{ path: "train.py", text: syntheticScript(3000) }],
      notes: "",
      curves: await readCurves(logs, results, "val_bpb"),
      budget: { experiments: 3, wallClockMs: null, costUsd: null },
      maxChars,
      protocol: { kind: "edits", wholeFileMax: 0 },
    };
  }

  it("shows the incumbent and the last candidates, labelled, after the recent experiments", async () => {
    const text = buildContext(await input(60_000));
    const section = text.split("## Training curves (the eval's progress lines over time)\n")[1]!;
    expect(text.indexOf("## Recent experiments")).toBeLessThan(text.indexOf("## Training curves"));
    expect(section).toMatch(
      /^- #0 baseline, the incumbent, val_bpb=1: baseline\n {2}loss by step/m,
    );
    expect(section).toContain(
      "loss by step (137 points): 1.5521 @10, 0.49122 @350, 0.48487 @690, 0.48757 @1030, 0.48381 @1370; lowest 0.47112 @1130; falling, flat from step",
    );
    for (const i of [1, 2, 3]) expect(section).toMatch(new RegExp(`^- #${i} [a-z_]+`, "m"));
  });

  it("fits the budget: older candidates go first, then the section, never past maxChars", async () => {
    const wide = buildContext(await input(60_000));
    const tight = buildContext(await input(12_000));
    expect(tight.length).toBeLessThanOrEqual(12_000);
    const shown = (t: string) => (t.match(/^- #\d+ .*\n {2}loss by step/gm) ?? []).length;
    expect(shown(wide)).toBe(4);
    expect(shown(tight)).toBeGreaterThanOrEqual(1);
    expect(shown(tight)).toBeLessThan(4);
    expect(tight).toContain("- #0 baseline, the incumbent");
    // Too little room for even the incumbent's curve: no section, rather than half a line.
    const none = buildContext(await input(4000));
    expect(none.length).toBeLessThanOrEqual(4000);
    expect(none).not.toContain("## Training curves");
  });
});
