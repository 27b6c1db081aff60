// A keep on a candidate's first pair, and the step that pair cannot be trusted through, through
// the real engine: real git, real eval processes, the ledger read back from the branch.
import { describe, expect, it } from "vitest";
import { FIRST_PAIR_AGREES } from "../../action/decide/boundary.ts";
import { judge } from "../../action/decide/judge.ts";
import { mean } from "../../action/decide/stats.ts";
import { sequenceNight } from "../helpers/sequence-eval.ts";

const NIGHT = "{ baseline_runs: 4, screen_sd: 0.5, remeasure_every: 0 }";

describe("a keep on the first pair (the screened run and the incumbent's beside it)", () => {
  it("keeps a clear gain on its first pair, and sends a first pair whose incumbent run left its bar on to more pairs", async () => {
    // #1 helps by 3 (truth 7). #2 does nothing (truth 7) and reads 6 on its screened run; the
    // incumbent's run beside it reads 11: a load spike started between the two (+4 on 7). That
    // pair alone says 5 better, 8.7 run sds.
    const plan = [-3, 0];
    const noise = [
      ...[0.5, -0.5, 0.5, -0.5], // runs 0-3: the baseline (10, sd about 0.58)
      ...[0, 0], // runs 4-5: #1's screened run (7), the incumbent beside it (10): kept
      0, // run 6: #1's run after its keep (7)
      ...[-1, 4], // runs 7-8: #2's screened run (6), the incumbent beside it (11): the spike
      ...Array(8).fill(0), // runs 9-16: later pairs, the machine quiet again (7 and 7)
    ];
    const log = await sequenceNight(plan, noise, NIGHT);
    const [, gain, noop] = log.results;

    // #1: one pair, its incumbent run on the bar (10 where the baseline's mean is 10).
    expect(gain!.status).toBe("keep");
    expect(gain!.samples.loss).toEqual([7]);
    expect(log.remeasures.find((m) => m.paired_with === gain!.iteration)!.samples.loss).toEqual([
      10,
    ]);
    expect(gain!.screen!.incumbent_z).toBe(0);
    expect(gain!.delta).toBe(-3);
    expect(gain!.reason).toMatch(/^loss better by 3 over 1 pair\(s\) beside the incumbent/);

    // #2: the incumbent's run in its first pair stood 4 over its bar (7, 7), far past what agrees,
    // so the pair was set aside: a fresh pair decided, the machine quiet again (7 and 7), and
    // nothing gained is under min_delta at once.
    expect(noop!.screen!.incumbent_z).toBeLessThan(-FIRST_PAIR_AGREES * Math.sqrt(1 + 1 / 2));
    const beside = log.remeasures.find((m) => m.paired_with === noop!.iteration)!;
    expect(beside.samples.loss).toEqual([11, 7]);
    expect(noop!.samples.loss).toEqual([6, 7]);
    expect(noop!.status).toBe("discard");
    expect(noop!.delta).toBe(0);
    expect(noop!.reason).toMatch(
      /its first pair set aside: the incumbent's run in it read \S+ sd worse/,
    );
    // Proof that the spike would have worked: the judge, given that pair as a look (the baseline's
    // noise, as the night knew it then), keeps the change that does nothing on it.
    const base = log.results[0]!.samples.loss!;
    const sd = Math.sqrt(base.reduce((a, x) => a + (x - mean(base)) ** 2, 0) / (base.length - 1));
    const fooled = judge({
      policy: {
        rule: "primary",
        objectives: [{ name: "loss", goal: "minimize", minDelta: 0.25 * sd }],
        guards: {},
        confidence: 0.95,
        maxRuns: 5,
        simplification: false,
      },
      incumbent: { loss: [11] },
      candidate: { loss: [6] },
      noise: { loss: { sd, df: base.length - 1, robustSd: null } },
      paired: {
        first: "screened",
        screenedAgainst: noop!.screen!.against,
        screenSd: 0.5,
        firstPairKeeps: true,
      },
    });
    expect(fooled.final && fooled.status).toBe("keep");
  }, 60_000);

  it("records how far the bar stood behind a machine that sped up (the screen the boundary credits is that much lower)", async () => {
    // After the baseline the machine runs 3 faster for good: #1 does nothing and reads 6.5 on its
    // screened run, the incumbent 7 beside it; every later run reads 7.
    const plan = [0];
    const noise = [...[0.5, -0.5, 0.5, -0.5], -3.5, ...Array(12).fill(-3)];
    const log = await sequenceNight(plan, noise, NIGHT);
    const noop = log.results[1]!;
    const z = noop.screen!.incumbent_z!;
    // The incumbent's run stood 3 better than its bar (10): about 5 run sds.
    expect(z).toBeGreaterThan(4);
    expect(noop.screen!.stale).toBeCloseTo(z - Math.sqrt(1.1), 2);
    // Too far off its bar to keep on: set aside, and the fresh pair after it says nothing is gained.
    expect(noop.samples.loss).toEqual([6.5, 7]);
    expect(noop.status).toBe("discard");
    expect(noop.reason).toMatch(
      /first pair set aside: the incumbent's run in it read \S+ sd better/,
    );
  }, 60_000);
  it("reopens a first-pair keep its run after the keep does not bear out: that pair set aside, fresh pairs decide from that run on", async () => {
    // #1 does nothing (truth 10): its screened run reads 7.5 (lucky by 2.5, through the screen),
    // the incumbent beside it 10, on its bar: kept on that pair. Its run after the keep reads
    // 10.5, worse than the bar (10): reopened. The incumbent's run beside it reads 10.
    const noise = [...[0.5, -0.5, 0.5, -0.5], ...[-2.5, 0], 0.5, ...Array(12).fill(0)];
    const events: string[] = [];
    const log = await sequenceNight([0], noise, NIGHT, (e) => {
      if (e.type === "run") events.push(e.reason);
    });
    const noop = log.results[1]!;
    expect(noop.status).toBe("discard");
    expect(noop.samples.loss).toEqual([7.5, 10.5]);
    const beside = log.remeasures.find((m) => m.paired_with === noop.iteration)!;
    expect(beside.samples.loss).toEqual([10, 10]);
    // A seed for each pair: the fresh one's incumbent run got the run after the keep's.
    expect(beside.seeds).toHaveLength(2);
    expect(new Set(beside.seeds).size).toBe(2);
    // No after-keep line: its run after the keep is in the fresh pair.
    expect(log.remeasures.some((m) => m.reason === "after-keep")).toBe(false);
    const why =
      "kept on its first pair, then its run after the keep read 10.5, no better than the 4 runs' mean it was screened against (10): measured in pairs again";
    expect(events).toContain(why);
    expect(noop.reason).toContain(`(${why})`);
    // Reported and judged without the pair set aside: the fresh pair alone, 0.5 worse.
    expect(noop.delta).toBe(0.5);
    expect(noop.evidence!.runs).toBe(1);
    // The record says so, and shows the last run's output, the run after the keep's.
    expect(noop.screen!.reopened).toBe(true);
    expect(noop.log_tail).toContain("loss: 10.5");
  }, 60_000);
});
