import { describe, expect, it } from "vitest";
import { addSamples, collectSamples, meansOf } from "../../action/decide/samples.ts";

describe("samples per metric", () => {
  it("collects runs' metrics into one list per metric, in run order", () => {
    expect(
      collectSamples([
        { loss: 1, mem: 10 },
        { loss: 2, mem: 20 },
        { loss: 3, mem: 30 },
      ]),
    ).toEqual({ loss: [1, 2, 3], mem: [10, 20, 30] });
  });

  it("keeps a metric that only some runs printed, with just those runs", () => {
    expect(collectSamples([{ loss: 1 }, { loss: 2, mem: 20 }, { loss: 3 }])).toEqual({
      loss: [1, 2, 3],
      mem: [20],
    });
  });

  it("is empty for no runs", () => {
    expect(collectSamples([])).toEqual({});
  });

  it("appends a run to samples already held, adding metrics it has not seen", () => {
    const samples: Record<string, number[]> = { loss: [1] };
    addSamples(samples, { loss: 2, speed: 7 });
    expect(samples).toEqual({ loss: [1, 2], speed: [7] });
  });

  it("does not share arrays between collections", () => {
    const runs = [{ loss: 1 }];
    const a = collectSamples(runs);
    const b = collectSamples(runs);
    a.loss!.push(99);
    expect(b).toEqual({ loss: [1] });
  });

  it("averages each metric over its own runs", () => {
    expect(meansOf({ loss: [1, 2, 3, 6], mem: [20] })).toEqual({ loss: 3, mem: 20 });
  });

  it("round-trips runs to means: the mean of each metric over the runs that printed it", () => {
    const means = meansOf(collectSamples([{ a: 0.1, b: 4 }, { a: 0.2 }, { a: 0.3, b: 6 }]));
    expect(means.a).toBeCloseTo(0.2, 12);
    expect(means.b).toBe(5);
  });
});
