// The screen's second look and its bar, through the real engine: real git, real eval processes.
import { describe, expect, it } from "vitest";
import { incumbentState } from "../../action/decide/ledger-state.ts";
import { sequenceNight } from "../helpers/sequence-eval.ts";

describe("the screen's second look (decide.screen_sd with second_look), through the engine", () => {
  it("gives a first run in the grey zone a second run, decides on their mean, and pairs from the second", async () => {
    const plan = [
      [-0.5, "a small gain, unlucky twice"],
      [-2, "a real gain, unlucky once"],
      [3, "clearly worse"],
    ] as const;
    // Runs: 0-3 the baseline (sd about 0.55); #1: 4 (0.9 sd better: the grey zone), 5 (the two
    // runs' mean 0.8 sd better, under 1.25: discarded); #2: 6 (0.9 sd: grey), 7 (the mean 2.7 sd
    // better: on to pairs), 8 the incumbent beside run 7 (it agrees with the bar: kept on that
    // first pair), 9 its run after the keep; #3: 10, 3 worse, discarded on its first run.
    const noise = [0.5, -0.5, 0.5, -0.5, 0, 0.1, 1.5, -0.5, 0, 0, 0];
    const log = await sequenceNight(
      plan,
      noise,
      "{ baseline_runs: 4, screen_sd: { at: 1.5, second_look: { from: 0.5, mean: 1.25 } } }",
    );
    const [, small, real, worse] = log.results;

    // #1: two runs, both screened; its mean under the bar for it; nothing run beside it.
    expect(small!.status).toBe("discard");
    expect(small!.samples.loss).toEqual([9.5, 9.6]);
    expect(small!.screen).toMatchObject({ at: 1.5, grey: { from: 0.5, mean: 1.25 } });
    expect(small!.screen!.z).toBeGreaterThanOrEqual(0.5);
    expect(small!.screen!.z).toBeLessThan(1.5);
    expect(small!.screen!.second).toBeLessThan(1.25);
    expect(small!.reason).toMatch(
      /^better by [\d.]+ \([\d.]+ sd\) over its two first runs \(the first [\d.]+ sd, in the screen's grey zone from 0\.5 sd\), under the bar for their mean at 1\.25 sd: not measured in pairs$/,
    );
    expect(log.remeasures.some((m) => m.paired_with === small!.iteration)).toBe(false);

    // #2: in the zone on its first run, through on the mean; its pairs start at its second run.
    expect(real!.status).toBe("keep");
    expect(real!.screen!.second).toBeGreaterThanOrEqual(1.25);
    expect(real!.samples.loss).toEqual([9.5, 7.5]);
    const beside = log.remeasures.find((m) => m.paired_with === real!.iteration)!;
    expect(beside.samples.loss).toEqual([10]);
    expect(real!.screen!.incumbent_z).toBe(0);
    // Kept on its first pair, it reports that pair: its second run beside the incumbent's (not
    // its first, 9.5, which is in no pair).
    expect(real!.score).toBe(7.5);
    expect(real!.delta).toBe(-2.5);
    expect(real!.evidence!.paired).toBe(true);
    expect(real!.reason).toMatch(/over 1 pair\(s\) beside the incumbent/);

    // #3 is screened against the kept code's bar: the run it was kept on (its side of the pair)
    // and its run after the keep, two runs where the run after the keep alone would be one.
    expect(worse!.status).toBe("discard");
    expect(worse!.samples.loss).toEqual([11]);
    // Its sd is a size, not a second minus: it read "worse by 3.1 (-5.3 sd)".
    expect(worse!.reason).toMatch(
      /^worse by [\d.]+ \([\d.]+ sd\) in its first run, under the screen/,
    );
    expect(worse!.screen!.against).toBe(2);
    const inc = incumbentState(log)!;
    expect(inc.iteration).toBe(real!.iteration);
    expect(inc.samples.loss).toEqual([8]);
    expect(inc.bar.loss).toEqual([7.5, 8]);
  });
});
