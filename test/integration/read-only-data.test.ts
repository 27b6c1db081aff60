// Declared read-only data (isolation.read_only) is watched from the start of the batch: a change
// by anything (here a process allowed to write it: an agent given it as agent.writable) stops
// the batch, and the runs made on the changed data do not count.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { branchLog, makeRepo, tempDir } from "../helpers/repo.ts";

const EVAL = `
const fs = require("node:fs");
const offset = Number(fs.readFileSync(process.env.DATA + "/offset.txt", "utf8"));
console.log("loss: " + (Number(fs.readFileSync("value.txt", "utf8")) + offset));
`;

describe("read-only data changed during a batch", () => {
  it.each(["sandbox", "none"])(
    "isolation %s: the experiment measured on changed data is a crash, and the batch stops",
    async (mode) => {
      const repo = makeRepo({ "value.txt": "10\n", "eval.js": EVAL });
      const data = tempDir();
      writeFileSync(join(data, "offset.txt"), "0\n");
      const outside = tempDir();
      const agent = join(outside, "agent.sh");
      // The second call rewrites the data (as any other process could) before its candidate runs.
      writeFileSync(
        agent,
        `v=$((10 - AUTOEXP_ITERATION)); echo $v > value.txt; echo "value $v" > "$AUTOEXP_DESCRIPTION_FILE"
[ "$AUTOEXP_ITERATION" = 2 ] && echo -9 > ${JSON.stringify(join(data, "offset.txt"))}
true
`,
      );
      const parsed = parseConfigText(`
name: data
target: [value.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } }, pass_env: [DATA] }
isolation: { mode: ${mode}, read_only: [${JSON.stringify(data)}] }
decide: { baseline_runs: 1, min_delta: 0 }
agent: { use: command, run: [sh, ${JSON.stringify(agent)}], writable: [${JSON.stringify(data)}] }
pipeline: false
budget: { experiments: 4 }
`);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
      const result = await runBatch({
        repoDir: repo,
        config: parsed.config,
        tag: "d",
        env: { ...process.env, DATA: data },
      });
      // The witness: the data was rewritten.
      expect(readFileSync(join(data, "offset.txt"), "utf8")).toBe("-9\n");
      const rows = branchLog(repo, "d").filter(
        (e) => e.type === "result",
      ) as unknown as ResultEntry[];
      expect(rows.map((r) => r.status)).toEqual(["baseline", "keep", "crash"]);
      expect(rows[2]!.reason).toMatch(/^read-only data changed during the batch \(.*offset\.txt\)/);
      expect(result.stopReason).toMatch(/read-only data changed/);
    },
    60_000,
  );
});
