// A night measured in pairs, through the real engine (real git, real eval processes), read on every
// surface as a reviewer would: a baseline re-measured beside a candidate, a keep whose run after the
// keep reads other than the pair it was kept on, and a first pair in which the candidate read worse.
import { beforeAll, describe, expect, it } from "vitest";
import type { BatchEvent } from "../../action/engine/run-batch.ts";
import { formatLines, type ParsedLog } from "../../action/ledger/log-jsonl.ts";
import { renderRecordFiles } from "../../action/ledger/record-files.ts";
import type { LedgerEntry } from "../../action/ledger/types.ts";
import { formatEvent } from "../../action/report/format-event.ts";
import { renderPr } from "../../app/pr-body.ts";
import { sequenceNight } from "../helpers/sequence-eval.ts";

const N = String.raw`[−+±]?\d+(?:\.\d+)?`;
const num = (s: string) => Number(s.replace("−", "-").replace("±", "").replace("+", ""));

/** "baseline 10.06 → best 7.07 (−29.75%)" or "loss 10.06 → 7.07 (…)", with or without bold. */
function headline(surface: string): { baseline: number; best: number } {
  const m = new RegExp(String.raw`(${N}) → (?:best )?(${N}) \(`).exec(surface.replaceAll("**", ""));
  expect(m, `no headline in:\n${surface.slice(0, 400)}`).not.toBeNull();
  return { baseline: num(m![1]!), best: num(m![2]!) };
}

/** The value of row #n in the All experiments table (the one with a runs column). */
function tableValue(dashboard: string, n: number): number {
  const m = new RegExp(String.raw`^\| ${n} \| \`\w+\` \| (${N}) \| ${N} \| \d+ \|`, "m").exec(
    dashboard,
  );
  expect(m, `no row #${n}`).not.toBeNull();
  return num(m![1]!);
}

describe("a night measured in pairs, on every surface", () => {
  let log: ParsedLog;
  const lines: string[] = [];
  beforeAll(async () => {
    // Baseline 10 (runs 0-3). #1 helps by 3: screened at 7, the incumbent beside it 10.3, kept on
    // that pair; its run after the keep reads 7.4. #2 does nothing: screened at 6.9 against 7.4,
    // the incumbent beside it 6.8 (the candidate worse in its first pair), then 7 and 7.
    const noise = [0.5, -0.5, 0.5, -0.5, 0, 0.3, 0.4, -0.1, -0.2, ...Array(20).fill(0)];
    const events: BatchEvent[] = [];
    log = await sequenceNight(
      [-3, 0],
      noise,
      "{ baseline_runs: 4, screen_sd: 0.5, remeasure_every: 0 }",
      (e) => events.push(e),
    );
    for (const e of events) {
      const line = formatEvent(e, "loss");
      if (line) lines.push(line);
    }
  }, 120_000);

  const files = () => renderRecordFiles(log, "t");
  const pr = () => {
    const entries: LedgerEntry[] = [log.config!, ...log.results, ...log.remeasures];
    return renderPr(formatLines(entries), { tag: "t", repoUrl: "https://github.com/o/r" }).body;
  };

  it("gives the baseline the value of its row everywhere, its runs beside #1 included", () => {
    // Proof the night re-measured it: the baseline's own runs average 10, with the run beside #1
    // they average 10.06.
    const base = log.results[0]!;
    expect(base.score).toBe(10);
    expect(log.remeasures.find((m) => m.paired_with === 1)!.samples.loss).toEqual([10.3]);
    const { dashboard, progress } = files();
    const row = tableValue(dashboard, 0);
    expect(row).toBeCloseTo(10.06, 10);
    for (const surface of [dashboard, pr(), progress]) expect(headline(surface).baseline).toBe(row);
    const chart = /line "every run" \[([^\]]*)\]/.exec(dashboard)![1]!.split(", ");
    expect(Number(chart[0])).toBe(row);
  });

  it("prints a keep with the value it is scored on, its run after the keep, as its best", () => {
    const keep = lines.find((l) => / #1 keep /.test(l))!;
    const m = new RegExp(`#1 keep\\s+loss (${N}) (${N})  best (${N})`).exec(keep)!;
    // Kept on the pair it read 7 in; scored on its run after the keep, 7.4.
    expect(log.results[1]!.samples.loss).toEqual([7]);
    expect(num(m[1]!)).toBe(7.4);
    expect(num(m[3]!)).toBe(7.4);
    // The Δ is the pair's: 7 against the incumbent's 10.3 beside it.
    expect(num(m[2]!)).toBe(-3.3);
    // Its best (7.4) is better than the 10.06 before it: nothing to explain.
    expect(keep).not.toContain("best reads worse");
  });

  it("prints the incumbent re-measured beside a keep at its own value, not the kept code's", () => {
    // #1 is kept beside one run of the baseline (10.3): the baseline now stands at 10.06.
    const line = lines.find((l) => /^incumbent {3}re-measured: 1 more run, /.test(l))!;
    expect(line).toBeDefined();
    const now = num(new RegExp(`loss now (${N})`).exec(line)![1]!);
    expect(now).toBeCloseTo(10.06, 10);
    expect(now).not.toBe(7.4);
    // It comes before the keep's line, as the runs did.
    expect(lines.indexOf(line)).toBeLessThan(lines.findIndex((l) => / #1 keep /.test(l)));
  });

  it("shows a keep decided on its own pair with the t and bar it reached", () => {
    const b = log.results[1]!.evidence!.boundary!;
    expect(b.t).toBeGreaterThanOrEqual(b.critical);
    for (const surface of [files().dashboard, pr()]) {
      const kept = surface.split("\n").find((l) => /^\| 1 \|/.test(l))!;
      // The bar is for as many pairs as the test allowed (decide.max_runs).
      const m = new RegExp(
        String.raw`\| kept at t = (${N}) ≥ (${N}) \(a bar for up to ${b.max_runs} pairs\); ${N} sd, p = `,
      ).exec(kept);
      expect(m, kept).not.toBeNull();
      // Three significant figures of each.
      expect(num(m![1]!)).toBe(Number(b.t.toPrecision(3)));
      expect(num(m![2]!)).toBe(Number(b.critical.toPrecision(3)));
    }
  });

  it("says a candidate that read worse in its first pair read worse", () => {
    const cand = log.results[2]!.samples.loss!;
    const beside = log.remeasures.find((m) => m.paired_with === 2)!.samples.loss!;
    expect(cand[0]! - beside[0]!).toBeCloseTo(0.1, 10);
    const run = lines.find((l) => / #2 run 2: /.test(l))!;
    expect(run).toMatch(/worse by 0\.1 in its first pair/);
    expect(run).not.toMatch(/better by/);
  });

  it("says under the kept table, in the dashboard and the PR, what a paired Δ and value are", () => {
    for (const surface of [files().dashboard, pr()])
      expect(surface).toMatch(
        /Measured in pairs: an experiment's Δ compares its runs with the incumbent's runs made beside them/,
      );
  });
});

describe("a keep decided over pairs after a screen, on every surface", () => {
  let log: ParsedLog;
  beforeAll(async () => {
    // Baseline 10 (runs 0-3, sd about 0.58). #1 helps by 1.5: screened at 8.5, then pairs that
    // read it 1.5 better, run after run, until the sequential test keeps it (not on one pair).
    const noise = [0.5, -0.5, 0.5, -0.5, ...Array(30).fill(0)];
    log = await sequenceNight(
      [-1.5],
      noise,
      "{ baseline_runs: 4, screen_sd: 0.5, remeasure_every: 0, max_runs: 8 }",
    );
  }, 120_000);

  it("shows the test that kept it beside the figures that leave its screened run out", () => {
    const row = log.results[1]!;
    expect(row.status).toBe("keep");
    const e = row.evidence!;
    // Proof the keep took more than its first pair, and that the record reports one pair fewer.
    expect(e.decided!.runs).toBeGreaterThanOrEqual(2);
    expect(e.runs).toBe(e.decided!.runs - 1);
    expect(e.decided!.t).toBeGreaterThanOrEqual(e.decided!.critical);
    const entries: LedgerEntry[] = [log.config!, ...log.results, ...log.remeasures];
    const body = renderPr(formatLines(entries), {
      tag: "t",
      repoUrl: "https://github.com/o/r",
    }).body;
    const { dashboard } = renderRecordFiles(log, "t");
    for (const surface of [dashboard, body]) {
      const kept = surface.split("\n").find((l) => /^\| 1 \|/.test(l))!;
      const m = new RegExp(
        String.raw`kept on (\d+) pairs: t = (${N}) ≥ (${N}) \(a bar for up to (\d+) pairs\); without its screened run: ${N} sd, p = [\d.]+, CI \[${N}, ${N}\], (\d+) pairs?`,
      ).exec(kept);
      expect(m, kept).not.toBeNull();
      // The bar is for the pairs its test allowed: this night's max_runs.
      expect(Number(m![4])).toBe(8);
      expect(e.decided!.max_runs).toBe(8);
      expect(Number(m![1])).toBe(e.decided!.runs);
      expect(num(m![2]!)).toBeGreaterThanOrEqual(num(m![3]!));
      expect(Number(m![5])).toBe(e.runs);
    }
  });
});

describe("a keep whose run after it reads worse than the best before", () => {
  it("says why best rose: measured at another time, better beside the incumbent", async () => {
    // Baseline 10 (runs 0-3). #1 helps by 1: screened at 9, the incumbent beside it 10, then a
    // second pair (9 beside 10) keeps it; its run after the keep (run 8) reads 10.5 (the machine
    // slower by 1.5 then).
    const noise = [0.5, -0.5, 0.5, -0.5, 0, 0, 0, 0, 1.5, ...Array(10).fill(0)];
    const events: BatchEvent[] = [];
    const log = await sequenceNight(
      [-1],
      noise,
      "{ baseline_runs: 4, screen_sd: 0.5, remeasure_every: 0 }",
      (e) => events.push(e),
    );
    expect(log.results[1]!.status).toBe("keep");
    expect(log.remeasures.find((m) => m.reason === "after-keep")!.samples.loss).toEqual([10.5]);
    const line = events
      .map((e) => formatEvent(e, "loss"))
      .find((l) => l !== null && / #1 +keep /.test(l))!;
    expect(line).toMatch(/ best 10\.5 /);
    expect(line).toContain(
      "(best reads worse than the 10 before it: that was measured earlier, and this machine reads otherwise now; beside the incumbent, in pairs, it was better by 1)",
    );
  }, 120_000);
});
