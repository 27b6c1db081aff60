// When a keep decided on its first pair is reopened by the kept code's run after the keep
// (engine/paired-screen.ts, reopenedBy): that run must beat both the runs the candidate was
// screened against and the incumbent's run beside it, in the goal's direction.
import { describe, expect, it } from "vitest";
import type { EngineContext } from "../../action/engine/experiment.ts";
import { reopenedBy } from "../../action/engine/paired-screen.ts";

const minimize = { goal: "minimize" } as unknown as EngineContext;
const maximize = { goal: "maximize" } as unknown as EngineContext;

describe("reopenedBy", () => {
  it("lets a run after the keep that beats the bar and the incumbent beside it stand", () => {
    expect(reopenedBy(minimize, 9, [10, 10.2], 9.8)).toBeNull();
    expect(reopenedBy(maximize, 11, [10, 10.2], 10.5)).toBeNull();
  });

  it("reopens on the bar first, then on the run beside it, whichever the goal", () => {
    expect(reopenedBy(minimize, 10.1, [10, 10.2], 9.8)).toBe(
      "kept on its first pair, then its run after the keep read 10.1, no better than the 2 runs' mean it was screened against (10.1): measured in pairs again",
    );
    expect(reopenedBy(maximize, 10.1, [10, 10.2], 9.8)).toMatch(/no better than the 2 runs' mean/);
    expect(reopenedBy(minimize, 9.9, [10], 9.8)).toBe(
      "kept on its first pair, then its run after the keep read 9.9, no better than the incumbent's run beside it (9.8): measured in pairs again",
    );
    expect(reopenedBy(maximize, 10.4, [10], 10.5)).toMatch(
      /the incumbent's run beside it \(10.5\)/,
    );
    // A bar of one run, and a tie: a tie does not bear a keep out.
    expect(reopenedBy(maximize, 10, [10], 9)).toMatch(/the run it was screened against \(10\)/);
  });
});
