import { describe, expect, it } from "vitest";
import {
  buildHeader,
  buildResultRow,
  type HeaderFacts,
  type ProposalFields,
  type VerdictFields,
} from "../../action/ledger/rows.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const WHEN = "2026-11-23T01:02:03.000Z";

const verdict = (over: Partial<VerdictFields> = {}): VerdictFields => ({
  status: "discard",
  score: 0.5,
  delta: 0.01,
  metrics: { loss: 0.5, mem: 1200 },
  samples: { loss: [0.5], mem: [1200] },
  guard_pass: true,
  commit: SHA,
  ...over,
});

const proposal = (over: Partial<ProposalFields> = {}): ProposalFields => ({
  description: "raise the learning rate",
  agentSeconds: 3.5,
  ...over,
});

describe("buildResultRow", () => {
  it("records an evaluated experiment: short and full commit, its ref, scores and timings", () => {
    const row = buildResultRow(
      "night",
      7,
      "mem",
      verdict({ evalSeconds: 12.25, key: "k1", linesDelta: -3 }),
      proposal(),
      WHEN,
    );
    expect(row).toEqual({
      type: "result",
      iteration: 7,
      commit: "0123456",
      commit_full: SHA,
      diff: "refs/autoexp/night/7",
      score: 0.5,
      delta: 0.01,
      guard_score: 1200,
      guard_pass: true,
      status: "discard",
      description: "raise the learning rate",
      timestamp: WHEN,
      metrics: { loss: 0.5, mem: 1200 },
      samples: { loss: [0.5], mem: [1200] },
      agent_seconds: 3.5,
      eval_seconds: 12.25,
      cost_usd: 0,
      content_key: "k1",
      lines_delta: -3,
    });
  });

  it("gives no ref and an empty commit to an experiment that committed nothing", () => {
    const { commit: _, ...noCommit } = verdict({ status: "agent_error" });
    const row = buildResultRow("night", 2, undefined, noCommit, proposal(), WHEN);
    expect(row.commit).toBe("");
    expect(row.commit_full).toBeNull();
    expect(row.diff).toBeNull();
    expect(row.eval_seconds).toBe(0);
  });

  it("has no guard score without a guard, and null when the guard metric is missing", () => {
    expect(buildResultRow("t", 1, undefined, verdict(), proposal(), WHEN).guard_score).toBeNull();
    expect(buildResultRow("t", 1, "vram", verdict(), proposal(), WHEN).guard_score).toBeNull();
  });

  it("collapses whitespace in the description and cuts it at 300 characters", () => {
    const messy = buildResultRow(
      "t",
      1,
      undefined,
      verdict(),
      proposal({ description: "  two\n\nlines\tand   spaces \n" }),
      WHEN,
    );
    expect(messy.description).toBe("two lines and spaces");
    const long = buildResultRow(
      "t",
      1,
      undefined,
      verdict(),
      proposal({ description: `a${" ".repeat(500)}${"b".repeat(400)}` }),
      WHEN,
    );
    // Collapsed first, then cut: the run of spaces counts as one.
    expect(long.description).toBe(`a ${"b".repeat(298)}`);
  });

  it("rounds the cost to a millionth of a dollar and records tokens when the agent reports them", () => {
    const row = buildResultRow(
      "t",
      1,
      undefined,
      verdict(),
      proposal({ costUsd: 0.0123456789, usage: { input: 1000, output: 250 } }),
      WHEN,
    );
    expect(row.cost_usd).toBe(0.012346);
    expect(row.tokens_in).toBe(1000);
    expect(row.tokens_out).toBe(250);
    expect("tokens_in" in buildResultRow("t", 1, undefined, verdict(), proposal(), WHEN)).toBe(
      false,
    );
  });

  it("keeps only the last 2000 characters of a failure's log tail", () => {
    const tail = `${"x".repeat(5000)}Traceback: the end`;
    const row = buildResultRow("t", 1, undefined, verdict({ tail }), proposal(), WHEN);
    expect(row.log_tail).toHaveLength(2000);
    expect(row.log_tail!.endsWith("Traceback: the end")).toBe(true);
  });

  it("adds reason, duplicate_of and agent_meta only when they are there", () => {
    const bare = buildResultRow("t", 1, undefined, verdict(), proposal(), WHEN);
    for (const key of ["reason", "log_tail", "duplicate_of", "agent_meta", "evidence"])
      expect(key in bare).toBe(false);
    const full = buildResultRow(
      "t",
      1,
      undefined,
      verdict({ status: "duplicate", reason: "same as #3", duplicateOf: 0 }),
      proposal({ meta: { plan: "grid" } }),
      WHEN,
    );
    expect(full.reason).toBe("same as #3");
    expect(full.duplicate_of).toBe(0);
    expect(full.agent_meta).toEqual({ plan: "grid" });
  });

  it("rounds the evidence: 6 significant digits, the p-value to 3", () => {
    const row = buildResultRow(
      "t",
      1,
      undefined,
      verdict({
        status: "keep",
        evidence: {
          metric: "loss",
          gain: 0.0123456789,
          effect_sigma: 1.23456789,
          p: 0.000123456,
          ci: [0.00111111111, 0.0233333333],
          runs: 3,
          incumbent_runs: 5,
          sd: 0.0099999999,
          test: "t",
        },
      }),
      proposal(),
      WHEN,
    );
    expect(row.evidence).toEqual({
      metric: "loss",
      gain: 0.0123457,
      effect_sigma: 1.23457,
      p: 0.000123,
      ci: [0.00111111, 0.0233333],
      runs: 3,
      incumbent_runs: 5,
      sd: 0.01,
      test: "t",
    });
  });

  it("keeps the nulls of evidence without a noise estimate", () => {
    const row = buildResultRow(
      "t",
      1,
      undefined,
      verdict({
        status: "keep",
        evidence: {
          metric: "loss",
          gain: 0.5,
          effect_sigma: null,
          p: null,
          ci: null,
          runs: 1,
          incumbent_runs: 1,
          sd: 0,
          test: "single",
        },
      }),
      proposal(),
      WHEN,
    );
    expect(row.evidence).toMatchObject({ effect_sigma: null, p: null, ci: null, sd: 0 });
  });
});

const facts = (over: Partial<HeaderFacts> = {}): HeaderFacts => ({
  tag: "night",
  name: "tiny",
  target: ["train.py", "model/*.py"],
  frozen: ["prepare.py"],
  evalCommand: ["python", "train.py", "--quick"],
  metric: "val_bpb",
  goal: "minimize",
  guards: { peak_vram_mb: { max: 70000 }, tokens_per_s: { min: 1000 } },
  baseline: 0.998,
  minDeltas: { val_bpb: 0.002 },
  noise: 0.004,
  rule: "primary",
  objectives: [{ name: "val_bpb", goal: "minimize" }],
  baselineMetrics: { val_bpb: 0.998, peak_vram_mb: 45000, tokens_per_s: 1500 },
  confidence: 0.95,
  frozenHashes: { "prepare.py": "abc" },
  agent: "search",
  baseCommit: SHA,
  ...over,
});

describe("buildHeader", () => {
  it("writes pjhoberman's keys: constrained_file, eval_command, guard_metric and threshold, baseline, min_delta", () => {
    const header = buildHeader(facts(), WHEN);
    expect(header).toMatchObject({
      type: "config",
      version: 1,
      constrained_file: "train.py,model/*.py",
      eval_command: "python train.py --quick",
      metric: "val_bpb",
      goal: "minimize",
      guard_metric: "peak_vram_mb",
      guard_threshold: 70000,
      baseline: 0.998,
      min_delta: 0.002,
      timestamp: WHEN,
    });
  });

  it("keeps autoexp's own keys beside them", () => {
    const header = buildHeader(facts(), WHEN);
    expect(header).toMatchObject({
      tag: "night",
      name: "tiny",
      target: ["train.py", "model/*.py"],
      frozen: ["prepare.py"],
      frozen_hashes: { "prepare.py": "abc" },
      guards: { peak_vram_mb: { max: 70000 }, tokens_per_s: { min: 1000 } },
      min_deltas: { val_bpb: 0.002 },
      noise: 0.004,
      rule: "primary",
      confidence: 0.95,
      agent: "search",
      base_commit: SHA,
    });
    expect("weights" in header).toBe(false);
    expect(buildHeader(facts({ weights: { val_bpb: 2 } }), WHEN).weights).toEqual({ val_bpb: 2 });
  });

  it("takes a string eval command as written, and a min guard's threshold", () => {
    const header = buildHeader(
      facts({ evalCommand: "make eval", guards: { tokens_per_s: { min: 1000 } } }),
      WHEN,
    );
    expect(header.eval_command).toBe("make eval");
    expect(header.guard_metric).toBe("tokens_per_s");
    expect(header.guard_threshold).toBe(1000);
  });

  it("has null guard keys without guards, and min_delta 0 when the primary has none", () => {
    const header = buildHeader(facts({ guards: {}, minDeltas: {} }), WHEN);
    expect(header.guard_metric).toBeNull();
    expect(header.guard_threshold).toBeNull();
    expect(header.min_delta).toBe(0);
  });
});
