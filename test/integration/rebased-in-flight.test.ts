// A candidate begun before a drift reset and evaluated after it (pipelined), through the real
// engine: real git, real eval processes, the ledger read back from the branch.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";
import { nightLog, SEQUENCE_EVAL, sequenceConfig } from "../helpers/sequence-eval.ts";

// Plays PLAN (an effect on the truth per iteration), and notes how many eval runs had begun when
// it was asked (BEGAN/<iteration>): when the candidate began, in the night's order of runs.
const AGENT = `
const fs = require("node:fs");
const i = Number(process.env.AUTOEXP_ITERATION);
const counter = process.env.COUNTER;
fs.writeFileSync(process.env.BEGAN + "/" + i, fs.existsSync(counter) ? fs.readFileSync(counter, "utf8") : "0");
const effect = JSON.parse(process.env.PLAN)[i - 1];
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
fs.writeFileSync("candidate.txt", "truth: " + (truth + effect) + "\\nidea " + i + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "effect " + effect);
`;

describe("a candidate begun before a drift reset, evaluated after it (pipelined)", () => {
  it("is screened against the runs the reset put in place, not the bar it began with", async () => {
    // Baseline at 10 (runs 0-3). #1 does nothing and reads 11 (run 4, slow: #2 is proposed
    // meanwhile). Then the machine slows by 5 (each run 0.1 either side): the scheduled re-run
    // after #1 reads 15.1 and its confirmation 14.9, 15.1, 14.9 (runs 5-8), a drift reset. #2 helps
    // by 3 (truth 7) and reads 12.1 on run 9: 2.9 better than the incumbent now (15), 2.1 worse
    // than the bar #2 began with (10).
    const noise = [
      0.5,
      -0.5,
      0.5,
      -0.5,
      1,
      ...Array.from({ length: 20 }, (_, i) => 5 + 0.1 * (-1) ** i),
    ];
    const repo = makeRepo({ "candidate.txt": "truth: 10\n", "eval.js": SEQUENCE_EVAL });
    const dir = tempDir();
    writeFiles(dir, { "agent.js": AGENT, "began/.keep": "" });
    const log = await nightLog(
      repo,
      `${sequenceConfig("rebased", "{ baseline_runs: 4, screen_sd: 0.5, remeasure_every: 1 }", true)}
agent: { use: command, run: [node, ${JSON.stringify(join(dir, "agent.js"))}], pass_env: [PLAN, COUNTER, BEGAN] }
budget: { experiments: 2 }
`,
      {
        PLAN: JSON.stringify([0, -3]),
        NOISE: JSON.stringify(noise),
        COUNTER: join(dir, "counter"),
        SLOW_RUN: "4",
        BEGAN: join(dir, "began"),
      },
    );
    const [, noop, gain] = log.results;
    expect(noop!.status).toBe("discard");
    expect(noop!.samples.loss).toEqual([11]);

    // The reset: the re-run after #1 read 5 over the incumbent's runs, confirmed, and replaced them.
    const reset = log.remeasures.find((m) => m.reason === "drift");
    expect(reset).toMatchObject({ iteration: 0, after: noop!.iteration });
    expect(reset!.samples.loss).toEqual([15.1, 14.9, 15.1, 14.9]);

    // #2 began before the re-run did (proof that its snapshot held the bar the reset replaced): at
    // most the five runs of the baseline and #1 had begun when the agent was asked for it.
    const began = join(dir, "began", String(gain!.iteration));
    expect(existsSync(began)).toBe(true);
    expect(Number(readFileSync(began, "utf8"))).toBeLessThanOrEqual(5);

    // Screened against the runs the reset put in place: 12.1 is 2.9 better than 15, so it went on
    // to a pair (the incumbent beside it on that bar) and was kept. Against the bar it began with
    // (10) it read 2.1 worse and was discarded on its first run.
    expect(gain!.status).toBe("keep");
    expect(gain!.samples.loss![0]).toBe(12.1);
    expect(gain!.delta).toBeLessThan(-2);
    const beside = log.remeasures.find((m) => m.paired_with === gain!.iteration)!.samples.loss!;
    expect(beside[0]).toBe(14.9);
  }, 120_000);
});
