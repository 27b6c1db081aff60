// How a batch ends on GitHub when it does not end well: cancelled by the runner, stopped on a
// failed baseline, or facing a 502 from the statuses API. Through the built dist/action.js, as
// the runner runs it: main step, then the post step action.yml declares (with the state the
// main step saved in GITHUB_STATE), against the fake GitHub held to GitHub's API description.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ACTION, parseOutputs, remoteAndClone, runAction } from "../helpers/action.ts";
import { type FakeGitHub, startFakeGitHub } from "../helpers/fake-github.ts";
import { git, makeRepo, read, runCli, tempDir, writeFiles } from "../helpers/repo.ts";

const TOKEN = "ghs_faketoken";
const ROOT = join(import.meta.dirname, "..", "..");

let fakes: FakeGitHub[] = [];
afterEach(() => {
  for (const f of fakes) expect(f.violations).toEqual([]);
  fakes = [];
});

/** A repository whose eval scores a.txt's number (lower is better), and an agent that adds 1. */
function countingRepo(evalScript: string) {
  const outside = tempDir();
  writeFiles(outside, {
    "agent.js": `
const fs = require("node:fs");
const n = Number(fs.readFileSync("a.txt", "utf8").split("= ")[1]) + 1;
fs.writeFileSync("a.txt", "x = " + n + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "x = " + n);
`,
  });
  return makeRepo({
    "a.txt": "x = 0\n",
    "eval.js": evalScript,
    "autoexp.yml": `
name: ends
target: [a.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  metrics: { loss: { goal: minimize } }
decide: { baseline_runs: 1, remeasure_every: 0 }
pipeline: false
agent: { use: command, run: [node, ${JSON.stringify(join(outside, "agent.js"))}], writable: [${JSON.stringify(outside)}] }
budget: { experiments: 3 }
`,
  });
}

const COUNTING_EVAL = `
const n = Number(require("node:fs").readFileSync("a.txt", "utf8").split("= ")[1]);
console.log("loss: " + (100 - n));
`;

interface Step {
  code: number | null;
  stdout: string;
  summary: string;
  state: Record<string, string>;
}

/**
 * One step of the Action as the runner runs it: INPUT_* variables, its own GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY and GITHUB_STATE files, and (for a post step) the main step's saved state
 * as STATE_* variables. `onSpawn` gets the process, to signal it as a cancelled job's runner does.
 */
function runStep(
  workspace: string,
  inputs: Record<string, string>,
  env: Record<string, string>,
  options: {
    state?: Record<string, string>;
    onSpawn?: (signal: (s: NodeJS.Signals) => void) => void;
  } = {},
): Promise<Step> {
  const files = tempDir("autoexp-runner-");
  const paths = { output: "output", summary: "summary", state: "state" };
  for (const name of Object.values(paths)) writeFileSync(join(files, name), "");
  const stepEnv: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? files,
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: join(files, paths.output),
    GITHUB_STEP_SUMMARY: join(files, paths.summary),
    GITHUB_STATE: join(files, paths.state),
    RUNNER_TEMP: files,
    ...env,
  };
  for (const [name, value] of Object.entries(inputs))
    stepEnv[`INPUT_${name.toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(options.state ?? {})) stepEnv[`STATE_${name}`] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ACTION], { cwd: workspace, env: stepEnv });
    let stdout = "";
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stdout += c;
    });
    options.onSpawn?.((s) => child.kill(s));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code,
        stdout,
        summary: readFileSync(join(files, paths.summary), "utf8"),
        state: parseOutputs(readFileSync(join(files, paths.state), "utf8")),
      }),
    );
  });
}

/** The runner's variables for a job of the fake's repository, statuses posted to `api`. */
function runnerEnv(fake: FakeGitHub, api = fake.url): Record<string, string> {
  return {
    GITHUB_API_URL: api,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_REPOSITORY: `${fake.owner}/${fake.repo}`,
    GITHUB_RUN_ID: "4242",
    GITHUB_SHA: "a".repeat(40),
  };
}

describe("a batch that does not end well still ends clearly on GitHub", () => {
  it("action.yml runs dist/action.js again as a post step, whatever happened to the job", () => {
    const action = parse(readFileSync(join(ROOT, "action.yml"), "utf8")) as {
      runs: Record<string, string>;
    };
    expect(action.runs).toMatchObject({
      using: "node24",
      main: "dist/action.js",
      post: "dist/action.js",
      "post-if": "always()",
    });
  });

  it("cancelled by the runner (SIGINT, then SIGTERM) mid-eval: the post step posts the final status and writes the job summary", async () => {
    // The second experiment's eval hangs: the job is cancelled while it runs.
    const repo = countingRepo(`
const n = Number(require("node:fs").readFileSync("a.txt", "utf8").split("= ")[1]);
if (n >= 2) setTimeout(() => {}, 600000);
else console.log("loss: " + (100 - n));
`);
    const fake = await startFakeGitHub();
    fakes.push(fake);
    const { clone } = remoteAndClone(repo);
    const gpu = clone();
    const inputs = { mode: "run", tag: "ends", token: TOKEN, "live-status": "0" };
    const env = runnerEnv(fake);
    let cancel: (s: NodeJS.Signals) => void = () => {};
    let cancelled = false;
    fake.onStatus = async (status) => {
      // After #1's update, once #2's eval has started (its log exists), the runner cancels:
      // SIGINT, and SIGTERM when the step lingers. Waiting for the log keeps the cancel mid-eval
      // on a loaded machine, where #2's proposal can outlast a fixed delay.
      if (cancelled || !status.description?.startsWith("1/3")) return;
      cancelled = true;
      // Not awaited: the status request is answered at once, or the step would wait on it.
      const evalLog = join(gpu, ".git", "autoexp", "ends", "logs", "2-0.log");
      const started = Date.now();
      const poll = () => {
        if (!existsSync(evalLog) && Date.now() - started < 30_000) return setTimeout(poll, 50);
        setTimeout(() => cancel("SIGINT"), 200);
        setTimeout(() => cancel("SIGTERM"), 1200);
      };
      poll();
    };
    const main = await runStep(gpu, inputs, env, { onSpawn: (signal) => (cancel = signal) });
    expect(cancelled).toBe(true);
    expect(main.code, main.stdout).toBe(130);
    expect(fake.statuses.at(-1)?.state).toBe("pending");
    expect(main.summary).toBe("");

    const post = await runStep(gpu, inputs, env, { state: main.state });
    expect(post.code, post.stdout).toBe(0);
    expect(post.stdout).toContain("the batch step did not end normally");
    // The commit status is not left pending: it says the batch was cancelled, with its figures.
    expect(fake.statuses.map((s) => [s.state, s.description])).toEqual([
      ["pending", "0 experiments · baseline loss 100 · not yet verified"],
      ["pending", "1/3 experiments · best loss 99 (−1.00%) · not yet verified"],
      ["failure", "cancelled: 1 experiment · best loss 99 (−1.00%) · not yet verified"],
    ]);
    expect(fake.statuses.at(-1)?.context).toBe("autoexp/ends");
    expect(post.summary).toContain("The batch did not end normally");
    expect(post.summary).toContain("autoexp"); // the dashboard of what was recorded
    expect(post.summary).toMatch(/loss/);
  }, 60_000);

  it("a batch that ended (well or not) leaves the post step nothing to do", async () => {
    const fake = await startFakeGitHub();
    fakes.push(fake);
    const { clone } = remoteAndClone(countingRepo(COUNTING_EVAL));
    const gpu = clone();
    const inputs = { mode: "run", tag: "ends", experiments: "1", token: TOKEN, "live-status": "0" };
    const main = await runStep(gpu, inputs, runnerEnv(fake));
    expect(main.code, main.stdout).toBe(0);
    expect(main.summary).not.toBe("");
    const before = fake.statuses.length;
    const post = await runStep(gpu, inputs, runnerEnv(fake), { state: main.state });
    expect(post.code, post.stdout).toBe(0);
    expect(post.stdout).toBe("");
    expect(fake.statuses.length).toBe(before);
    expect(fake.statuses.at(-1)?.state).toBe("success");
  }, 60_000);

  it("a failed baseline: the run fails saying why; publish ends with a clear message and pushes nothing", async () => {
    const { remote, clone } = remoteAndClone(
      countingRepo(`console.log("no metric here"); process.exit(3);`),
    );
    const temp = tempDir();
    const run = await runAction(clone(), { mode: "run", tag: "ends" }, { runnerTemp: temp });
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toMatch(/::error::.*baseline/i);
    // download-artifact found no artifact (continue-on-error): the folder is empty or absent.
    const handoff = join(temp, "autoexp-handoff");
    const published = await runAction(clone(), { mode: "publish", tag: "ends", handoff });
    expect(published.code, published.stdout).toBe(0);
    expect(published.stdout).toContain("::warning title=autoexp ends%3A nothing to publish::");
    expect(published.stdout).toMatch(/nothing to publish for autoexp\/ends: .* nothing was pushed/);
    expect(published.stdout).not.toContain("::error::");
    expect(published.outputs.published).toBe("nothing");
    expect(git(remote, "for-each-ref", "refs/heads/autoexp", "refs/autoexp").trim()).toBe("");
    expect(existsSync(join(handoff, "handoff.json"))).toBe(false);
  }, 60_000);

  it.each([
    ["one runner", [] as string[]],
    ["a matrix of 4", ["--shards", "4"]],
  ])(
    "init's publish job (%s) goes on to the Action when there was no artifact to download",
    (_n, extra) => {
      const dir = tempDir();
      expect(runCli(dir, ["init", "--program", "performance", ...extra]).code).toBe(0);
      const workflow = parse(read(dir, ".github/workflows/autoexp.yml")) as {
        jobs: {
          publish: { steps: { uses?: string; if?: string; "continue-on-error"?: boolean }[] };
        };
      };
      const steps = workflow.jobs.publish.steps;
      const download = steps.findIndex((s) => s.uses?.startsWith("actions/download-artifact@"));
      expect(steps[download]!["continue-on-error"]).toBe(true);
      const publish = steps.slice(download + 1).find((s) => s.uses?.startsWith("autoexp/"));
      expect(publish).toBeDefined();
      expect(publish!.if).toBeUndefined();
    },
  );

  it("a 502 from the statuses API is retried, an outage skips an update, and the final status is still posted", async () => {
    const fake = await startFakeGitHub();
    fakes.push(fake);
    // GitHub in front of the fake: the first update meets an outage longer than the retries
    // (4 answers of 502), the next a single 502; everything else goes through.
    const failures = [true, true, true, true, true];
    const seen: number[] = [];
    const proxy = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", async () => {
        const fail = req.method === "POST" && failures.shift() === true;
        seen.push(fail ? 502 : 201);
        if (fail) {
          res.writeHead(502, { "content-type": "text/html" });
          res.end("<html>502 Bad Gateway</html>");
          return;
        }
        const answer = await fetch(fake.url + req.url, {
          method: req.method ?? "GET",
          headers: req.headers as Record<string, string>,
          body: body || null,
        });
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(await answer.text());
      });
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    try {
      const { clone } = remoteAndClone(countingRepo(COUNTING_EVAL));
      const { port } = proxy.address() as AddressInfo;
      const run = await runStep(
        clone(),
        { mode: "run", tag: "ends", token: TOKEN, "live-status": "0" },
        runnerEnv(fake, `http://127.0.0.1:${port}`),
      );
      expect(run.code, run.stdout).toBe(0);
      // Said once, as a warning, without failing the batch.
      expect(run.stdout.match(/could not be posted \(HTTP 502, 4 tries\)/g)).toHaveLength(1);
      // The baseline's update met the outage and was skipped; #1's was retried after one 502.
      expect(seen).toEqual([502, 502, 502, 502, 502, 201, 201, 201, 201]);
      expect(fake.statuses.map((s) => [s.state, s.description])).toEqual([
        ["pending", "1/3 experiments · best loss 99 (−1.00%) · not yet verified"],
        ["pending", "2/3 experiments · best loss 98 (−2.00%) · not yet verified"],
        ["pending", "3/3 experiments · best loss 97 (−3.00%) · not yet verified"],
        ["success", "done: 3/3 experiments · best loss 97 (−3.00%) · not yet verified"],
      ]);
    } finally {
      await new Promise((r) => proxy.close(() => r(null)));
    }
  }, 60_000);
});
