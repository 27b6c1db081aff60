import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createNodeMiddleware } from "probot";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BODY_LIMIT } from "../../app/pr-body.ts";
import { type FakeGitHub, startFakeGitHub } from "../helpers/fake-github.ts";
import { commentPayload, payload, SECRET, startApp } from "../helpers/probot.ts";
import { syntheticLedger } from "../helpers/synthetic-ledger.ts";

let fakes: FakeGitHub[] = [];
afterEach(() => {
  // Every request the App made must be one GitHub would accept.
  for (const f of fakes) expect(f.violations).toEqual([]);
  fakes = [];
});

async function setup(options: Parameters<typeof startApp>[1] = {}) {
  const fake = await startFakeGitHub();
  fakes.push(fake);
  fake.files
    .get("main")!
    .set(
      "autoexp.yml",
      "name: night-owl\ntarget: [train.py]\neval: { command: python train.py, metrics: { val_bpb: { goal: minimize } } }\n",
    );
  const probot = await startApp(fake, options);
  return { fake, probot };
}

function ledgerText(n: number): string {
  const { header, results } = syntheticLedger(n);
  return `${[header, ...results].map((e) => JSON.stringify(e)).join("\n")}\n`;
}

function setLedger(fake: FakeGitHub, tag: string, text: string | null) {
  const files = new Map<string, string>();
  if (text !== null) files.set(`.autoexp/${tag}/log.jsonl`, text);
  fake.files.set(`autoexp/${tag}`, files);
}

let delivery = 0;
async function push(
  probot: Awaited<ReturnType<typeof startApp>>,
  fake: FakeGitHub,
  tag: string,
  id = `push-${++delivery}`,
  deleted = false,
) {
  await probot.receive({
    id,
    name: "push",
    payload: payload("push", fake, (p) => {
      p.ref = `refs/heads/autoexp/${tag}`;
      p.deleted = deleted;
    }),
  } as never);
}

describe("one draft PR per tag, from the ledger", () => {
  it("creates it once, labelled, with the change, kept experiments, counts, chart and noise; redeliveries change nothing", async () => {
    const { fake, probot } = await setup();
    setLedger(fake, "night", ledgerText(40));
    for (let i = 0; i < 3; i++) await push(probot, fake, "night", "same-delivery");
    expect(fake.pulls).toHaveLength(1);
    const pr = fake.pulls[0]!;
    expect(pr).toMatchObject({
      head: "autoexp/night",
      base: "main",
      draft: true,
      state: "open",
      labels: ["autoexp"],
    });
    expect(pr.title).toMatch(/^autoexp night: val_bpb 1 → 0\.991 \(−0\.90%\), 3 kept$/);
    expect(pr.body).toContain("<!-- autoexp:pr tag=night -->");
    expect(pr.body).toContain(
      "| 13 | [`abcdef1`](https://github.com/octo-org/octo-repo/commit/abcdef1",
    );
    expect(pr.body).toContain("0.75 sd, p = 0.01");
    expect(pr.body).toContain("```mermaid");
    expect(pr.body).toContain(
      "40 experiments after the baseline: 34 discard · 3 keep · 2 crash · 1 agent_error",
    );
    expect(pr.body).toContain("guards: peak_vram_mb ≤ 70000");
    expect(pr.body).toContain("cost $0.41");
    const writes = fake.requests.filter(
      (r) =>
        r.operationId !== "pulls/list" &&
        r.operationId !== "repos/get-content" &&
        !r.operationId.startsWith("apps/"),
    );
    expect(writes.map((r) => r.operationId)).toEqual(["pulls/create", "issues/add-labels"]);
  });

  it("updates the same PR in place, and closes it with a comment when no kept commit is left", async () => {
    const { fake, probot } = await setup();
    setLedger(fake, "night", ledgerText(20));
    await push(probot, fake, "night");
    setLedger(fake, "night", ledgerText(60));
    await push(probot, fake, "night");
    expect(fake.pulls).toHaveLength(1);
    expect(fake.pulls[0]!.title).toContain("4 kept");
    setLedger(fake, "night", ledgerText(10)); // a record with no keep
    await push(probot, fake, "night");
    expect(fake.pulls[0]!.state).toBe("closed");
    expect(
      fake.comments.filter((c) => c.issue_number === fake.pulls[0]!.number).map((c) => c.body),
    ).toEqual([
      "Closing: `autoexp/night` no longer has a kept commit, so there is nothing to review. A later kept experiment reopens the summary.",
    ]);
    await push(probot, fake, "night"); // redelivered: no second comment
    expect(fake.comments).toHaveLength(1);
  });

  it("shows the branch's progress.svg instead of the Mermaid chart once the record has one", async () => {
    const { fake, probot } = await setup();
    setLedger(fake, "night", ledgerText(40));
    await push(probot, fake, "night");
    expect(fake.pulls[0]!.body).not.toContain("progress.svg");
    expect(fake.pulls[0]!.body).toContain("```mermaid");
    fake.files.get("autoexp/night")!.set(".autoexp/night/progress.svg", "<svg/>");
    await push(probot, fake, "night");
    const body = fake.pulls[0]!.body;
    const blob = "https://github.com/octo-org/octo-repo/blob/autoexp/night/.autoexp/night";
    expect(body).toContain(
      `[![night: every experiment, the kept ones labelled, and the best so far](${blob}/progress.svg?raw=true)](${blob}/progress.svg)`,
    );
    // One chart per surface: the picture replaces the Mermaid chart of the same runs.
    expect(body).not.toContain("```mermaid");
    expect(fake.violations).toEqual([]);
  });

  it("syncs every tag when an autoexp workflow run completes, with a link to the run", async () => {
    const { fake, probot } = await setup();
    setLedger(fake, "a", ledgerText(30));
    setLedger(fake, "b", ledgerText(14));
    await probot.receive({
      id: "run-1",
      name: "workflow_run",
      payload: payload("workflow_run", fake, (p) => {
        p.action = "completed";
        p.workflow_run = {
          ...p.workflow_run,
          path: ".github/workflows/autoexp.yml",
          display_title: "autoexp nightly",
          html_url: "https://github.com/octo-org/octo-repo/actions/runs/77",
          conclusion: "success",
        };
      }),
    } as never);
    expect(fake.pulls.map((p) => p.head).sort()).toEqual(["autoexp/a", "autoexp/b"]);
    expect(fake.pulls[0]!.body).toContain(
      "- [autoexp nightly (success)](https://github.com/octo-org/octo-repo/actions/runs/77)",
    );
  });

  it("survives a huge, a malformed and a missing ledger: the body fits GitHub's limit and says what it could not read", async () => {
    const { fake, probot } = await setup();
    setLedger(fake, "huge", ledgerText(10_000));
    const started = performance.now();
    await push(probot, fake, "huge");
    expect(performance.now() - started).toBeLessThan(5_000);
    const huge = fake.pulls.find((p) => p.head === "autoexp/huge")!;
    expect(huge.body.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(huge.body.length).toBeLessThanOrEqual(65_536);
    expect(huge.title).toContain("769 kept");
    expect(huge.body).toMatch(
      /_\d+ older kept experiment\(s\) are not listed here, to stay within GitHub's size limit; see dashboard\.md\._/,
    );

    const broken = `${ledgerText(30)}{"type":"result","iteration":31,\nnot json at all\n`;
    setLedger(fake, "broken", broken);
    await push(probot, fake, "broken");
    expect(fake.pulls.find((p) => p.head === "autoexp/broken")!.body).toContain(
      "2 line(s) of log.jsonl could not be read and are left out of this summary.",
    );

    setLedger(fake, "empty", null);
    await push(probot, fake, "empty");
    expect(fake.pulls.find((p) => p.head === "autoexp/empty")).toBeUndefined();
  });
});

describe("comment commands", () => {
  it.each([
    ["a bot", "/autoexp run", "ci-bot[bot]", "Bot", false],
    ["read", "/autoexp run", "reader", "User", false],
    ["triage", "/autoexp run", "triager", "User", false],
    ["write", "/autoexp run", "writer", "User", true],
    ["maintain", "/autoexp run", "maintainer", "User", true],
    ["admin", "/autoexp run experiments=3", "admin", "User", true],
    ["not a collaborator", "/autoexp run", "stranger", "User", false],
    ["a command on line two", "Thanks!\n/autoexp run", "admin", "User", false],
    ["an injected tag", "/autoexp run tag=x;rm -rf /", "admin", "User", false],
    ["an injected option", "/autoexp run --upload-pack=touch", "admin", "User", false],
    ["an unknown argument", "/autoexp run branch=main", "admin", "User", false],
    ["too many experiments", "/autoexp run experiments=100000", "admin", "User", false],
  ])("%s: dispatches only when allowed", async (_what, body, login, type, allowed) => {
    const { fake, probot } = await setup();
    for (const [user, role] of [
      ["reader", "read"],
      ["triager", "triage"],
      ["writer", "write"],
      ["maintainer", "maintain"],
      ["admin", "admin"],
    ])
      fake.roles.set(user!, role!);
    await probot.receive({
      id: `c-${++delivery}`,
      name: "issue_comment",
      payload: commentPayload(fake, body, login, { type }),
    } as never);
    expect(fake.dispatches.length).toBe(allowed ? 1 : 0);
    if (allowed) {
      expect(fake.dispatches[0]).toMatchObject({
        workflow_id: "autoexp.yml",
        ref: "main",
        inputs: { config: "autoexp.yml" },
      });
      expect(fake.dispatches[0]!.inputs.tag).toMatch(/^night-owl-\d{8}$/);
      expect(fake.reactions.map((r) => r.content)).toEqual(["eyes"]);
    }
    if (body.includes("\n")) {
      expect(fake.comments).toHaveLength(0); // not a command at all
    } else {
      // One sticky answer, polite when refusing.
      expect(fake.comments).toHaveLength(1);
      const answer = fake.comments[0]!.body;
      expect(answer.startsWith("<!-- autoexp:request comment=501 -->")).toBe(true);
      if (allowed) expect(answer).toContain("started a batch of `autoexp.yml`");
      else expect(answer).toMatch(/Sorry @|Nothing was started/);
    }
  });

  it("ignores edited and deleted comments", async () => {
    const { fake, probot } = await setup();
    fake.roles.set("admin", "admin");
    for (const action of ["edited", "deleted"])
      await probot.receive({
        id: `c-${++delivery}`,
        name: "issue_comment",
        payload: commentPayload(fake, "/autoexp run", "admin", { action }),
      } as never);
    expect(fake.dispatches).toHaveLength(0);
    expect(fake.comments).toHaveLength(0);
  });

  it("the same delivery three times: one sticky comment, one dispatch, one reaction", async () => {
    const { fake, probot } = await setup();
    fake.roles.set("admin", "admin");
    const event = {
      id: "redelivered",
      name: "issue_comment",
      payload: commentPayload(fake, "/autoexp run tag=night experiments=4", "admin"),
    };
    for (let i = 0; i < 3; i++) await probot.receive(event as never);
    expect(fake.dispatches).toEqual([
      {
        workflow_id: "autoexp.yml",
        ref: "main",
        inputs: { tag: "night", config: "autoexp.yml", experiments: "4", request: "7:501" },
      },
    ]);
    // GitHub refuses inputs the workflow does not declare: those autoexp init writes must cover them.
    const workflow = parse(
      readFileSync(join(import.meta.dirname, "../../templates/init/workflow.yml"), "utf8"),
    );
    const declared = Object.keys(workflow.on.workflow_dispatch.inputs);
    for (const input of Object.keys(fake.dispatches[0]!.inputs)) expect(declared).toContain(input);
    expect(fake.comments).toHaveLength(1);
    expect(fake.comments[0]!.body).toContain(
      "[the run](https://github.com/octo-org/octo-repo/actions/runs/9001)",
    );
    expect(fake.reactions).toHaveLength(1);
    // A new App process (no memory of deliveries) still finds its sticky comment.
    const again = await startApp(fake);
    await again.receive({ ...event, id: "redelivered-after-restart" } as never);
    expect(fake.dispatches).toHaveLength(1);
    expect(fake.comments).toHaveLength(1);
  });

  it("reports in the sticky answer how the run it started ended", async () => {
    const { fake, probot } = await setup();
    fake.roles.set("admin", "admin");
    await probot.receive({
      id: "start",
      name: "issue_comment",
      payload: commentPayload(fake, "/autoexp run tag=night", "admin"),
    } as never);
    const completed = (conclusion: string) =>
      probot.receive({
        id: `done-${++delivery}`,
        name: "workflow_run",
        payload: payload("workflow_run", fake, (p) => {
          p.action = "completed";
          p.workflow_run = {
            ...p.workflow_run,
            path: ".github/workflows/autoexp.yml",
            display_title: "autoexp night (request 7:501)",
            html_url: "https://github.com/octo-org/octo-repo/actions/runs/9001",
            conclusion,
          };
        }),
      } as never);
    await completed("success");
    await completed("success"); // redelivered: said once
    expect(fake.comments).toHaveLength(1);
    const body = fake.comments[0]!.body;
    expect(body.startsWith("<!-- autoexp:request comment=501 -->\n@admin: started a batch")).toBe(
      true,
    );
    expect(
      body.match(
        /Finished: \*\*success\*\*, \[the run\]\(https:\/\/github\.com\/octo-org\/octo-repo\/actions\/runs\/9001\)/g,
      ),
    ).toHaveLength(1);
  });

  it("rate-limits each person", async () => {
    const { fake, probot } = await setup({ rateLimit: { max: 2, windowMs: 60_000 } });
    fake.roles.set("admin", "admin");
    for (let i = 0; i < 3; i++)
      await probot.receive({
        id: `c-${++delivery}`,
        name: "issue_comment",
        payload: commentPayload(fake, "/autoexp run", "admin", { commentId: 600 + i }),
      } as never);
    expect(fake.dispatches).toHaveLength(2);
    expect(fake.comments.at(-1)!.body).toContain(
      "more than 2 autoexp commands in 1 minutes. Nothing was started",
    );
  });

  it("status, stop and help answer in the sticky comment", async () => {
    const { fake, probot } = await setup();
    fake.roles.set("admin", "admin");
    setLedger(fake, "night", ledgerText(30));
    fake.runs.push({
      id: 77,
      display_title: "autoexp night",
      status: "in_progress",
      html_url: "https://github.com/octo-org/octo-repo/actions/runs/77",
    });
    fake.runs.push({
      id: 78,
      display_title: "autoexp other",
      status: "in_progress",
      html_url: "https://github.com/octo-org/octo-repo/actions/runs/78",
    });
    const say = async (body: string, id: number) => {
      await probot.receive({
        id: `c-${++delivery}`,
        name: "issue_comment",
        payload: commentPayload(fake, body, "admin", { commentId: id }),
      } as never);
      return fake.comments.at(-1)!.body;
    };
    expect(await say("/autoexp status night", 701)).toContain(
      "autoexp night: val_bpb 1 → 0.994 (−0.60%), 2 kept",
    );
    expect(await say("/autoexp stop night", 702)).toContain(
      "cancelled [autoexp night](https://github.com/octo-org/octo-repo/actions/runs/77)",
    );
    expect(fake.cancelled).toEqual([77]);
    expect(await say("/autoexp help", 703)).toContain(
      "`/autoexp run [config] [tag=<tag>] [experiments=<n>]`",
    );
    expect(await say("/autoexp deploy", 704)).toContain(
      'unknown command "deploy". Nothing was started.',
    );
    expect(await say("/autoexp run missing.yml", 705)).toContain(
      "no `missing.yml` on `main`. Nothing was started.",
    );
    expect(fake.dispatches).toHaveLength(0);
  });
});

describe("answers to commands", () => {
  it("answers /autoexp status in whole blocks, though a person's comment carries the answer's marker", async () => {
    const { fake, probot } = await setup();
    fake.roles.set("admin", "admin");
    setLedger(fake, "night", ledgerText(30));
    // Someone else's comment that starts with the marker of the answer to comment 801.
    fake.comments.push({
      id: 990,
      issue_number: 7,
      body: "<!-- autoexp:request comment=801 -->\nalready answered, nothing to see",
      user: "mallory",
    });
    await probot.receive({
      id: "c-answer",
      name: "issue_comment",
      payload: commentPayload(fake, "/autoexp status night", "admin", { commentId: 801 }),
    } as never);
    const answer = fake.comments.at(-1)!;
    expect(answer.user).toBe("autoexp[bot]");
    expect(answer.body).toContain("autoexp night: val_bpb 1 → ");
    // The chart is whole or absent: every fence closed, the Mermaid block never cut.
    expect(answer.body.match(/^```/gm)?.length ?? 0).toBe(2);
    expect(answer.body).toMatch(/```mermaid\n[\s\S]*line "best so far" \[[^\]]*\]\n```/);
    expect(fake.violations).toEqual([]);
  });
});

describe("webhook ingress through Probot's Node middleware on loopback", () => {
  it("handles a correctly signed delivery and refuses missing or wrong signatures", async () => {
    const { fake, probot } = await setup();
    setLedger(fake, "signed", ledgerText(20));
    const middleware = await createNodeMiddleware(createAppFn(), {
      probot,
      webhooksPath: "/api/github/webhooks",
    });
    const server = createServer((req, res) => {
      middleware(req, res, () => {
        res.writeHead(404);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
    const body = JSON.stringify(
      payload("push", fake, (p) => {
        p.ref = "refs/heads/autoexp/signed";
      }),
    );
    const post = (signature?: string) =>
      fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-github-delivery": `d-${++delivery}`,
          ...(signature ? { "x-hub-signature-256": signature } : {}),
        },
        body,
      });
    try {
      const missing = await post();
      expect(missing.status).toBeGreaterThanOrEqual(400);
      const wrong = await post(
        `sha256=${createHmac("sha256", "not-the-secret").update(body).digest("hex")}`,
      );
      expect(wrong.status).toBeGreaterThanOrEqual(400);
      expect(fake.pulls).toHaveLength(0);
      const good = await post(`sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`);
      expect(good.status).toBe(200);
      expect(fake.pulls).toHaveLength(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

function createAppFn() {
  return () => {};
}

describe("the App's plain server", () => {
  it("without its settings, names APP_ID, PRIVATE_KEY and WEBHOOK_SECRET instead of a probot stack trace", async () => {
    const { spawnSync } = await import("node:child_process");
    const { join } = await import("node:path");
    const server = join(import.meta.dirname, "..", "..", "dist", "app-server.js");
    const env = { PATH: process.env.PATH ?? "", APP_ID: "12345" };
    const run = spawnSync(process.execPath, [server], { env, encoding: "utf8", timeout: 20_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("PRIVATE_KEY, WEBHOOK_SECRET are not set");
    expect(run.stderr).toContain("APP_ID=... PRIVATE_KEY=");
    expect(run.stderr).not.toContain("APP_ID:");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
