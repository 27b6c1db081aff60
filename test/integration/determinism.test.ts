import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import { branchLog, makeRepo } from "../helpers/repo.ts";

// A deterministic eval that takes a random time: the timing of every run differs between two
// batches, the results do not. Three parameters for the search agent to tune; keeps happen,
// so candidates in flight go stale and are re-applied.
const EVAL = `
const fs = require("node:fs");
const text = fs.readFileSync("params.py", "utf8");
const get = (n) => Number(new RegExp(n + " = ([-0-9.e]+)").exec(text)[1]);
const loss = (get("a") - 3) ** 2 + (get("b") - 1) ** 2 + (get("c") - 2) ** 2;
setTimeout(() => console.log("loss: " + loss.toFixed(6)), Math.floor(Math.random() * 250));
`;

const CONFIG = `
name: det
target: [params.py]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } } }
decide: { baseline_runs: 1, min_delta: 0 }
agent: { use: search, seed: 7 }
workers: 3
proposers: 2
budget: { experiments: 14 }
`;

/**
 * The ledger without what differs between any two runs: times, seconds, commit ids, and which
 * worker happened to be free for a run (`runs_on`, a fact about timing, not a decision).
 */
function normalised(repo: string): string[] {
  const ids = new Map<string, string>();
  // At any depth: a row's `reapplied` entries hold their runs' seconds and workers too.
  const timing = (k: string) => k === "timestamp" || k === "runs_on" || k.endsWith("_seconds");
  return branchLog(repo, "d").map((entry) => {
    return JSON.stringify(entry, (k, v) => (timing(k) ? undefined : v))
      .replace(/\b[0-9a-f]{40}\b/g, (sha) => {
        if (!ids.has(sha)) ids.set(sha, `C${ids.size}`);
        return ids.get(sha)!;
      })
      .replace(/"commit":"[0-9a-f]{7}"/g, '"commit":"short"');
  });
}

describe("several workers and proposals in flight, timing left to chance", () => {
  it("give the same ledger twice: one decision point orders the outcomes", async () => {
    const parsed = parseConfigText(CONFIG);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const files = { "params.py": "a = 1.0\nb = 2.0\nc = 3.0\n", "eval.js": EVAL };
    const ledgers: string[][] = [];
    for (let i = 0; i < 2; i++) {
      const repo = makeRepo(files);
      await runBatch({ repoDir: repo, config: parsed.config, tag: "d" });
      ledgers.push(normalised(repo));
    }
    const [first, second] = ledgers as [string[], string[]];
    const rows = first.filter((l) => l.includes('"type":"result"'));
    expect(rows).toHaveLength(15);
    // The night was eventful: keeps happened while other candidates were in flight.
    expect(rows.filter((l) => l.includes('"status":"keep"')).length).toBeGreaterThan(1);
    expect(second).toEqual(first);
  });
});
