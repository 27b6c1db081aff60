// A night whose code kept last reads worse than its baseline says so where the reviewer looks:
// a newcomer's noisy night showed `baseline 0.504844 → best 0.560886 (+11.10%)` on a metric to
// minimise, on the dashboard, the PR and the chart, with nothing to say it.
import { describe, expect, it } from "vitest";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { renderDashboard } from "../../action/ledger/render-dashboard.ts";
import { viewFromLog } from "../../action/ledger/summarize.ts";
import { renderPr } from "../../app/pr-body.ts";
import { syntheticNight } from "../helpers/synthetic-ledger.ts";

/** A night of 30 experiments (val_bpb minimised) whose keeps read `keptAt` each. */
function night(keptAt: number, verify = false): string {
  return syntheticNight({
    keptAt,
    verify: verify
      ? {
          gain: {
            gain: -0.05,
            ci: [-0.06, -0.04],
            sd: 0.01,
            pairs: 8,
            includes_no_improvement: true,
          },
          kept_gain_sum: 0.006,
        }
      : null,
  });
}

// As the dashboard writes it, made inert like every caution: "#" kept from linking an issue, "_"
// escaped.
const CAUTION =
  "> [!CAUTION]\n> The code kept last (#\u200d26) measures worse than the baseline: val\\_bpb 1.05 against 1 (lower is better), though each keep beat the incumbent measured beside it.";

describe("the code kept last reads worse than the baseline", () => {
  it("is cautioned on the dashboard and in the PR, beside the headline that shows it", () => {
    const text = night(1.05);
    const dashboard = renderDashboard(viewFromLog(parseLog(text), "night"));
    expect(dashboard).toContain(CAUTION);
    expect(dashboard).toContain("run autoexp verify to measure the final code");
    const pr = renderPr(text, { tag: "night", repoUrl: "https://github.com/o/r" });
    expect(pr.title).toBe("autoexp night: val_bpb 1 → 1.05 (+5.00%), 2 kept");
    expect(pr.body).toContain(CAUTION);
  });

  it("is not said when the best reads better, or once a verify measured the final code", () => {
    const better = renderDashboard(viewFromLog(parseLog(night(0.99)), "night"));
    expect(better).not.toContain("measures worse than the baseline");
    const verified = renderDashboard(viewFromLog(parseLog(night(1.05, true)), "night"));
    expect(verified).not.toContain("measures worse than the baseline");
    expect(verified).toContain("The verified interval includes no improvement");
  });
});

describe("the keeps chance alone would make", () => {
  it("are stated beside the keeps on the dashboard and in the PR, until a verify measures the night", () => {
    const text = night(0.99);
    const log = parseLog(text);
    const judged = log.results.filter((r) => r.status === "keep" || r.status === "discard").length;
    const expected = Number((judged * 0.05).toFixed(1));
    const note = `A keep's test keeps a change that does nothing at most 5% of the time: had none of the ${judged} candidates judged here helped, up to about ${expected} of them could have been kept by chance (2 were). \`autoexp verify\` measures the final code against the base.`;
    expect(judged).toBeGreaterThan(20);
    expect(renderDashboard(viewFromLog(log, "night"))).toContain(note);
    expect(renderPr(text, { tag: "night", repoUrl: "https://github.com/o/r" }).body).toContain(
      note,
    );
    // One keep: "(1 was)", not "(1 were)".
    const one = parseLog(text);
    const [, second] = one.results.filter((r) => r.status === "keep");
    second!.status = "discard";
    expect(renderDashboard(viewFromLog(one, "night"))).toContain(
      `up to about ${expected} of them could have been kept by chance (1 was).`,
    );
    const verified = night(0.99, true);
    expect(renderDashboard(viewFromLog(parseLog(verified), "night"))).not.toContain(
      "kept by chance",
    );
  });
});
