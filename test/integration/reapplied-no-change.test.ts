// Two candidates in flight that make the same edit (pipelined, through the real engine): once the
// first is kept, the second re-applies to nothing. Its row and its line say so, not that the
// agent changed no file.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BatchEvent } from "../../action/engine/run-batch.ts";
import { formatEvent } from "../../action/report/format-event.ts";
import { makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";
import { nightLog, SEQUENCE_EVAL, sequenceConfig } from "../helpers/sequence-eval.ts";

// Always the same edit, whatever it is asked: truth 7 (from 10, a gain of 3).
const AGENT = `
const fs = require("node:fs");
fs.writeFileSync("candidate.txt", "truth: 7\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "truth 10 -> 7");
`;

describe("a candidate whose change a keep beside it already made", () => {
  it("is no_change, with why: its change is already in the incumbent", async () => {
    const repo = makeRepo({ "candidate.txt": "truth: 10\n", "eval.js": SEQUENCE_EVAL });
    const dir = tempDir();
    writeFiles(dir, { "agent.js": AGENT });
    const events: BatchEvent[] = [];
    // Runs 0-3 the baseline (deterministic: no noise); run 4, #1's first, is slow, so #2 is
    // proposed on the baseline meanwhile, with the same edit.
    const log = await nightLog(
      repo,
      `${sequenceConfig("same-edit", "{ baseline_runs: 4 }", true)}
agent: { use: command, run: [node, ${JSON.stringify(join(dir, "agent.js"))}] }
budget: { experiments: 2 }
`,
      { NOISE: "[]", COUNTER: join(dir, "counter"), SLOW_RUN: "4" },
      (e) => events.push(e),
    );
    const [, first, second] = log.results;
    expect(first!.status).toBe("keep");
    expect(second!.status).toBe("no_change");
    // Proof it was proposed against the baseline and re-applied onto #1.
    const notice = events.find(
      (e) =>
        e.type === "notice" &&
        /#2 was proposed against #0; the incumbent is now #1/.test(e.message),
    );
    expect(notice).toBeDefined();
    expect(second!.reason).toBe(
      "its change is already in the incumbent #1: proposed on #0 while another candidate made the same edit, it re-applies to nothing",
    );
    const line = events
      .map((e) => formatEvent(e, "loss"))
      .find((l) => l !== null && / #2 +no_change /.test(l))!;
    expect(line).toMatch(/\(its change is already in the incumbent #1: .*\)$/);
  }, 120_000);
});
