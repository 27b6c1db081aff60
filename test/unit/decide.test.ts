import { describe, expect, it } from "vitest";
import { autoMinDelta, checkGuards, decide } from "../../action/engine/decide.ts";

const base = { goal: "minimize" as const, minDelta: 0.01, incumbent: 1, metrics: {}, guards: {} };

describe("decide", () => {
  it("keeps only an improvement strictly larger than min_delta", () => {
    expect(decide({ ...base, score: 0.98 }).status).toBe("keep");
    expect(decide({ ...base, score: 0.99 }).status).toBe("discard");
    expect(decide({ ...base, score: 1.2 }).status).toBe("discard");
    expect(decide({ ...base, minDelta: 0, score: 1 }).status).toBe("discard");
  });

  it("reads the goal: higher is better when maximising", () => {
    expect(decide({ ...base, goal: "maximize", score: 1.5 }).status).toBe("keep");
    expect(decide({ ...base, goal: "maximize", score: 0.5 }).status).toBe("discard");
    expect(decide({ ...base, goal: "maximize", score: 1.5 }).delta).toBeCloseTo(0.5);
  });

  it("refuses a better score whose guard is out of bounds", () => {
    const d = decide({ ...base, score: 0.5, metrics: { mem: 90 }, guards: { mem: { max: 80 } } });
    expect(d.status).toBe("guard_fail");
    expect(d.reason).toContain("mem = 90 is above its max 80");
    expect(checkGuards({ acc: { min: 0.9 } }, { acc: 0.8 })).toContain("below its min");
    expect(checkGuards({ acc: { min: 0.9 } }, {})).toContain("not reported");
    expect(
      decide({ ...base, score: 0.5, metrics: { mem: 70 }, guards: { mem: { max: 80 } } }).guardPass,
    ).toBe(true);
  });

  it("derives min_delta from the baseline's spread", () => {
    expect(autoMinDelta([1])).toBe(0);
    expect(autoMinDelta([1, 1, 1])).toBe(0);
    expect(autoMinDelta([1, 2, 3])).toBeCloseTo(2);
  });
});
