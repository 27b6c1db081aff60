import { describe, expect, it } from "vitest";
import { fitSummary } from "../../action/github/action-main.ts";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { renderDashboard } from "../../action/ledger/render-dashboard.ts";
import { viewFromLog } from "../../action/ledger/summarize.ts";
import type { VerifyEntry } from "../../action/ledger/types.ts";
import { renderPr } from "../../app/pr-body.ts";
import { syntheticNight } from "../helpers/synthetic-ledger.ts";

/** A night of 30 experiments (2 kept, val_bpb minimized), then a verify of its final code. */
function night(verify: Partial<VerifyEntry> | null): string {
  return syntheticNight({ verify: verify ?? null });
}

const NO_GAIN = {
  gain: { gain: 0.001, ci: [-0.005, 0.007], sd: 0.007, pairs: 8, includes_no_improvement: true },
} as Partial<VerifyEntry>;

describe("the verified figure in the morning view", () => {
  it("leads the dashboard, the job summary and the PR, beside the sum of kept steps", () => {
    const text = night({});
    const dashboard = renderDashboard(viewFromLog(parseLog(text), "night"));
    const line = "**verified: −0.041 ± 0.006 (95%), over 8 pairs; sum of kept steps −0.052**";
    expect(dashboard.split("\n").slice(0, 4)).toEqual(["# autoexp · night", "", line, ""]);
    expect(dashboard).not.toContain("includes no improvement");
    expect(fitSummary(dashboard).split("\n")[2]).toBe(line);
    const pr = renderPr(text, { tag: "night", repoUrl: "https://github.com/o/r" });
    const body = pr.body.split("\n");
    expect(body[3]).toBe(line);
    expect(body[5]).toMatch(/^\*\*val_bpb 1 → /);
  });

  it("keeps the sign of a verified change that is small beside its interval", () => {
    // verify's ledger had gain 0.0042106 (minimized: the final code 0.0042 worse) with a
    // half-width of 0.033; every surface printed "±0.00 ± 0.03", which reads as exactly nothing.
    const text = night({
      gain: {
        gain: -0.0042106,
        ci: [-0.037, 0.029],
        sd: 0.04,
        pairs: 8,
        includes_no_improvement: true,
      },
    });
    const dashboard = renderDashboard(viewFromLog(parseLog(text), "night"));
    expect(dashboard).toContain("**verified: +0.004 ± 0.033 (95%), over 8 pairs;");
    // A centre that is exactly nothing stays at the interval's decimals.
    const zero = night({
      gain: { gain: 0, ci: [-0.033, 0.033], sd: 0.04, pairs: 8, includes_no_improvement: true },
    });
    expect(renderDashboard(viewFromLog(parseLog(zero), "night"))).toContain(
      "**verified: ±0.00 ± 0.03 (95%)",
    );
  });

  it("says plainly when the interval includes no improvement", () => {
    const text = night(NO_GAIN);
    const warning =
      "> [!WARNING]\n> The verified interval includes no improvement: re-measured against the base, the final code is not shown to be better (the kept steps claimed −0.052).";
    const dashboard = renderDashboard(viewFromLog(parseLog(text), "night"));
    expect(dashboard).toContain(
      `**verified: −0.001 ± 0.006 (95%), over 8 pairs; sum of kept steps −0.052**\n\n${warning}`,
    );
    expect(renderPr(text, { tag: "night", repoUrl: "https://github.com/o/r" }).body).toContain(
      warning,
    );
  });

  it("shows the validation and holdout gains side by side, and warns when only the eval improved", () => {
    const text = night({
      holdout: {
        samples: { base: [], final: [] },
        gain: {
          gain: 0.002,
          ci: [-0.01, 0.014],
          sd: 0.02,
          pairs: 8,
          includes_no_improvement: true,
        },
      },
    });
    const body = renderPr(text, { tag: "night", repoUrl: "https://github.com/o/r" }).body;
    expect(body).toContain(
      [
        "| val_bpb, final − base | change | 95% interval | pairs |",
        "|---|--:|---|--:|",
        "| eval (validation) | −0.041 | [−0.047, −0.035] | 8 |",
        "| holdout (never seen by the agent) | −0.002 | [−0.014, +0.010] | 8 |",
        "| sum of kept steps | −0.052 | | 2 kept |",
      ].join("\n"),
    );
    expect(body).toContain("The gain on the eval does not show on the holdout");
  });

  it("is left out when the verify was of older code, and outputs stay as they were without one", () => {
    const stale = night({ final_commit: "f".repeat(40), eval_seconds: 0 });
    const without = night(null);
    expect(renderDashboard(viewFromLog(parseLog(stale), "night"))).toBe(
      renderDashboard(viewFromLog(parseLog(without), "night")),
    );
    expect(renderDashboard(viewFromLog(parseLog(without), "night"))).not.toContain("verified");
  });
});
