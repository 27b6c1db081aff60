// A discarded experiment's line on screen says why, on one line, as text a terminal only prints.
import { describe, expect, it } from "vitest";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { formatEvent } from "../../action/report/format-event.ts";
import { exampleRepo, runCliAsync } from "../helpers/repo.ts";

describe("a discard's line on screen carries its reason", () => {
  it("the real CLI's line for a discard ends with the reason (not better, by how much)", async () => {
    const repo = exampleRepo();
    const run = await runCliAsync(repo, ["run", "--tag", "d", "--experiments", "2"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const discards = run.stdout.split("\n").filter((l) => / #\d+ discard /.test(l));
    expect(discards.length).toBeGreaterThan(0);
    for (const line of discards) expect(line).toMatch(/ {2}\(.+\)$/);
    // The example's first proposal (seeded) is worse: its reason says by how much.
    expect(discards[0]).toMatch(/#1 discard .* {2}\(not better \(val_loss worse by [\d.]+\)\)$/);
  });

  it("keeps its columns past #9: #7 as wide as the batch's last, #12", () => {
    const line = (iteration: number) =>
      formatEvent(
        {
          type: "experiment",
          row: {
            type: "result",
            iteration,
            status: "discard",
            score: 1.5,
            delta: 0.1,
            description: "d",
            reason: "r",
            cost_usd: 0,
          } as unknown as ResultEntry,
          index: iteration,
          of: 12,
          best: 1.4,
          etaMs: null,
        },
        "loss",
      )!;
    const [a, b] = [line(7), line(12)];
    expect(a.indexOf("discard")).toBe(b.indexOf("discard"));
    expect(a.indexOf("loss 1.5")).toBe(b.indexOf("loss 1.5"));
    expect(a).toMatch(/^\[ 7\/12\] #7 {2}discard/);
  });

  it("a reason over several lines, with escapes, is one inert line of at most 200 characters", () => {
    const row = {
      type: "result",
      iteration: 4,
      status: "discard",
      score: 1.5,
      delta: 0.1,
      description: "try a larger batch",
      reason: `not better\n(loss \x1b[31mworse\x1b[0m by 0.1)\u2028${"x".repeat(300)}`,
      cost_usd: 0,
    } as unknown as ResultEntry;
    const line = formatEvent(
      { type: "experiment", row, index: 4, of: 10, best: 1.4, etaMs: null },
      "loss",
    )!;
    expect(line.split("\n")).toHaveLength(1);
    expect(line).toContain("  try a larger batch  (not better (loss worse by 0.1) xxx");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may remain
    expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/);
    const why = line.slice(line.indexOf("  (not better") + 3, -1);
    expect(why).toHaveLength(200);
    expect(why.endsWith("…")).toBe(true);
  });
});
