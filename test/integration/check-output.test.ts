// What `autoexp check` shows beside the noise: the eval's stderr under its own heading with a
// warning when it shows errors, and the one-token call a batch makes to a model API agent.
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startStub } from "../helpers/llm-stub.ts";
import { git, makeRepo, runCliAsync } from "../helpers/repo.ts";

const KEY = "sk-test-check-output-5a4b3c2d1e";

// An eval that prints its metric on stdout while every item raised a KeyError on stderr.
const RUN_EVAL_PY = `import os, sys, traceback
try:
    os.environ["OPENAI_API_KEY"]
except KeyError:
    traceback.print_exc()
print("progress: 12 items", flush=True)
print("accuracy: 0.25")
`;

function repo(agent = "{ use: search }"): string {
  return makeRepo({
    "agent.py": "PROMPT = 'x'\n",
    "run_eval.py": RUN_EVAL_PY,
    "autoexp.yml": `name: c
target: [agent.py]
frozen: [run_eval.py]
eval: { command: python3 run_eval.py, metrics: { accuracy: { goal: maximize } } }
agent: ${agent}
`,
  });
}

/** The lines of check's output from `heading` to the next line that is not a quoted one. */
function block(stdout: string, heading: string): string[] {
  const lines = stdout.split("\n");
  const at = lines.indexOf(heading);
  if (at < 0) return [];
  const rest = lines.slice(at + 1);
  const end = rest.findIndex((l) => !l.startsWith("    "));
  return end < 0 ? rest : rest.slice(0, end);
}

describe("check shows what the eval printed on stderr apart", () => {
  it("a KeyError traceback on stderr is shown under a stderr heading, with a warning, the metric under stdout", async () => {
    const dir = repo();
    const check = await runCliAsync(dir, ["check", "--runs", "2"]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain("the last lines run 2 printed:\n  stdout:\n");
    const stdout = block(check.stdout, "  stdout:");
    const stderr = block(check.stdout, "  stderr:");
    expect(stdout).toEqual(["    | progress: 12 items", "    | accuracy: 0.25"]);
    expect(stderr[0]).toBe("    | Traceback (most recent call last):");
    expect(stderr).toContain("    | KeyError: 'OPENAI_API_KEY'");
    expect(stderr.join("\n")).not.toContain("accuracy");
    expect(check.stdout).toMatch(
      /WARNING: the eval's stderr shows errors \(run 1\), even where its metrics parsed:\n {4}\| Traceback \(most recent call last\):\n {4}\| KeyError: 'OPENAI_API_KEY'\n/,
    );
    expect(check.stdout).toContain("see eval.pass_env");
  });

  it("a clean stderr is shown as nothing, and nothing is warned", async () => {
    const dir = makeRepo({
      "a.txt": "x\n",
      "eval.sh": 'echo "score: 7"\n',
      "autoexp.yml":
        "name: q\ntarget: [a.txt]\nfrozen: [eval.sh]\neval: { command: sh eval.sh, metrics: { score: { goal: maximize } } }\n",
    });
    const check = await runCliAsync(dir, ["check", "--runs", "2"]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(block(check.stdout, "  stderr:")).toEqual(["    (nothing)"]);
    expect(check.stdout).not.toContain("WARNING");
  });
});

describe("check calls a model API agent once, as a batch does before its baseline", () => {
  it("says the server answered a one-token call", async () => {
    const stub = await startStub([]);
    const dir = repo(
      `{ use: openai, model: m, base_url: "${stub.url}/v1", api_key_env: TEST_CHECK_KEY }`,
    );
    const check = await runCliAsync(dir, ["check", "--runs", "2"], { TEST_CHECK_KEY: KEY });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain(
      `agent: openai at ${stub.url}/v1 answered a one-token call for model m`,
    );
    expect(stub.pings).toHaveLength(1);
    expect(stub.pings[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(stub.requests).toHaveLength(0);
  });

  it("an unreachable base_url is a PROBLEM naming the setting and its fix: exit 1", async () => {
    const port = await closedPort();
    const dir = repo(
      `{ use: openai, model: m, base_url: "http://127.0.0.1:${port}/v1", api_key_env: null, retries: 0 }`,
    );
    const check = await runCliAsync(dir, ["check", "--runs", "2"]);
    expect(check.code, check.stdout + check.stderr).toBe(1);
    expect(check.stdout).toMatch(
      /PROBLEM: agent\.base_url: cannot reach openai at http:\/\/127\.0\.0\.1:\d+\/v1 \(ECONNREFUSED\)\. Start the server, or fix agent\.base_url in autoexp\.yml\. A batch would stop before its baseline \(exit 2\)/,
    );
    // The eval was still checked.
    expect(check.stdout).toContain("run 2/2: accuracy 0.25");
  });

  it("a refused key is a PROBLEM naming api_key_env, the key itself never shown", async () => {
    const stub = await startStub([], {
      ping: { status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}` } } },
    });
    const dir = repo(
      `{ use: anthropic, model: c, base_url: "${stub.url}", api_key_env: TEST_CHECK_KEY }`,
    );
    const check = await runCliAsync(dir, ["check", "--runs", "2"], { TEST_CHECK_KEY: KEY });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("PROBLEM: agent.api_key_env: anthropic at");
    expect(check.stdout).toContain(
      "refused the key in TEST_CHECK_KEY (HTTP 401: Incorrect API key provided: [redacted]). Check the key and its access to c",
    );
    expect(check.stdout + check.stderr).not.toContain(KEY);
    expect(stub.pings[0]).toMatchObject({ url: "/v1/messages" });
  });
});

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A repo whose train.py the search agent tunes, scored by eval.py under `metrics`, unsandboxed. */
function tunedRepo(evalPy: string, metrics: string): string {
  return makeRepo({
    "train.py": "LR = 0.01\n",
    "eval.py": evalPy,
    "autoexp.yml": `name: tuned
target: [train.py]
frozen: [eval.py]
eval: { command: python3 eval.py, metrics: ${metrics} }
agent: { use: search }
isolation: none
`,
  });
}

describe("a guard the code breaks as it is", () => {
  it("check warns, and run says so at the baseline, before a night of guard_fail", async () => {
    const dir = tunedRepo(
      "print('loss: 1.0')\nprint('peak_mb: 1100')\n",
      "{ loss: { goal: minimize }, peak_mb: { guard: { max: 500 } } }",
    );
    const warning =
      "the code as it is breaks a guard (guard peak_mb = 1100 is above its max 500): a candidate is kept only once it meets the bound";
    const check = await runCliAsync(dir, ["check", "--runs", "2"]);
    expect(check.stdout).toContain(`WARNING: ${warning}`);
    const run = await runCliAsync(dir, ["run", "--tag", "g", "--experiments", "1"]);
    expect(run.stdout).toContain(`note: ${warning}`);
    // Proof of what it warned about: the one experiment broke the guard.
    expect(run.stdout).toMatch(/#1 +guard_fail .*guard peak_mb = 1100 is above its max 500/);
  });
});

describe("an eval that prints nothing", () => {
  it("check and run say it printed nothing, not an empty quote", async () => {
    const dir = tunedRepo("", "{ loss: { goal: minimize } }");
    const check = await runCliAsync(dir, ["check", "--runs", "2"]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(
      /run 1\/2: FAILED \(bad metric output: loss missing\).*\n {4}\(it printed nothing\)\n/,
    );
    expect(check.stdout).not.toMatch(/^ {4}\| $/m);
    // The isolation line says what it is once.
    expect(check.stdout).toContain(
      "\nisolation: none (the config's choice): evals run unsandboxed",
    );
    const run = await runCliAsync(dir, ["run", "--tag", "n", "--experiments", "1"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Fix the eval or autoexp.yml and run again. It printed nothing.");
    expect(run.stderr).not.toContain("Last lines:");
  });
});

describe("a deterministic eval whose runs agree", () => {
  it("reads an unchanged candidate as equal, not better by a rounding residue", async () => {
    // Three runs of 0.0417 sum to 0.041699999999999994 times three.
    const dir = tunedRepo("print('accuracy: 0.0417')\n", "{ accuracy: { goal: maximize } }");
    writeFileSync(
      join(dir, "autoexp.yml"),
      `${readFileSync(join(dir, "autoexp.yml"), "utf8")}decide: { baseline_runs: 3 }\n`,
    );
    git(dir, "commit", "-qam", "three baseline runs");
    const run = await runCliAsync(dir, ["run", "--tag", "d", "--experiments", "1"]);
    expect(run.code, run.stderr).toBe(0);
    const line = run.stdout.split("\n").find((l) => / #1 +discard /.test(l))!;
    expect(line).toContain("accuracy 0.0417");
    expect(line).not.toMatch(/e-1\d|improved by/);
  });
});
