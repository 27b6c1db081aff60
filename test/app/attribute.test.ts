import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { AttributeEntry } from "../../action/ledger/types.ts";
import { type FakeGitHub, startFakeGitHub } from "../helpers/fake-github.ts";
import { commentPayload, payload, startApp } from "../helpers/probot.ts";
import { branchLog, git, runCli } from "../helpers/repo.ts";
import { splitNight } from "../helpers/split-night.ts";

let fakes: FakeGitHub[] = [];
afterEach(() => {
  // Every request the App made must be one GitHub would accept.
  for (const f of fakes) expect(f.violations).toEqual([]);
  fakes = [];
});

const CONFIG =
  "name: n\ntarget: [a.txt]\neval: { command: x, metrics: { loss: { goal: minimize } } }\n";

async function setup() {
  const fake = await startFakeGitHub();
  fakes.push(fake);
  fake.files.get("main")!.set("autoexp.yml", CONFIG);
  fake.roles.set("alice", "write");
  return { fake, probot: await startApp(fake) };
}

/** The fake GitHub serves a branch of the real repository: every file it holds at its head. */
function serveBranch(fake: FakeGitHub, repo: string, branch: string) {
  const files = new Map<string, string>();
  for (const path of git(repo, "ls-tree", "-r", "--name-only", branch).trim().split("\n"))
    files.set(path, git(repo, "show", `${branch}:${path}`));
  fake.files.set(branch, files);
}

describe("/autoexp attribute: each kept change's share, measured on the runner", () => {
  it("dispatches the workflow with command: attribute (an input and option the workflow declares) and answers once", async () => {
    const { fake, probot } = await setup();
    fake.files.set("autoexp/night", new Map());
    const event = {
      id: "a1",
      name: "issue_comment",
      payload: commentPayload(fake, "/autoexp attribute night"),
    };
    await probot.receive(event as never);
    await probot.receive(event as never); // redelivered
    await probot.receive({ ...event, id: "a1-again" } as never); // redelivered, a new id
    expect(fake.dispatches).toEqual([
      {
        workflow_id: "autoexp.yml",
        ref: "main",
        inputs: { tag: "night", config: "autoexp.yml", request: "7:501", command: "attribute" },
      },
    ]);
    const workflow = parse(
      readFileSync(join(import.meta.dirname, "../../templates/init/workflow.yml"), "utf8"),
    );
    const inputs = workflow.on.workflow_dispatch.inputs;
    for (const name of Object.keys(fake.dispatches[0]!.inputs)) expect(inputs).toHaveProperty(name);
    expect(inputs.command.options).toContain("attribute");
    const answers = fake.comments.filter((c) => c.user === "autoexp[bot]");
    expect(answers).toHaveLength(1);
    expect(answers[0]!.body).toContain(
      "@alice: started `autoexp attribute` of `autoexp/night`: [the run](https://github.com/octo-org/octo-repo/actions/runs/9001).",
    );
    expect(fake.runs[0]!.display_title).toBe("autoexp attribute night (request 7:501)");
  });

  it("a tag with no branch, or bad arguments: answered, nothing started", async () => {
    const { fake, probot } = await setup();
    fake.files.set("autoexp/night", new Map());
    let id = 600;
    const say = async (body: string) => {
      id++;
      await probot.receive({
        id: `c${id}`,
        name: "issue_comment",
        payload: commentPayload(fake, body, "alice", { commentId: id }),
      } as never);
      return fake.comments.at(-1)!.body;
    };
    expect(await say("/autoexp attribute nightly")).toContain(
      "@alice: there is no branch `autoexp/nightly`: nothing to attribute. Nothing was started.",
    );
    expect(await say("/autoexp attribute a b")).toContain(
      "@alice: attribute takes at most one tag. Nothing was started.",
    );
    expect(await say("/autoexp attribute Bad!")).toContain("tag: lowercase letters");
    expect(await say("/autoexp help")).toContain("`/autoexp attribute [tag]`");
    expect(fake.dispatches).toEqual([]);
  });

  it("when the run ends, the answer holds each change's share from the tag's real ledger, and the tag's PR shows it", async () => {
    // A real night and a real `autoexp attribute` on it: #3 rewrote #1's line.
    const night = splitNight([
      ["a.txt", 5, 3],
      ["b.txt", 20, 2],
      ["a.txt", 5, 5],
    ]);
    const { repo, config, env } = night;
    expect(runCli(repo, ["run", "--config", config, "--tag", "night"], env).code).toBe(0);
    const attribute = runCli(
      repo,
      ["attribute", "--config", config, "--tag", "night", "--pairs", "2", "--yes"],
      env,
    );
    expect(attribute.code, attribute.stderr).toBe(0);
    const entry = branchLog(repo, "night").at(-1) as unknown as AttributeEntry;
    expect(entry.type).toBe("attribute");

    const { fake, probot } = await setup();
    fake.files.set("autoexp/night", new Map());
    await probot.receive({
      id: "start",
      name: "issue_comment",
      payload: commentPayload(fake, "/autoexp attribute"),
    } as never);
    // The run published the attribute line; then GitHub says the run completed.
    serveBranch(fake, repo, "autoexp/night");
    const run = fake.runs[0]!;
    const completed = (id: string) =>
      probot.receive({
        id,
        name: "workflow_run",
        payload: payload("workflow_run", fake, (p) => {
          p.action = "completed";
          p.workflow_run = {
            ...p.workflow_run,
            path: run.path,
            display_title: run.display_title,
            html_url: run.html_url,
            conclusion: "success",
          };
        }),
      } as never);
    await completed("done-1");
    await completed("done-2"); // redelivered: said once
    const answer = fake.comments.find((c) => c.user === "autoexp[bot]")!.body;
    expect(answer.match(/Finished: \*\*success\*\*/g)).toHaveLength(1);
    expect(answer).toContain("### Each kept change's share");
    expect(answer).toMatch(
      /\| 1 \| `[0-9a-f]{7}` \| a\.txt line 5 = 3 \| — \| {2}\| no longer reverts cleanly/,
    );
    expect(answer).toMatch(
      /\| 2 \| `[0-9a-f]{7}` \| b\.txt line 20 = 2 \| −2 exactly .*\| 2 \| carries part of the gain \|/,
    );
    const pr = fake.pulls.find((p) => p.head === "autoexp/night")!;
    expect(pr.body).toContain("### Each kept change's share");
    expect(pr.body).toContain(`_${entry.runs} eval runs,`);
  });
});
