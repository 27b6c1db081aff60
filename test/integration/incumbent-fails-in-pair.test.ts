import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

// The incumbent's code runs until the agent has proposed (it leaves BROKEN behind); from then on
// it exits 3, while every candidate's code still gives a score. So only the incumbent's side of a
// pair fails.
const EVAL = `
const fs = require("node:fs");
const incumbent = fs.readFileSync("candidate.txt", "utf8").startsWith("incumbent");
if (incumbent && fs.existsSync(process.env.BROKEN)) {
  console.error("the incumbent's code no longer runs here");
  process.exit(3);
}
console.log("loss: " + ((incumbent ? 10 : 8) + Math.random() / 100));
`;

const AGENT = `
const fs = require("node:fs");
fs.writeFileSync("candidate.txt", "candidate " + process.env.AUTOEXP_ITERATION + "\\n");
fs.writeFileSync(process.env.BROKEN, "");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "a better candidate");
`;

function setup(pipeline: boolean) {
  const repo = makeRepo({ "candidate.txt": "incumbent\n", "eval.js": EVAL });
  const dir = tempDir();
  writeFiles(dir, { "agent.js": AGENT });
  const parsed = parseConfigText(`
name: pair
target: [candidate.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  metrics:
    loss: { goal: minimize }
  pass_env: [BROKEN]
# BROKEN lives outside the slot: a declared shared place (pairs then start with the first run).
isolation: { shared: [${JSON.stringify(dir)}] }
decide: { baseline_runs: 2 }
pipeline: ${pipeline}
agent: { use: command, run: [node, ${JSON.stringify(join(dir, "agent.js"))}], pass_env: [BROKEN], writable: [${JSON.stringify(dir)}] }
budget: { experiments: 3 }
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const broken = join(dir, "broken");
  return { repo, config: parsed.config, env: { ...process.env, BROKEN: broken }, broken };
}

describe("an incumbent that fails beside a candidate in a pair", () => {
  for (const pipeline of [false, true]) {
    it(`ends the batch as a recorded broken stop, nothing of the experiment recorded (pipeline: ${pipeline})`, async () => {
      const { repo, config, env, broken } = setup(pipeline);
      const result = await runBatch({ repoDir: repo, config, tag: "t", env });
      // The agent did propose (the beacon), so the failing run was the incumbent's in a pair.
      expect(existsSync(broken)).toBe(true);
      expect(result.stop.kind).toBe("broken");
      expect(result.stop.failed).toBe(true);
      expect(result.stopReason).toMatch(
        /^the incumbent \(#0\) failed when measured on worker 0 \(.+\): the eval is not reliable, so the batch stopped\. Log: /,
      );
      const logPath = /Log: (\S+)$/.exec(result.stopReason)![1]!;
      expect(logPath).toMatch(/1-\d+-incumbent-0/);
      expect(readFileSync(logPath, "utf8")).toContain("the incumbent's code no longer runs here");
      const log = parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"));
      expect(log.batches.at(-1)!.reason).toBe(result.stopReason);
      // The experiment is not recorded (a resume starts it again), nor the incumbent's pair runs.
      expect(log.results.map((r) => r.status)).toEqual(["baseline"]);
      expect(log.remeasures.filter((m) => m.paired_with !== undefined)).toEqual([]);
      expect(result.experiments).toBe(0);
    }, 60_000);
  }
});
