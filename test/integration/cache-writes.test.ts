// What runs write into a declared writable cache is put back before the next run, and reported:
// a ledger line per code and cache, a note on the dashboard and in `autoexp status`, and a change
// to the cache itself during the batch said once.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Agent } from "../../action/agents/agent.ts";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import type { CacheWriteEntry, ResultEntry } from "../../action/ledger/types.ts";
import { probeSandbox } from "../../action/sandbox/probe-sandbox.ts";
import { branchLog, git, makeRepo, runCli, tempDir } from "../helpers/repo.ts";

const probe = await probeSandbox();

// Says what it found in the cache before writing, then leaves a compiled entry and touches the
// warm one: every run must find the cache as the user left it (plus what changed it outside).
const EVAL = `
const fs = require("node:fs");
const cache = process.env.CACHE;
const value = Number(fs.readFileSync("value.txt", "utf8"));
const seen = fs.readdirSync(cache).sort().map((f) => f + "=" + fs.readFileSync(cache + "/" + f, "utf8").trim());
console.error("saw " + JSON.stringify(seen));
fs.writeFileSync(cache + "/compiled-" + value + ".bin", "x");
fs.appendFileSync(cache + "/warm.bin", " touched");
console.log("loss: " + value);
`;

describe.skipIf(!probe.ok)("isolation.writable: what runs write there is reported", () => {
  it("records each code's writes and an outside change once, shows them, and no run sees another's", async () => {
    const repo = makeRepo({ "value.txt": "10\n", "eval.js": EVAL });
    const cache = tempDir();
    writeFileSync(join(cache, "warm.bin"), "warm");
    // Another program adds to the cache while the batch runs (before experiment 2's runs).
    const agent: Agent = {
      name: "scripted",
      async propose(ctx) {
        writeFileSync(join(ctx.worktree, "value.txt"), `${10 - ctx.iteration}\n`);
        if (ctx.iteration === 2) writeFileSync(join(cache, "outside.bin"), "another program");
        return { ok: true, description: `value ${10 - ctx.iteration}` };
      },
    };
    const parsed = parseConfigText(`
name: writes
target: [value.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } }, pass_env: [CACHE] }
isolation: { mode: sandbox, writable: [${JSON.stringify(cache)}] }
decide: { baseline_runs: 2 }
verify: { pairs: 2 }
agent: { use: command, run: ["true"] }
pipeline: false
budget: { experiments: 3 }
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    await runBatch({
      repoDir: repo,
      config: parsed.config,
      tag: "w",
      env: { ...process.env, CACHE: cache },
      agent,
    });

    // Every run found the cache as it was: never a compiled entry or a touched warm.bin.
    const logs = join(repo, ".git", "autoexp", "w", "logs");
    const seen = readdirSync(logs).map((f) => /saw (.*)/.exec(readFileSync(join(logs, f), "utf8")));
    expect(seen.length).toBeGreaterThan(6);
    const clean = '["warm.bin=warm"]';
    const withOutside = '["outside.bin=another program","warm.bin=warm"]';
    for (const s of seen) expect([clean, withOutside]).toContain(s?.[1]);
    expect(seen.some((s) => s?.[1] === withOutside)).toBe(true);

    const log = branchLog(repo, "w");
    const rows = log.filter((e) => e.type === "result") as unknown as ResultEntry[];
    expect(rows.map((r) => r.status)).toEqual(["baseline", "keep", "keep", "keep"]);
    const lines = log.filter((e) => e.type === "cache-write") as unknown as CacheWriteEntry[];
    const ofRow = (n: number) => lines.filter((l) => l.commit === rows[n]!.commit_full);
    // The baseline's two runs: each wrote compiled-10.bin and changed warm.bin.
    expect(ofRow(0)[0]).toMatchObject({
      cache,
      runs: ["0-0", "0-1"],
      count: 2,
      paths: ["compiled-10.bin", "warm.bin"],
    });
    for (const n of [1, 2, 3]) {
      expect(ofRow(n).length).toBeGreaterThan(0);
      for (const l of ofRow(n)) expect(l.paths).toEqual([`compiled-${10 - n}.bin`, "warm.bin"]);
    }
    // The cache's own change: said once, with no code to blame.
    const outside = lines.filter((l) => l.commit === undefined);
    expect(outside).toEqual([
      {
        type: "cache-write",
        cache,
        count: 1,
        paths: ["outside.bin"],
        timestamp: expect.any(String),
      },
    ]);
    // verify's runs come after its line, and are on record too.
    const verifyAt = log.findIndex((e) => e.type === "verify");
    expect(verifyAt).toBeGreaterThan(0);
    expect(log.slice(verifyAt).some((e) => e.type === "cache-write")).toBe(true);
    // The cache itself holds only what the user and the other program put there.
    expect(readdirSync(cache).sort()).toEqual(["outside.bin", "warm.bin"]);
    expect(readFileSync(join(cache, "warm.bin"), "utf8")).toBe("warm");

    const dashboard = git(repo, "show", "autoexp/w:.autoexp/w/dashboard.md");
    expect(dashboard).toContain(
      `> - #1 wrote 2 entries into \`${cache}\` in 2 runs (put back before the next run): \`compiled-9.bin\`, \`warm.bin\``,
    );
    expect(dashboard).toContain(
      `> - \`${cache}\` itself changed during the batch, not by a run (1 entry: \`outside.bin\`)`,
    );
    const status = runCli(repo, ["status", "--tag", "w"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(
      // The baseline's two runs and verify's two runs of the base.
      `  #0 wrote 2 entries into ${cache} in 4 runs (put back before the next run): compiled-10.bin, warm.bin`,
    );
    expect(status.stdout).toContain(`  ${cache} itself changed during the batch, not by a run`);
  }, 120_000);
});
