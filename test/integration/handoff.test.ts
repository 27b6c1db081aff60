import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Agent } from "../../action/agents/agent.ts";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import {
  type ChainLink,
  type Handoff,
  handoffBundles,
  writeHandoff,
} from "../../action/github/handoff.ts";
import { publish } from "../../action/github/publish.ts";
import { git, makeRepo, tempDir } from "../helpers/repo.ts";

// The handoff the GPU job leaves after every experiment is a chain of bundles: a full one, then
// one link per checkpoint with only what is new. Checked as the publish job and git see it.

const CONFIG = `
name: chain
target: [value.txt]
frozen: [eval.sh]
eval: { command: [sh, eval.sh], metrics: { score: { goal: minimize } } }
decide: { baseline_runs: 1, min_delta: 0, remeasure_every: 0 }
isolation: none
budget: { experiments: 45 }
pipeline: false
`;

// Every third proposal improves the score; the others are discarded (each still has its ref).
const agent: Agent = {
  name: "steps",
  async propose(ctx) {
    const v = Number(readFileSync(join(ctx.worktree, "value.txt"), "utf8"));
    const next = ctx.iteration % 3 === 0 ? v - 1 : v + ctx.iteration;
    writeFileSync(join(ctx.worktree, "value.txt"), `${next}\n`);
    return { ok: true, description: `value -> ${next}` };
  },
};

describe("the handoff as a chain of bundles", () => {
  it("adds one small link per experiment, folds the chain level by level, and publishes exactly the branch and every experiment's ref", async () => {
    // A 2 MB file that never changes: a full bundle carries it, a link does not.
    const big = randomBytes(1_500_000).toString("base64");
    const repo = makeRepo({
      "value.txt": "1000\n",
      "eval.sh": "echo score: $(cat value.txt)\n",
      "data.txt": big,
    });
    const parsed = parseConfigText(CONFIG);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const dir = tempDir();
    // The same checkpoints with 4 links per level: folds of both levels within 45 experiments.
    const small = tempDir();
    const seen: { bundles: string[]; full: number; newest: number; files: string[] }[] = [];
    const chains: ChainLink[][] = [];
    await runBatch({
      repoDir: repo,
      config: parsed.config,
      tag: "t",
      agent,
      checkpoint: async () => {
        const h = (await writeHandoff(repo, "t", dir, process.env))!;
        const bundles = handoffBundles(h);
        seen.push({
          bundles,
          full: statSync(join(dir, bundles[0]!)).size,
          newest: statSync(join(dir, bundles.at(-1)!)).size,
          files: readdirSync(dir)
            .filter((f) => f.endsWith(".bundle"))
            .sort(),
        });
        chains.push((await writeHandoff(repo, "t", small, process.env, 4))!.chain!);
      },
    });
    expect(seen.length).toBeGreaterThan(45);
    // The folder holds exactly the bundles the description names, after every checkpoint.
    for (const s of seen) expect(s.files).toEqual([...s.bundles].sort());
    // Links, each far smaller than the full bundle (which carries the 2 MB file).
    const links = seen.filter((s) => s.bundles.length > 1);
    expect(links.length).toBeGreaterThan(30);
    for (const l of links) expect(l.newest).toBeLessThan(100_000);
    for (const s of seen) expect(s.full).toBeGreaterThan(1_500_000);
    // 32 links are folded into one bundle after the full one, which stays as it was.
    expect(Math.max(...seen.map((s) => s.bundles.length))).toBe(33);
    const folded = seen.findIndex((_, i) => i > 0 && seen[i - 1]!.bundles.length === 33);
    expect(seen[folded]!.bundles).toHaveLength(2);
    expect(seen[folded]!.bundles[0]).toBe(seen[folded - 1]!.bundles[0]);
    expect(seen[folded]!.bundles[1]).not.toBe(seen[folded - 1]!.bundles[1]);
    // With 4 per level: never more than 1 + 4 + 4 bundles, levels in order, and 4 folds of
    // links make a new full bundle.
    for (const c of chains) {
      expect(c.length).toBeLessThanOrEqual(9);
      expect(c[0]!.level).toBe(0);
      expect(c.map((l) => l.level)).toEqual([...c.map((l) => l.level)].sort());
    }
    const renewed = chains.findIndex((c, i) => i > 0 && c.length === 1);
    expect(renewed).toBeGreaterThan(0);
    expect(chains[renewed - 1]!.map((l) => l.level)).toEqual([0, 1, 1, 1, 1, 2, 2, 2, 2]);
    // A link needs the head bundled before it: git itself says so.
    const h = JSON.parse(readFileSync(join(dir, "handoff.json"), "utf8")) as Handoff;
    const chain = handoffBundles(h);
    expect(chain.length).toBeGreaterThan(1);
    const verify = execFileSync("git", ["bundle", "verify", join(dir, chain.at(-1)!)], {
      cwd: repo,
      encoding: "utf8",
      stdio: "pipe",
    });
    expect(verify).toMatch(/requires this ref/);

    // A stray bundle the description does not name (a checkpoint killed before its description
    // was written) is not fetched, and the next checkpoint removes it.
    writeFileSync(join(dir, "autoexp.0099.bundle"), "not a bundle");

    // The publish job, in a fresh clone of the base, fetches the chain in order: the remote
    // gets the branch and every experiment's ref, as on the GPU machine.
    const remote = tempDir();
    git(remote, "init", "-q", "--bare");
    const other = tempDir();
    git(other, "clone", "-q", repo, ".");
    const result = await publish({
      repoDir: other,
      tag: "t",
      remote,
      handoff: dir,
      config: parsed.config,
      env: process.env,
    });
    expect(result.outcome).toBe("created");
    const refs = (r: string) =>
      git(
        r,
        "for-each-ref",
        "--format=%(refname) %(objectname)",
        "refs/autoexp/t/",
        "refs/heads/autoexp/t",
      )
        .trim()
        .split("\n")
        .sort();
    expect(refs(remote)).toEqual(refs(repo));
    expect(refs(remote).length).toBe(45 + 1); // 45 experiments and the branch

    await writeHandoff(repo, "t", dir, process.env);
    expect(readdirSync(dir)).not.toContain("autoexp.0099.bundle");

    // The 4-per-level chain publishes the same, from another clone to another remote.
    const remote2 = tempDir();
    git(remote2, "init", "-q", "--bare");
    const third = tempDir();
    git(third, "clone", "-q", repo, ".");
    await publish({
      repoDir: third,
      tag: "t",
      remote: remote2,
      handoff: small,
      config: parsed.config,
      env: process.env,
    });
    expect(refs(remote2)).toEqual(refs(repo));
  });
});
