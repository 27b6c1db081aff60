import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { remoteAndClone, runAction } from "../helpers/action.ts";
import { type FakeGitHub, type Status, startFakeGitHub } from "../helpers/fake-github.ts";
import { commentPayload, payload, startApp } from "../helpers/probot.ts";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

const TOKEN = "ghs_faketoken";

let fakes: FakeGitHub[] = [];
afterEach(() => {
  // Every request, the Action's statuses included, must be one GitHub would accept.
  for (const f of fakes) expect(f.violations).toEqual([]);
  fakes = [];
});

/**
 * A repository whose eval reports whether any variable it sees holds the token, and a command
 * agent (outside it) that adds 1 to a.txt's number (so each experiment is kept) and writes down
 * the same about its own environment.
 */
function liveRepo() {
  const outside = tempDir();
  writeFiles(outside, {
    "agent.js": `
const fs = require("node:fs");
const n = Number(fs.readFileSync("a.txt", "utf8").split("= ")[1]) + 1;
fs.writeFileSync("a.txt", "x = " + n + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "x = " + n);
const seen = Object.values(process.env).some((v) => v && v.includes(${JSON.stringify(TOKEN)}));
fs.appendFileSync(${JSON.stringify(join(outside, "agent-saw"))}, "token " + seen + "\\n");
`,
  });
  const repo = makeRepo({
    "a.txt": "x = 0\n",
    "eval.js": `
const fs = require("node:fs");
const n = Number(fs.readFileSync("a.txt", "utf8").split("= ")[1]);
const seen = Object.values(process.env).some((v) => v && v.includes(${JSON.stringify(TOKEN)}));
console.log("token seen by the eval: " + seen);
console.log("loss: " + (100 - n));
`,
    "autoexp.yml": `
name: live
target: [a.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  metrics: { loss: { goal: minimize } }
  pass_env: [INPUT_TOKEN] # GITHUB_TOKEN here is refused by validate (first-hour.test.ts)
decide: { baseline_runs: 2, remeasure_every: 0 }
pipeline: false
agent: { use: command, run: [node, ${JSON.stringify(join(outside, "agent.js"))}], writable: [${JSON.stringify(outside)}] }
budget: { experiments: 3 }
`,
  });
  return { repo, agentSaw: () => readFileSync(join(outside, "agent-saw"), "utf8") };
}

/** Every file under `dir`, read. */
function readAll(dir: string): string {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f, "utf8"))
    .join("\n");
}

describe("the live morning view: the request's answer and the tag's PR move while the batch runs", () => {
  it("the Action posts autoexp/<tag> statuses between experiments; the App updates the sticky answer and the PR mid-batch; the token reaches no agent and no eval", async () => {
    const { repo, agentSaw } = liveRepo();
    const { remote, clone } = remoteAndClone(repo);
    const fake = await startFakeGitHub();
    fakes.push(fake);
    fake.files.get("main")!.set("autoexp.yml", git(repo, "show", "main:autoexp.yml"));
    fake.roles.set("alice", "write");
    const probot = await startApp(fake);
    const serve = () => {
      const files = new Map<string, string>();
      for (const path of git(remote, "ls-tree", "-r", "--name-only", "autoexp/live").split("\n"))
        if (path) files.set(path, git(remote, "show", `autoexp/live:${path}`));
      fake.files.set("autoexp/live", files);
    };
    let delivery = 0;
    const pushed = () =>
      probot.receive({
        id: `push-${++delivery}`,
        name: "push",
        payload: payload("push", fake, (p) => {
          p.ref = "refs/heads/autoexp/live";
          p.deleted = false;
        }),
      } as never);

    // Last night's batch is published: the tag has its PR.
    const first = clone();
    expect((await runAction(first, { mode: "run", tag: "live", experiments: "1" })).code).toBe(0);
    expect((await runAction(first, { mode: "publish", tag: "live" })).code).toBe(0);
    serve();
    await pushed();
    const pr = fake.pulls.find((p) => p.head === "autoexp/live")!;
    expect(pr.body).not.toContain("autoexp:live");
    const published = git(remote, "rev-parse", "autoexp/live").trim();

    // Someone asks for a batch; GitHub runs the workflow the App dispatched.
    await probot.receive({
      id: "ask",
      name: "issue_comment",
      payload: commentPayload(fake, "/autoexp run tag=live experiments=3"),
    } as never);
    const run = fake.runs[0]!;
    run.status = "in_progress";
    const sticky = () => fake.comments.find((c) => c.user === "autoexp[bot]")!.body;

    // GitHub sends the App a `status` webhook for each status; what everyone sees is noted then.
    const gpu = clone();
    const seen: { status: Status; sticky: string; pr: string; recorded: number }[] = [];
    fake.onStatus = async (status) => {
      const at = new Date().toISOString().replace(/\.\d+Z$/, "+00:00");
      await probot.receive({
        id: `status-${status.id}`,
        name: "status",
        payload: payload("status", fake, (p) => {
          Object.assign(p, { ...status, created_at: at, updated_at: at });
          p.repository.html_url = `https://github.com/${fake.owner}/${fake.repo}`;
        }),
      } as never);
      const log = git(gpu, "show", "autoexp/live:.autoexp/live/log.jsonl");
      seen.push({ status, sticky: sticky(), pr: pr.body, recorded: log.trim().split("\n").length });
    };
    const batch = await runAction(
      gpu,
      { mode: "run", tag: "live", experiments: "3", token: TOKEN, "live-status": "0" },
      {
        env: {
          GITHUB_API_URL: fake.url,
          GITHUB_SERVER_URL: "https://github.com",
          GITHUB_REPOSITORY: `${fake.owner}/${fake.repo}`,
          GITHUB_RUN_ID: String(run.id),
          GITHUB_TOKEN: TOKEN,
        },
      },
    );
    expect(batch.code, batch.stdout).toBe(0);
    const finalRecorded = git(gpu, "show", "autoexp/live:.autoexp/live/log.jsonl")
      .trim()
      .split("\n");

    // One status after each experiment (live-status: 0), then the end; all on the PR's head.
    expect(seen.map((s) => [s.status.state, s.status.description])).toEqual([
      ["pending", expect.stringMatching(/^1\/3 experiments · best loss 98 · not yet verified$/)],
      ["pending", "2/3 experiments · best loss 97 · not yet verified"],
      ["pending", "3/3 experiments · best loss 96 · not yet verified"],
      ["success", "done: 3/3 experiments · best loss 96 (−4.00%) · not yet verified"],
    ]);
    for (const { status } of seen)
      expect(status).toMatchObject({
        sha: published,
        context: "autoexp/live",
        target_url: run.html_url,
      });

    // Mid-batch: after the first experiment, two still to run, the answer and the PR said so.
    const mid = seen[0]!;
    expect(mid.recorded).toBeLessThan(finalRecorded.length);
    expect(mid.sticky).toContain("@alice: started a batch of `autoexp.yml` on `autoexp/live`");
    expect(mid.sticky).toContain(`> **Live**, from [the running batch](${run.html_url}) at`);
    expect(mid.sticky).toContain("\n> 1/3 experiments · best loss 98 · not yet verified\n");
    expect(mid.pr).toMatch(
      /^<!-- autoexp:pr tag=live -->\n## autoexp · live\n\n<!-- autoexp:live at=\S+ -->\n> \*\*Live\*\*.*\n> 1\/3 experiments/,
    );
    expect(mid.pr).toContain(
      "> 1/3 experiments · best loss 98 · not yet verified\n\n**loss 100 → 99",
    );
    // Each update replaced the line: one live block, the newest.
    const end = seen.at(-1)!;
    expect(end.sticky.match(/autoexp:live/g)).toHaveLength(1);
    expect(end.sticky).toContain("> **The batch ended**");
    expect(end.sticky).toContain("> done: 3/3 experiments · best loss 96 (−4.00%)");
    expect(end.pr.match(/autoexp:live/g)).toHaveLength(1);

    // The token stayed in the Action: no agent, no eval saw it (even named in pass_env).
    // (the first line is last night's batch, which had no token)
    expect(agentSaw().trim().split("\n")).toEqual(Array(4).fill("token false"));
    const logs = readAll(join(gpu, ".git", "autoexp", "live", "logs"));
    expect(logs).toContain("token seen by the eval: false");
    expect(logs).not.toContain("token seen by the eval: true");
    expect(batch.stdout.replaceAll(`::add-mask::${TOKEN}`, "")).not.toContain(TOKEN);

    // Published: the PR is the ledger's again, the live line gone with the batch's figures in.
    const handoff = join(batch.outputs.handoff!);
    expect((await runAction(clone(), { mode: "publish", tag: "live", handoff })).code).toBe(0);
    serve();
    await pushed();
    expect(pr.body).not.toContain("autoexp:live");
    expect(pr.title).toContain("4 kept");
  }, 180_000);
});
