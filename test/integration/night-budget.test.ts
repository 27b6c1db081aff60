// What the night has left, through the real engine: budget.eval_runs stops the batch at the runs
// the eval itself counted, and the screen (decide.screen_sd auto) says which budget runs out first.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ParsedLog } from "../../action/ledger/log-jsonl.ts";
import { makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";
import { nightLog, PLAN_AGENT, SEQUENCE_EVAL, sequenceConfig } from "../helpers/sequence-eval.ts";

/** Every eval run the ledger holds: the baseline's, the candidates', the incumbent's. */
function runsOnRecord(log: ParsedLog): number {
  return (
    log.results.reduce((n, r) => n + (r.samples.loss?.length ?? 0), 0) +
    log.remeasures.reduce((n, m) => n + (m.samples.loss?.length ?? 0), 0)
  );
}

/** A night of no-ops under `budget` (serial unless `pipeline`), each run's noise the next of `noise`. */
async function night(
  budget: string,
  experiments: number,
  noise: readonly number[],
  pipeline = false,
) {
  const repo = makeRepo({ "candidate.txt": "truth: 10\n", "eval.js": SEQUENCE_EVAL });
  const dir = tempDir();
  writeFiles(dir, { "agent.js": PLAN_AGENT });
  const counter = join(dir, "counter");
  const log = await nightLog(
    repo,
    `${sequenceConfig("budget", "{ baseline_runs: 4, remeasure_every: 0 }", pipeline)}
agent: { use: command, run: [node, ${JSON.stringify(join(dir, "agent.js"))}], pass_env: [PLAN] }
budget: ${budget}
`,
    {
      PLAN: JSON.stringify(Array.from({ length: experiments }, () => 0)),
      NOISE: JSON.stringify(noise),
      COUNTER: counter,
    },
  );
  return { log, counted: Number(readFileSync(counter, "utf8")) };
}

// The baseline's four runs (sd about 0.58), then ten no-ops that read no better than it (each
// discarded on its first run), then no-ops that read 0.35 sd better.
const NOISE = [
  0.5,
  -0.5,
  0.5,
  -0.5,
  ...Array.from({ length: 10 }, (_, i) => (i % 4) * 0.1),
  ...Array.from({ length: 20 }, () => -0.2),
];

describe("the night's budget, through the engine", () => {
  it("stops at budget.eval_runs, counted as the eval counted its runs, and the screen reads it", async () => {
    const { log, counted } = await night("{ experiments: 100, eval_runs: 20 }", 100, NOISE);
    // Proof the night ran: the eval counted its own runs, and the ledger holds every one of them.
    expect(runsOnRecord(log)).toBe(counted);
    expect(log.batches.at(-1)!.reason).toBe(
      `eval_runs budget reached (${counted} of 20 runs made)`,
    );
    // Checked before each experiment: the last began under 20 runs, and took the night over.
    const last = log.results.at(-1)!;
    expect(counted).toBeGreaterThanOrEqual(20);
    expect(counted - last.samples.loss!.length).toBeLessThan(20);
    // #11 is the first screened on a design chosen from the night's first runs, and its reason
    // says what runs out first: the runs (5 left after its first run).
    const eleventh = log.results[11]!;
    expect(eleventh.status).toBe("discard");
    expect(eleventh.reason).toMatch(
      /chosen from 10 first runs .*; budget\.eval_runs runs out after about [2-5] more candidates at [\d.]+ runs a candidate: the most gain per eval run\): not measured in pairs$/,
    );
  });

  it("pipelined, says how many experiments begun finish after budget.eval_runs is reached", async () => {
    const { log, counted } = await night("{ experiments: 100, eval_runs: 12 }", 100, NOISE, true);
    expect(runsOnRecord(log)).toBe(counted);
    const [, atStop, finish] =
      /^eval_runs budget reached \((\d+) of 12 runs made(; the .* already begun finish(es)?, with their runs)?\)$/.exec(
        log.batches.at(-1)!.reason!,
      ) ?? [];
    expect(Number(atStop)).toBeGreaterThanOrEqual(12);
    // The experiments begun (one evaluating, one proposed) ran after the stop: their runs are on
    // record, and the reason said they would.
    expect(counted).toBeGreaterThan(Number(atStop));
    expect(finish).toBeDefined();
  });

  it("where proposals run out first, spends more runs on a candidate than where runs do", async () => {
    const proposals = await night("{ experiments: 12 }", 12, NOISE);
    const runs = await night("{ experiments: 100, eval_runs: 20 }", 100, NOISE);
    expect(proposals.log.batches.at(-1)!.reason).toBe("experiments budget reached (12)");
    // The same ten first runs before #11, and the same first run for it (0.46 sd better).
    const [p, r] = [proposals.log.results[11]!, runs.log.results[11]!];
    expect(p.screen!.z).toBe(r.screen!.z);
    // Where runs bind, one look at 1.5 sd: #11 is discarded on its one run. Where proposals bind,
    // a first run from 0.25 sd goes on (a second look, or pairs): #11 gets more runs.
    const lowest = (s: NonNullable<typeof p.screen>) => s.grey?.from ?? s.at;
    expect(lowest(p.screen!)).toBeLessThan(p.screen!.z);
    expect(lowest(r.screen!)).toBeGreaterThan(r.screen!.z);
    expect(p.samples.loss!.length).toBeGreaterThanOrEqual(2);
    expect(r.samples.loss).toHaveLength(1);
  });
});
