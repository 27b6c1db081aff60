// The screen's second look and its bar, through the real engine: real git, real eval processes.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { incumbentState } from "../../action/decide/ledger-state.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

// loss = truth + the next value of a fixed noise sequence, in the global order of runs (a counter
// outside the sandbox: isolation none, so that nothing is shared and the first run is screened).
const EVAL = `
const fs = require("node:fs");
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
const noise = JSON.parse(process.env.NOISE);
const file = process.env.COUNTER;
const n = Number(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : 0);
fs.writeFileSync(file, String(n + 1));
console.log("loss: " + (truth + (noise[n] ?? 0)));
`;

const AGENT = `
const fs = require("node:fs");
const plan = JSON.parse(process.env.PLAN);
const [effect, description] = plan[Number(process.env.AUTOEXP_ITERATION) - 1];
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
fs.writeFileSync("candidate.txt", "truth: " + (truth + effect) + "\\nidea " + process.env.AUTOEXP_ITERATION + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, description);
`;

describe("the screen's second look (decide.screen_sd with second_look), through the engine", () => {
  it("gives a first run in the grey zone a second run, decides on their mean, and pairs from the second", async () => {
    const repo = makeRepo({ "candidate.txt": "truth: 10\n", "eval.js": EVAL });
    const dir = tempDir();
    writeFiles(dir, { "agent.js": AGENT });
    const plan = [
      [-0.5, "a small gain, unlucky twice"],
      [-2, "a real gain, unlucky once"],
      [3, "clearly worse"],
    ];
    // Runs: 0-3 the baseline (sd about 0.55); #1: 4 (0.9 sd better: the grey zone), 5 (the two
    // runs' mean 0.8 sd better, under 1.25: discarded); #2: 6 (0.9 sd: grey), 7 (the mean 2.7 sd
    // better: on to pairs), 8 the incumbent beside run 7, 9-10 the second pair (kept), 11 its run
    // after the keep; #3: 12, 3 worse, discarded on its first run.
    const noise = [0.5, -0.5, 0.5, -0.5, 0, 0.1, 1.5, -0.5, 0, 0, 0, 0, 0];
    const parsed = parseConfigText(`
name: second-look
target: [candidate.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  metrics:
    loss: { goal: minimize }
  pass_env: [COUNTER, NOISE]
isolation: none
decide: { baseline_runs: 4, screen_sd: { at: 1.5, second_look: { from: 0.5, mean: 1.25 } } }
pipeline: false
agent: { use: command, run: [node, ${JSON.stringify(join(dir, "agent.js"))}], pass_env: [PLAN] }
budget: { experiments: 3 }
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    await runBatch({
      repoDir: repo,
      config: parsed.config,
      tag: "t",
      env: {
        ...process.env,
        PLAN: JSON.stringify(plan),
        NOISE: JSON.stringify(noise),
        COUNTER: join(dir, "counter"),
      },
    });
    const log = parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"));
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
    expect(real!.samples.loss).toEqual([9.5, 7.5, 8]);
    const beside = log.remeasures.find((m) => m.paired_with === real!.iteration)!;
    expect(beside.samples.loss).toEqual([10, 10]);
    // Scored and compared on the runs that were not screened: 8 beside 10.
    expect(real!.score).toBe(8);
    expect(real!.delta).toBe(-2);
    expect(real!.evidence!.paired).toBe(true);

    // #3 is screened against the kept code's bar: the run it was kept on (not screened) and its
    // run after the keep, two runs where the run after the keep alone would be one.
    expect(worse!.status).toBe("discard");
    expect(worse!.samples.loss).toEqual([11]);
    expect(worse!.screen!.against).toBe(2);
    const inc = incumbentState(log)!;
    expect(inc.iteration).toBe(real!.iteration);
    expect(inc.samples.loss).toEqual([8]);
    expect(inc.bar.loss).toEqual([8, 8]);
  });
});
