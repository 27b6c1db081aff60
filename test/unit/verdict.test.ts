import { describe, expect, it } from "vitest";
import type { Judgement } from "../../action/decide/judge.ts";
import { isKeep, judged, type LostVerdict, type Verdict } from "../../action/engine/experiment.ts";
import { buildResultRow } from "../../action/ledger/rows.ts";
import type { Evidence } from "../../action/ledger/types.ts";

const EVIDENCE: Evidence = {
  metric: "loss",
  gain: 1.5,
  effect_sigma: 3,
  p: 0.001,
  ci: [1, 2],
  runs: 3,
  incumbent_runs: 3,
  sd: 0.5,
  test: "t",
};

const FIGURES: Omit<LostVerdict, "status" | "reason" | "evidence" | "undecided"> = {
  judgedAgainst: 0,
  score: 8.5,
  delta: -1.5,
  metrics: { loss: 8.5 },
  samples: { loss: [8, 9, 8.5] },
  guard_pass: null,
  commit: "a".repeat(40),
  tail: "loss: 8.5",
  evalSeconds: 3,
};

type Final = Extract<Judgement, { final: true }>;

describe("judged: the judge's final word as a verdict", () => {
  it("a keep carries the judge's evidence, and its row records it", () => {
    const verdict = judged(
      { final: true, status: "keep", reason: "better", evidence: EVIDENCE },
      FIGURES,
    );
    expect(isKeep(verdict)).toBe(true);
    if (!isKeep(verdict)) return;
    expect(verdict.evidence).toBe(EVIDENCE);
    const row = buildResultRow(
      "t",
      1,
      undefined,
      verdict,
      { description: "x", agentSeconds: 0 },
      "now",
    );
    expect(row.evidence?.gain).toBe(1.5);
    expect(row.status).toBe("keep");
  });

  it("refuses a keep the judge gave without evidence (a bug in the judge)", () => {
    const bare = { final: true, status: "simplification", reason: "shorter", evidence: null };
    expect(() => judged(bare as Final, FIGURES)).toThrow(
      "the judge gave simplification without evidence: shorter",
    );
  });

  it("a loss keeps evidence where the judge compared, none for a guard breach, and undecided", () => {
    const faded = judged(
      { final: true, status: "discard", reason: "ran out", evidence: EVIDENCE, undecided: true },
      FIGURES,
    );
    expect(faded).toMatchObject({ status: "discard", evidence: EVIDENCE, undecided: true });
    const guard = judged(
      { final: true, status: "guard_fail", reason: "mem above 500", evidence: null },
      FIGURES,
    );
    expect("evidence" in guard).toBe(false);
    expect("undecided" in guard).toBe(false);
  });

  it("isKeep is true for keep and simplification only", () => {
    const statuses: Verdict["status"][] = ["keep", "simplification", "discard", "checks_failed"];
    const kept = statuses.filter((status) =>
      isKeep({ ...FIGURES, status, reason: "", evidence: EVIDENCE } as Verdict),
    );
    expect(kept).toEqual(["keep", "simplification"]);
  });
});
