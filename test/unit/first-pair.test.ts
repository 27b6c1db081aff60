import { describe, expect, it } from "vitest";
import { FIRST_PAIR_AGREES, firstPairAgrees } from "../../action/decide/boundary.ts";
import { barStaleness, STALE_WINDOW } from "../../action/decide/first-pair.ts";
import { createRandom, gaussian } from "../../action/util/random.ts";

describe("the first pair (decide/first-pair.ts)", () => {
  it("agrees with a bar within FIRST_PAIR_AGREES x sqrt(1 + 1/n) run sds, either way", () => {
    const edge = FIRST_PAIR_AGREES * Math.sqrt(1 + 1 / 4);
    expect(firstPairAgrees(edge - 0.01, 4)).toBe(true);
    expect(firstPairAgrees(-(edge - 0.01), 4)).toBe(true);
    expect(firstPairAgrees(edge + 0.01, 4)).toBe(false);
    expect(firstPairAgrees(-(edge + 0.01), 4)).toBe(false);
    // A bar of one run is as unsure as the run: the band widens.
    expect(firstPairAgrees(2.5, 1)).toBe(true);
    expect(firstPairAgrees(2.5, 10)).toBe(false);
  });

  it("reads no staleness on a quiet machine most of the time, and a bar left behind when there is", () => {
    const gauss = gaussian(createRandom(3));
    // Quiet: each incumbent run against a fair bar of 10 runs (spread sqrt 1.1).
    let nonzero = 0;
    let total = 0;
    const quiet: number[] = [];
    for (let i = 0; i < 2000; i++) {
      quiet.push(gauss() * Math.sqrt(1.1));
      const s = barStaleness(quiet);
      if (s > 0) nonzero++;
      total += s;
    }
    expect(nonzero / 2000).toBeLessThan(0.2);
    expect(total / 2000).toBeLessThan(0.05);
    // A machine that sped up: each incumbent run 3 sd better than its bar.
    const left = Array.from({ length: 20 }, () => 3 + gauss() * Math.sqrt(1.1));
    const s = barStaleness(left);
    expect(s).toBeGreaterThan(1.5);
    expect(s).toBeLessThan(3);
    // Only the latest STALE_WINDOW count: a night that was quiet until now reads as it is now.
    expect(barStaleness([...left, ...Array(STALE_WINDOW).fill(0)])).toBe(0);
    // A bar that stands better than the incumbent (the machine slowed) screens harder: no credit
    // is taken back for it.
    expect(barStaleness(left.map((z) => -z))).toBe(0);
    expect(barStaleness([])).toBe(0);
  });
});
