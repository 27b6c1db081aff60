import { afterEach, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../helpers/fake-github.ts";
import { commentPayload, payload, startApp } from "../helpers/probot.ts";
import { syntheticLedger } from "../helpers/synthetic-ledger.ts";

let fakes: FakeGitHub[] = [];
afterEach(() => {
  for (const f of fakes) expect(f.violations).toEqual([]);
  fakes = [];
});

/** A tag with its PR, a request that started run 9001, and a way to send status webhooks. */
async function setup() {
  const fake = await startFakeGitHub();
  fakes.push(fake);
  fake.files
    .get("main")!
    .set(
      "autoexp.yml",
      "name: night-owl\ntarget: [train.py]\neval: { command: python train.py, metrics: { val_bpb: { goal: minimize } } }\n",
    );
  const { header, results } = syntheticLedger(40);
  const ledger = `${[header, ...results].map((e) => JSON.stringify(e)).join("\n")}\n`;
  fake.files.set("autoexp/night", new Map([[".autoexp/night/log.jsonl", ledger]]));
  fake.roles.set("alice", "write");
  const probot = await startApp(fake);
  await probot.receive({
    id: "push",
    name: "push",
    payload: payload("push", fake, (p) => {
      p.ref = "refs/heads/autoexp/night";
      p.deleted = false;
    }),
  } as never);
  await probot.receive({
    id: "ask",
    name: "issue_comment",
    payload: commentPayload(fake, "/autoexp run tag=night"),
  } as never);
  const pr = fake.pulls[0]!;
  const sticky = () => fake.comments.find((c) => c.user === "autoexp[bot]")!;
  let n = 0;
  const status = (fields: Record<string, unknown>) =>
    probot.receive({
      id: `s-${++n}`,
      name: "status",
      payload: payload("status", fake, (p) => {
        Object.assign(p, {
          context: "autoexp/night",
          state: "pending",
          target_url: fake.runs[0]!.html_url,
          ...fields,
        });
        p.repository.html_url = `https://github.com/${fake.owner}/${fake.repo}`;
      }),
    } as never);
  return { fake, pr, sticky, status };
}

describe("the live line from a batch's commit status", () => {
  it("an older status delivered late changes nothing; a redelivery writes nothing", async () => {
    const { fake, pr, sticky, status } = await setup();
    const at = (t: string) => ({ created_at: t, updated_at: t });
    await status({ description: "2/5 experiments", ...at("2026-11-23T01:02:00+00:00") });
    expect(sticky().body).toContain("\n> 2/5 experiments\n");
    expect(pr.body).toContain("\n> 2/5 experiments\n");
    const writes = () =>
      fake.requests.filter((r) => ["pulls/update", "issues/update-comment"].includes(r.operationId))
        .length;
    const before = writes();
    await status({ description: "1/5 experiments", ...at("2026-11-23T01:01:00+00:00") });
    await status({ description: "2/5 experiments", ...at("2026-11-23T01:02:00+00:00") });
    expect(writes()).toBe(before);
    expect(sticky().body).toContain("\n> 2/5 experiments\n");
    await status({
      state: "success",
      description: "done: 5/5 experiments",
      ...at("2026-11-23T01:05:00+00:00"),
    });
    expect(sticky().body).toContain("> **The batch ended** ([the run](");
    expect(sticky().body).not.toContain("2/5");
  });

  it("gives each line of a matrix its own live line, updated in place, in the PR and the answer", async () => {
    const { fake, pr, sticky, status } = await setup();
    // Line i's status at 01:mm, as line i of 2 posts it.
    const line = (i: number, experiments: string, minute: string) =>
      status({
        context: `autoexp/night/line-${i}`,
        description: `line ${i}/2 · ${experiments}`,
        created_at: `2026-11-23T01:${minute}:00+00:00`,
        updated_at: `2026-11-23T01:${minute}:00+00:00`,
      });
    await line(1, "3 experiments", "02");
    await line(2, "1 experiment", "03");
    for (const body of [pr.body!, sticky().body]) {
      expect(body).toContain("> **Live, line 1**, from [the running batch](");
      expect(body).toContain("\n> line 1/2 · 3 experiments\n");
      expect(body).toContain("> **Live, line 2**, from [the running batch](");
      expect(body).toContain("\n> line 2/2 · 1 experiment\n");
    }
    // Line 1 moves on: its block changes in place, line 2's stays; line 2's older status is ignored.
    await line(1, "4 experiments", "04");
    await line(2, "0 experiments", "01");
    for (const body of [pr.body!, sticky().body]) {
      expect(body).toContain("\n> line 1/2 · 4 experiments\n");
      expect(body).not.toContain("3 experiments");
      expect(body).toContain("\n> line 2/2 · 1 experiment\n");
      expect(body.match(/autoexp:live line=1 /g)).toHaveLength(1);
      expect(body.match(/autoexp:live line=2 /g)).toHaveLength(1);
    }
    // Not a line: another suffix is not autoexp's.
    const body = pr.body;
    await status({ context: "autoexp/night/other", description: "9 experiments" });
    expect(pr.body).toBe(body);
    expect(fake.violations).toEqual([]);
  });

  it("ignores statuses of other contexts, of runs outside this repository or of other workflows; shows the text as plain text", async () => {
    const { fake, pr, sticky, status } = await setup();
    const body = [pr.body, sticky().body];
    await status({ context: "ci/tests", description: "1/5" });
    await status({ target_url: "https://evil.example/actions/runs/9001", description: "1/5" });
    fake.runs.push({
      id: 77,
      display_title: "ci (request 7:501)",
      status: "in_progress",
      html_url: `https://github.com/${fake.owner}/${fake.repo}/actions/runs/77`,
      path: ".github/workflows/ci.yml",
    });
    await status({ target_url: fake.runs[1]!.html_url, description: "1/5" });
    expect([pr.body, sticky().body]).toEqual(body);
    await status({ description: "best [click](https://x.example) @everyone <img src=x>" });
    // No link, no mention, no HTML: GitHub autolinks neither "https: //x" nor "www x".
    expect(sticky().body).toContain("\n> best click (https: //x.example) everyone img src=x\n");
    expect(pr.body).not.toContain("@everyone");
  });
});
