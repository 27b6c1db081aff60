import { describe, expect, it } from "vitest";
import { buildContext } from "../../action/agents/context/build-context.ts";
import type { ContextInput } from "../../action/agents/context/context-input.ts";
import { syntheticLedger, syntheticScript } from "../helpers/synthetic-ledger.ts";

function input(n: number, overrides: Partial<ContextInput> = {}): ContextInput {
  const { header, results } = syntheticLedger(n);
  return {
    metric: "val_bpb",
    goal: "minimize",
    incumbentScore: 0.97,
    header,
    results,
    program: "# Research direction\nMake val_bpb lower on a fixed 5-minute budget.\n",
    files: [{ path: "train.py", text: syntheticScript(200) }],
    notes: "- #3: lr 1e-3 diverged\n- #9: batch 64 neutral\n",
    budget: { experiments: 12, wallClockMs: 3_600_000, costUsd: 4.5 },
    maxChars: 60_000,
    protocol: { kind: "edits", wholeFileMax: 8000 },
    ...overrides,
  };
}

describe("the agent's context", () => {
  it("carries everything when it fits: task, goal, budget, program.md, files, experiments, notes, answer format", () => {
    const text = buildContext(input(20));
    for (const part of [
      "Make ONE focused change",
      "makes `val_bpb` lower (goal: minimize)",
      "Current best: val_bpb = 0.97; baseline 1; run-to-run noise (sd) 0.004; smallest change that counts 0.002",
      "Guards (a change that breaks one is rejected): peak_vram_mb <= 70000",
      "Budget left: 12 experiment(s) left in this batch, 1h 00m of wall clock, $4.50 of model cost",
      "Never ask questions",
      "Make val_bpb lower on a fixed 5-minute budget.",
      "def block_0(x):",
      "- #13 keep val_bpb=0.997 Δ-0.003 (p=0.01, 3 runs): wider MLP (variant 13)",
      "- #3: lr 1e-3 diverged",
      "<<<<<<< SEARCH",
      "The last crash, #17 (crash: ",
      "torch.OutOfMemoryError: CUDA out of memory (#17)",
    ]) {
      expect(text).toContain(part);
    }
    expect(text).not.toContain("not shown");
    expect(text).not.toContain("cut]");
  });

  it("stays within its size with 1,000 experiments and keeps the most useful parts", () => {
    const big = input(1000, {
      files: [{ path: "train.py", text: syntheticScript(3000) }],
      notes: Array.from({ length: 400 }, (_, i) => `- #${i}: note number ${i}`).join("\n"),
      maxChars: 30_000,
    });
    const text = buildContext(big);
    expect(text.length).toBeLessThanOrEqual(30_000);
    // The newest experiments in full, the last crash's tail, the latest notes, the file's head.
    expect(text).toContain("- #1000 ");
    expect(text).toContain("CUDA out of memory (#986)");
    expect(text).toContain("- #399: note number 399");
    expect(text).not.toContain("- #0: note number 0\n");
    expect(text).toContain("def block_0(x):");
    expect(text).toMatch(/\[\.\.\. \d+ more lines not shown: quote only lines shown above\]/);
    // The digest keeps the latest kept experiments before older discards.
    expect(text).toContain("Kept:");
    expect(text).toContain("#975 keep");
    expect(text).toMatch(/\[\.\.\. \d+ older line\(s\) not shown\]/);
    // Always whole: the task and the answer format.
    expect(text).toContain("# Your task");
    expect(text).toContain(">>>>>>> REPLACE");
  });

  it("merges repeated ideas in the digest so that dead ends are visible at a glance", () => {
    const base = input(60);
    const results = base.results.map((r) =>
      r.iteration > 0 && r.iteration <= 40 && r.status === "discard"
        ? { ...r, description: "raise the learning rate" }
        : r,
    );
    const text = buildContext({ ...base, results });
    expect(text).toMatch(
      /- \d+× \(#\d+, #\d+, #\d+, #\d+\) discard Δ\+0\.002: raise the learning rate/,
    );
  });

  it("tells a CLI agent where to describe its change and keep notes instead of the edit format", () => {
    const text = buildContext(
      input(3, {
        protocol: {
          kind: "files",
          descriptionFile: "/s/description.txt",
          notesFile: "/s/notes.md",
        },
      }),
    );
    expect(text).toContain(
      "Write ONE line describing your change (what and why) to /s/description.txt",
    );
    expect(text).toContain("append it to /s/notes.md");
    expect(text).not.toContain("<<<<<<< SEARCH");
  });

  it("shows why the previous proposal was not evaluated", () => {
    const base = input(29);
    const text = buildContext(base);
    expect(text).toContain(
      "The previous experiment (#29) was not evaluated: agent_error: edit rejected: block 1 (train.py): the SEARCH part matches 2 places (#29)",
    );
  });

  it("lists the proposals still being evaluated, so a pipelined agent does not repeat them", () => {
    const text = buildContext(
      input(5, { pending: [{ description: "LR 0.01 -> 0.02" }, { description: "DEPTH 8 -> 12" }] }),
    );
    expect(text).toContain("Being evaluated now (results not in yet; propose something else)");
    expect(text).toContain("- LR 0.01 -> 0.02\n- DEPTH 8 -> 12");
    expect(buildContext(input(5))).not.toContain("Being evaluated now");
  });
});
