// The Action's log: one group per finished experiment, titled with that experiment's result.
// Pipelined, the agent proposes #2 and #3 while #1 evaluates, so the experiments start before
// the one before them ends; a group opened at the start would sit over another's result.

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { remoteAndClone, runAction } from "../helpers/action.ts";
import { makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

/** A pipelined repository: each eval takes a moment, the agent answers at once. */
function pipelinedRepo(): string {
  const outside = tempDir();
  writeFiles(outside, {
    "agent.js": `
const fs = require("node:fs");
// Its own count, not a.txt's: proposals made in parallel from one incumbent still differ.
const count = ${JSON.stringify(join(outside, "count"))};
const n = (fs.existsSync(count) ? Number(fs.readFileSync(count, "utf8")) : 0) + 1;
fs.writeFileSync(count, String(n));
fs.writeFileSync("a.txt", "x = " + n + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "x = " + n);
`,
  });
  return makeRepo({
    "a.txt": "x = 0\n",
    "eval.js": `
const n = Number(require("node:fs").readFileSync("a.txt", "utf8").split("= ")[1]);
setTimeout(() => console.log("loss: " + (100 - n)), 400);
`,
    "autoexp.yml": `
name: groups
target: [a.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  metrics: { loss: { goal: minimize } }
decide: { baseline_runs: 1, remeasure_every: 0 }
pipeline: true
agent: { use: command, run: [node, ${JSON.stringify(join(outside, "agent.js"))}], writable: [${JSON.stringify(outside)}] }
budget: { experiments: 4 }
`,
  });
}

describe("the Action's log groups", () => {
  it("pipelined: one group per finished experiment, never nested, titled with its own result", async () => {
    const { clone } = remoteAndClone(pipelinedRepo());
    const run = await runAction(clone(), { mode: "run", tag: "groups" });
    expect(run.code, run.stdout).toBe(0);
    const lines = run.stdout.split("\n");
    const groups: { title: string; body: string[] }[] = [];
    let open: { title: string; body: string[] } | null = null;
    for (const line of lines) {
      if (line.startsWith("::group::")) {
        expect(open, `a group opened inside "${open?.title}"`).toBeNull();
        open = { title: line.slice("::group::".length), body: [] };
      } else if (line === "::endgroup::") {
        expect(open, "an endgroup with no group open").not.toBeNull();
        groups.push(open!);
        open = null;
      } else open?.body.push(line);
    }
    expect(open).toBeNull();
    // #1..#4, in the order they finished, each title its own result line.
    expect(groups.map((g) => /#(\d+)/.exec(g.title)?.[1]).sort()).toEqual(["1", "2", "3", "4"]);
    for (const g of groups) {
      const n = /^\[\d\/4\] #(\d+) (keep|discard)\s+loss \d+/.exec(g.title);
      expect(n, g.title).not.toBeNull();
      // What the group holds is about its own experiment only.
      for (const said of g.body.filter((l) => /#\d+ /.test(l)))
        expect(said, g.title).toContain(`#${n![1]} `);
    }
  }, 60_000);
});
