// What the first Ctrl-C says about the run it waits for: an estimate while there is one, never
// "about 0ms left" for a run already past the last runs' durations.
import { describe, expect, it } from "vitest";
import { formatEvent } from "../../action/report/format-event.ts";

const stopping = (leftMs: number | null) =>
  formatEvent(
    { type: "stopping", waiting: [{ what: "#7, run 2", kind: "eval", elapsedMs: 42_000, leftMs }] },
    "loss",
  );

describe("the stopping line", () => {
  it("gives the time left by the last runs' durations, or how long the run has gone when it is past them", () => {
    expect(stopping(40_000)).toContain(
      "waiting for the eval run in flight (#7, run 2, about 40s left by the last runs' durations)",
    );
    expect(stopping(0)).toContain(
      "waiting for the eval run in flight (#7, run 2, running for 42s, as long as the last runs took or longer)",
    );
    expect(stopping(0)).not.toContain("0ms");
    expect(stopping(null)).toContain("(#7, run 2, running for 42s)");
  });
});
