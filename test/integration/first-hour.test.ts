import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeMissing, parseMetrics } from "../../action/eval/parse-metrics.ts";
import {
  branchLog,
  git,
  makeRepo,
  runCli,
  runCliAsync,
  tempDir,
  writeFiles,
} from "../helpers/repo.ts";

const KEY = "sk-test-first-hour-0123456789";

/** An OpenAI-compatible chat endpoint on loopback: answers "billing" to a request with the key. */
let base = "";
let calls = 0;
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => {
    body += c;
  });
  req.on("end", () => {
    calls++;
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "missing or wrong key" } }));
      return;
    }
    const messages = JSON.parse(body).messages as { content: string }[];
    const text = messages.at(-1)!.content;
    // A model that follows its instructions: told that login issues are billing, it says so.
    const hinted = /Login means billing/.test(messages[0]!.content) && /login/i.test(text);
    const label = /charg|refund|invoice/.test(text) || hinted ? "billing" : "bug";
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ choices: [{ message: { role: "assistant", content: label } }] }));
  });
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const AGENT_PY = `import json, os, urllib.request

PROMPT = "Label the ticket billing or bug."

def answer(text):
    req = urllib.request.Request(
        os.environ["OPENAI_BASE_URL"] + "/chat/completions",
        data=json.dumps({"model": "m", "messages": [{"role": "system", "content": PROMPT}, {"role": "user", "content": text}]}).encode(),
        headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"], "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)["choices"][0]["message"]["content"]
`;

const RUN_EVAL_PY = `import json, sys
from agent import answer
items = json.load(open("dataset.json"))
ok = 0
for item in items:
    try:
        ok += answer(item["input"]) == item["expected"]
    except Exception as error:
        print(f"ERROR {type(error).__name__}: {error}", file=sys.stderr)
print(f"accuracy: {ok / len(items):.4f} ({ok}/{len(items)})")
`;

const DATASET = JSON.stringify([
  { input: "I was charged twice", expected: "billing" },
  { input: "Refund please", expected: "billing" },
  { input: "The app crashes", expected: "bug" },
  { input: "Export is empty", expected: "bug" },
  { input: "Login is broken", expected: "billing" },
]);

/** The seed's layout: agent.py calling a model, run_eval.py over dataset.json, nothing else. */
function seedRepo(): string {
  return makeRepo({ "agent.py": AGENT_PY, "run_eval.py": RUN_EVAL_PY, "dataset.json": DATASET });
}

describe("the seed's first hour, from an empty repository", () => {
  it("init adopts run_eval.py; validate, check, run, status and verify pass; the key reaches the eval, never the agent", async () => {
    const repo = seedRepo();
    const outside = tempDir();
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: base, PATH: process.env.PATH ?? "" };
    const init = runCli(repo, ["init", "--program", "prompt-optimisation"], env);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain("adopted your eval run_eval.py");
    expect(init.stdout).toContain("run_eval.py prints `accuracy:`");
    expect(readFileSync(join(repo, ".gitignore"), "utf8")).toContain("node_modules/");
    // A command agent that records its environment and edits the prompt.
    writeFileSync(
      join(outside, "agent.py"),
      `import os, json
open(${JSON.stringify(join(outside, "agent-env"))}, "a").write(json.dumps(dict(os.environ)) + "\\n")
n = os.environ.get("AUTOEXP_ITERATION", "0")
# The second idea is the real one: a hint the model follows. The others change nothing it reads.
idea = " Login means billing." if n == "2" else " v" + n + "."
text = open("agent.py").read().replace("billing or bug.", "billing or bug." + idea, 1)
open("agent.py", "w").write(text)
open(os.environ["AUTOEXP_DESCRIPTION_FILE"], "w").write("prompt v" + n)
`,
    );
    const config = readFileSync(join(repo, "autoexp.yml"), "utf8")
      .replace("# pass_env: [OPENAI_API_KEY]", "pass_env: [OPENAI_API_KEY, OPENAI_BASE_URL]")
      .replace("baseline_runs: 3", "baseline_runs: 2")
      .replace(
        /agent:\n {2}use: \S+[^\n]*\n/,
        `agent: { use: command, run: [/usr/bin/python3, ${JSON.stringify(join(outside, "agent.py"))}], writable: [${JSON.stringify(outside)}] }\n`,
      )
      .replace(/command: \S+ run_eval.py/, "command: /usr/bin/python3 run_eval.py");
    writeFiles(repo, { "autoexp.yml": config });
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "autoexp setup");

    const validate = runCli(repo, ["validate"], env);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    const check = await runCliAsync(repo, ["check", "--runs", "2"], env);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain("run 2/2: accuracy 0.6");
    expect(check.stdout).not.toContain("ERROR");
    const run = await runCliAsync(
      repo,
      ["run", "--tag", "seed", "--experiments", "5", "--quiet"],
      env,
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const results = branchLog(repo, "seed").filter((e) => e.type === "result");
    expect(results.map((r) => r.status).slice(0, 1)).toEqual(["baseline"]);
    expect(results).toHaveLength(6);
    // The hint is kept (4/5 against 3/5, on two runs that agree); changes that do nothing are not.
    expect(results.filter((r) => r.status === "keep").map((r) => r.iteration)).toEqual([2]);
    expect(results[0]!.score).toBe(0.6);
    const status = runCli(repo, ["status", "--tag", "seed"], env);
    expect(status.code, status.stderr).toBe(0);
    const verify = await runCliAsync(repo, ["verify", "--tag", "seed", "--pairs", "2"], env);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain(
      "verified: +0.2 exactly (the eval is deterministic), over 2 pairs; sum of kept steps +0.2",
    );
    expect(verify.stderr).not.toMatch(/at \S+\.ts:\d+/);
    // The key reached the eval (it scored 0.6 through the server, which refuses a request without it) and never the agent.
    const agentEnvs = readFileSync(join(outside, "agent-env"), "utf8").trim().split("\n");
    expect(agentEnvs.length).toBeGreaterThanOrEqual(3);
    for (const line of agentEnvs) expect(line).not.toContain(KEY);
    expect(calls).toBeGreaterThan(0);
  }, 60_000);
});

describe("the first hour, item by item (each failed before)", () => {
  it("1: a provider key named in eval.pass_env reaches the eval; a GitHub token there is refused", async () => {
    const repo = makeRepo({
      "a.txt": "x = 1\n",
      "eval.sh": 'echo "key: ${OPENAI_API_KEY:-none}" >&2; echo "score: 1"\n',
      "autoexp.yml":
        "name: k\ntarget: [a.txt]\nfrozen: [eval.sh]\neval: { command: sh eval.sh, metrics: { score: { goal: maximize } }, pass_env: [OPENAI_API_KEY] }\n",
    });
    const check = await runCliAsync(repo, ["check", "--runs", "2"], { OPENAI_API_KEY: KEY });
    // The value is redacted in what check shows, so the eval saw something other than "none".
    expect(check.stdout).not.toContain("key: none");
    writeFiles(repo, {
      "autoexp.yml":
        "name: k\ntarget: [a.txt]\nfrozen: [eval.sh]\neval: { command: sh eval.sh, metrics: { score: { goal: maximize } }, pass_env: [GITHUB_TOKEN] }\n",
    });
    const validate = runCli(repo, ["validate"]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain("eval.pass_env.0");
    expect(validate.stderr).toContain('"GITHUB_TOKEN" is a GitHub token');
    expect(validate.stderr).toContain("Remove it from eval.pass_env");
  });

  it("2: check shows the eval's output and errors, and warns on a primary stuck at 0", async () => {
    const repo = makeRepo({
      "a.txt": "x\n",
      "eval.sh": 'echo "KeyError: OPENAI_API_KEY" >&2; echo "accuracy: 0"\n',
      "autoexp.yml":
        "name: s\ntarget: [a.txt]\nfrozen: [eval.sh]\neval: { command: sh eval.sh, metrics: { accuracy: { goal: maximize } } }\n",
    });
    const check = await runCliAsync(repo, ["check", "--runs", "2"]);
    expect(check.stdout).toContain("the last lines run 2 printed:");
    expect(check.stdout).toContain("shows errors");
    expect(check.stdout).toContain("    | KeyError: OPENAI_API_KEY");
    expect(check.stdout).toContain("accuracy is 0 on every run");
  });

  it("2: the prompt template reports errors apart and fails when every item raised", () => {
    const dir = tempDir();
    const init = runCli(dir, ["init", "--program", "prompt-optimisation"]);
    expect(init.code, init.stderr).toBe(0);
    writeFiles(dir, {
      "agent.py": "import os\ndef answer(text):\n    return os.environ['NO_SUCH_KEY']\n",
    });
    const result = runPython(dir);
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain("accuracy:");
    expect(result.stderr).toContain("every one of the 24 items raised an error");
    writeFiles(dir, {
      "agent.py":
        "def answer(text):\n    if 'VAT' in text:\n        raise ValueError('x')\n    return 'billing'\n",
    });
    const some = runPython(dir);
    expect(some.code).toBe(0);
    expect(some.stdout).toMatch(/errors: 1 of 24/);
  });

  it("7: metric lines with `=` or a note after the value parse; a percentage is explained", () => {
    expect(parseMetrics("score = 0.583\n").get("score")).toBe(0.583);
    expect(parseMetrics("score: 0.583 (7/12)\n").get("score")).toBe(0.583);
    expect(describeMissing("Accuracy: 58.3% (7/12)\n", "accuracy")).toBe(
      "accuracy missing (found `Accuracy:` but `58.3% (7/12)` is not a number; print `accuracy: 0.583`)",
    );
  });

  it("7: init adopts an existing run_eval.py, names the sample dataset, writes .gitignore", () => {
    const dir = makeRepo({ "run_eval.py": RUN_EVAL_PY, "dataset.json": DATASET });
    const init = runCli(dir, ["init", "--program", "prompt-optimisation"]);
    expect(init.code, init.stderr).toBe(0);
    expect(readFileSync(join(dir, "run_eval.py"), "utf8")).toBe(RUN_EVAL_PY);
    expect(readFileSync(join(dir, "autoexp.yml"), "utf8")).toContain(
      "frozen: [run_eval.py, dataset.json]",
    );
    expect(readFileSync(join(dir, ".gitignore"), "utf8").split("\n")).toEqual(
      expect.arrayContaining(["node_modules/", ".venv/", "venv/", "__pycache__/"]),
    );
    const fresh = runCli(tempDir(), ["init", "--program", "prompt-optimisation"]);
    expect(fresh.stdout).toContain("data/eval.jsonl is a SAMPLE dataset");
  });

  it("8: import refuses another metric, an unrelated table and the same rows twice; --undo forgets", () => {
    const repo = makeRepo({
      "a.txt": "x\n",
      "eval.sh": 'echo "val_bpb: 1"\n',
      "autoexp.yml":
        "name: i\ntarget: [a.txt]\nfrozen: [eval.sh]\neval: { command: sh eval.sh, metrics: { val_bpb: { goal: minimize } } }\n",
    });
    const dir = tempDir();
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const other = runCli(repo, [
      "import",
      file("o.tsv", "commit\tval_loss\tstatus\tdescription\na\t1\tkeep\tb\n"),
      "--tag",
      "t",
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("its metric is val_loss, this tag's is val_bpb");
    const table = runCli(repo, [
      "import",
      file("u.tsv", "commit\tval_bpb\tstatus\tdescription\na\t1\tshipped\tb\nc\t2\tshipped\td\n"),
      "--tag",
      "t",
    ]);
    expect(table.code).toBe(2);
    expect(table.stderr).toContain("not a karpathy-style results.tsv");
    const good = file(
      "r.tsv",
      "commit\tval_bpb\tstatus\tdescription\na\t1\tkeep\tbaseline\nb\t0.9\tkeep\tlr up\n",
    );
    expect(runCli(repo, ["import", good, "--tag", "t"]).code).toBe(0);
    const twice = runCli(repo, ["import", good, "--tag", "t"]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("already imported");
    const undo = runCli(repo, ["import", "--undo", "--tag", "t"]);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toContain("is forgotten");
    expect(runCli(repo, ["import", good, "--tag", "t"]).code).toBe(0);
  });

  it("9: report reads a results.tsv with a boolean column, kept as text", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "results.tsv"),
      "commit\tval_bpb\tval_pass\tstatus\tdescription\na1\t0.99\ttrue\tkeep\tbaseline\nb2\t0.98\tfalse\tdiscard\tlr up\n",
    );
    const report = runCli(dir, ["report", "results.tsv"]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stderr).toContain("column val_pass is text");
    expect(report.stdout).toContain("lr up (val\\_pass=false)");
  });

  it("10: a command agent whose program is missing is refused before the baseline runs", () => {
    const repo = makeRepo({
      "a.txt": "x\n",
      "eval.sh": 'echo ran >> "$HOME/../ran-$$" 2>/dev/null; echo "score: 1"\n',
      "autoexp.yml":
        "name: m\ntarget: [a.txt]\nfrozen: [eval.sh]\neval: { command: sh eval.sh, metrics: { score: { goal: maximize } } }\nagent: { use: command, run: [/usr/bin/python3, agent_driver.py] }\n",
    });
    const run = runCli(repo, ["run", "--tag", "m", "--experiments", "1"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "agent.run: `/usr/bin/python3` is given agent_driver.py, which does not exist",
    );
    expect(git(repo, "branch", "--list", "autoexp/*").trim()).toBe("");
  });

  it("10: a flaky baseline is called flaky", async () => {
    const repo = makeRepo({
      "a.txt": "x\n",
      "eval.sh": `n=$(cat "${"$"}COUNTER" 2>/dev/null || echo 0); echo $((n+1)) > "${"$"}COUNTER"; [ "$n" = 1 ] && exit 3; echo "score: 1"\n`,
      "autoexp.yml":
        "name: f\ntarget: [a.txt]\nfrozen: [eval.sh]\neval: { command: sh eval.sh, metrics: { score: { goal: maximize } }, pass_env: [COUNTER] }\nisolation: none\ndecide: { baseline_runs: 3 }\n",
    });
    const counter = join(tempDir(), "n");
    const run = await runCliAsync(repo, ["run", "--tag", "f", "--experiments", "1"], {
      COUNTER: counter,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the eval is FLAKY");
  });
});

function runPython(dir: string): { code: number | null; stdout: string; stderr: string } {
  const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
  const r = spawnSync("/usr/bin/python3", ["run_eval.py"], { cwd: dir, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
