import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { countMetricLines, findMetric, parseMetrics } from "../../action/eval/parse-metrics.ts";
import { renderPrintedTwice } from "../../action/ledger/render-dashboard.ts";

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "..", "fixtures", name), "utf8");

describe("parseMetrics", () => {
  it("reads karpathy's `name: value` block from a real H100 log with \\r progress lines", () => {
    const m = parseMetrics(fixture("gpu-train-ok.log"));
    expect(m.get("val_bpb")).toBe(0.698337);
    expect(m.get("peak_vram_mb")).toBe(457.9);
    expect(m.get("num_steps")).toBe(1373);
    expect(m.has("loss")).toBe(false); // `step 00010 (11.6%) | loss: 1.55` is progress, not a metric
    expect(m.has("Time budget")).toBe(false);
  });

  it("finds no metric in a real CUDA out-of-memory traceback or a run killed mid-training", () => {
    expect(parseMetrics(fixture("gpu-train-oom.log")).get("val_bpb")).toBeUndefined();
    expect(parseMetrics(fixture("gpu-train-timeout.log")).get("val_bpb")).toBeUndefined();
  });

  it("reads pjhoberman's SCORE/GUARD, pi-autoresearch's METRIC and autoloop's JSON line", () => {
    const m = parseMetrics(
      'SCORE: 0.91\nGUARD: 12\nMETRIC latency_ms=3.5\n{"f1": 0.8, "name": "x"}\n',
    );
    expect([m.get("SCORE"), m.get("GUARD"), m.get("latency_ms"), m.get("f1")]).toEqual([
      0.91, 12, 3.5, 0.8,
    ]);
    expect(m.has("name")).toBe(false);
    expect(findMetric(m, "score")).toBe(0.91);
  });

  it("lets the last printed value win", () => {
    expect(parseMetrics("loss: 3\nloss: 2\r\nloss: 1.5e-1\n").get("loss")).toBe(0.15);
  });

  it("keeps NaN and infinities as non-finite so that the caller calls them a crash", () => {
    const m = parseMetrics('a: nan\nb: inf\nc: -Infinity\nMETRIC d=NaN\n{"e": null}\n');
    expect(Number.isNaN(m.get("a"))).toBe(true);
    expect(m.get("b")).toBe(Number.POSITIVE_INFINITY);
    expect(m.get("c")).toBe(Number.NEGATIVE_INFINITY);
    expect(Number.isNaN(m.get("d"))).toBe(true);
    expect(Number.isNaN(m.get("e"))).toBe(true);
  });

  it("ignores garbage, prose, ANSI colours and values followed by units", () => {
    const m = parseMetrics(
      "\u001b[32mval: 0.5\u001b[0m\nTime budget: 20.0s\nerror: see above\n{not json}\nx: 1 2\n",
    );
    expect(m.get("val")).toBe(0.5);
    expect([...m.keys()]).toEqual(["val"]);
  });
});

describe("a metric printed more than once", () => {
  it("is counted in every contract, so code printing its own score shows", () => {
    const output = [
      "val_bpb: 0.5", // the agent's code, early
      "step 100",
      "METRIC val_bpb=0.9",
      '{"val_bpb": 0.9, "peak_vram_mb": 10}',
      "---",
      "val_bpb: 0.9", // the harness
      "peak_vram_mb: 10",
    ].join("\n");
    const counts = countMetricLines(output);
    expect(counts.get("val_bpb")).toBe(4);
    expect(counts.get("peak_vram_mb")).toBe(2);
    expect(countMetricLines("val_bpb: 0.9\n").get("val_bpb")).toBe(1);
  });

  it("is flagged to the reviewer with the kept experiments it happened in", () => {
    const text = renderPrintedTwice({ printedTwice: [{ iteration: 7, metrics: ["val_bpb"] }] });
    expect(text).toContain("kept experiment(s) #7 (val_bpb)");
    expect(text).toContain("may print its own score");
  });
});
