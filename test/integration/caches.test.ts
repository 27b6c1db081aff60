// A declared writable cache cannot carry poison: code that writes into it at exit (to slow or
// skew whatever runs next) changes only its own run's copy; every later run, the incumbent's and
// verify's included, starts from the cache as it was.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { probeSandbox } from "../../action/sandbox/probe-sandbox.ts";
import { branchLog, makeRepo, tempDir } from "../helpers/repo.ts";

const probe = await probeSandbox();

const EVAL = `
const fs = require("node:fs");
const value = Number(fs.readFileSync("value.txt", "utf8"));
const poison = process.env.CACHE + "/poison";
const poisoned = fs.existsSync(poison);
console.log("loss: " + (value + (poisoned ? 5 : 0)));
// Code below 10 poisons the cache for whatever runs after it.
if (value < 10) { fs.writeFileSync(poison, "x"); console.error("wrote poison"); }
`;

describe.skipIf(!probe.ok)("isolation.writable, restored before every run", () => {
  it("a run that poisons the cache at exit reaches no later run; the cache itself is untouched", async () => {
    const repo = makeRepo({ "value.txt": "10\n", "eval.js": EVAL });
    const cache = tempDir();
    writeFileSync(join(cache, "warm.bin"), "warmed before the batch\n");
    const outside = tempDir();
    const agent = join(outside, "agent.sh");
    writeFileSync(
      agent,
      'case "$AUTOEXP_ITERATION" in 1) v=9;; 2) v=8;; *) v=7;; esac; echo $v > value.txt; echo "value $v" > "$AUTOEXP_DESCRIPTION_FILE"\n',
    );
    const parsed = parseConfigText(`
name: caches
target: [value.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } }, pass_env: [CACHE] }
isolation: { mode: sandbox, writable: [${JSON.stringify(cache)}] }
decide: { baseline_runs: 2, remeasure_every: 1 }
verify: { pairs: 2 }
agent: { use: command, run: [sh, ${JSON.stringify(agent)}] }
pipeline: false
budget: { experiments: 3 }
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    await runBatch({
      repoDir: repo,
      config: parsed.config,
      tag: "c",
      env: { ...process.env, CACHE: cache },
    });
    // The witness: candidates did poison their runs' copy of the cache.
    const logs = join(repo, ".git", "autoexp", "c", "logs");
    const poisoning = readdirSync(logs).filter((f) =>
      readFileSync(join(logs, f), "utf8").includes("wrote poison"),
    );
    expect(poisoning.length).toBeGreaterThan(2);
    // No run ever saw it: every sample is the code's own value.
    const rows = branchLog(repo, "c").filter(
      (e) => e.type === "result",
    ) as unknown as ResultEntry[];
    const samples = rows.flatMap((r) => r.samples?.loss ?? []);
    expect(samples.length).toBeGreaterThan(5);
    for (const s of samples) expect([7, 8, 9, 10]).toContain(s);
    // verify's base runs come after the kept code poisoned its runs: they see the clean cache.
    const verify = branchLog(repo, "c").find((e) => e.type === "verify") as
      | { samples: { base: number[]; final: number[] } }
      | undefined;
    expect(verify?.samples).toEqual({ base: [10, 10], final: [7, 7] });
    // The cache is as the user left it.
    expect(readdirSync(cache)).toEqual(["warm.bin"]);
    expect(existsSync(join(cache, "poison"))).toBe(false);
  }, 120_000);
});
