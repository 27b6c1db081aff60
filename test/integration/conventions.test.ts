// The CLI's conventions, as a table: help and version, exit codes, a closed pipe, errors outside a
// repository, and a resumed tag whose config changed. Every row runs the real CLI.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS, VERSION } from "../../action/cli/main.ts";
import { openaiAnswer, startStub } from "../helpers/llm-stub.ts";
import {
  branchLog,
  CLI,
  exampleRepo,
  git,
  read,
  runCli,
  runCliAsync,
  tempDir,
  writeFiles,
} from "../helpers/repo.ts";

/** Output that betrays a crash: a JavaScript stack frame or an error class name. */
function expectNoCrash(text: string) {
  expect(text).not.toMatch(/^\s+at .+[:(]\d+/m);
  expect(text).not.toMatch(/\b(TypeError|GitError|AutoexpError|Error \[ERR_)/);
}

interface Row {
  argv: string[];
  code: number;
  stdout?: RegExp;
  stderr?: RegExp;
  where?: "nowhere" | "repo";
}

const HELP = /Usage: autoexp <command> \[options\][\s\S]*Exit codes:/;

const TABLE: Record<string, Row> = {
  "bare autoexp prints help": { argv: [], code: 0, stdout: HELP },
  "--help prints help": { argv: ["--help"], code: 0, stdout: HELP },
  "-h prints help": { argv: ["-h"], code: 0, stdout: HELP },
  "help run prints run's help": { argv: ["help", "run"], code: 0, stdout: /Usage: autoexp run/ },
  "--version prints the version": {
    argv: ["--version"],
    code: 0,
    stdout: new RegExp(`^${VERSION.replaceAll(".", "\\.")}\\n$`),
  },
  ...Object.fromEntries(
    COMMANDS.flatMap((c) =>
      ["--help", "-h"].map((flag) => [
        `${c.name} ${flag} prints its options and the exit codes`,
        {
          argv: [c.name, flag],
          code: 0,
          stdout: new RegExp(
            `^autoexp ${c.name}: [\\s\\S]*Usage: autoexp ${c.name}[\\s\\S]*-h, --help[\\s\\S]*130  interrupted`,
          ),
        },
      ]),
    ),
  ),
  "an unknown command is a usage error with a suggestion": {
    argv: ["stauts"],
    code: 2,
    stderr: /unknown command "stauts" \(did you mean `autoexp status`\?\)/,
  },
  "an unknown flag is a usage error with a suggestion": {
    argv: ["run", "--experiment", "3"],
    code: 2,
    stderr:
      /unknown option --experiment \(did you mean --experiments\?\) \(autoexp run\); see `autoexp run --help`/,
  },
  "a flag without its value": {
    argv: ["status", "--tag"],
    code: 2,
    stderr: /--tag needs a value: --tag T \(autoexp status\)/,
  },
  "a negative number is a value, checked like any other": {
    argv: ["demo", "--experiments", "-3"],
    code: 2,
    stderr: /--experiments must be a whole number >= 1, got "-3"/,
  },
  "run's help gives a batch's exit codes": {
    argv: ["run", "--help"],
    code: 0,
    stdout: /0 {4}done \(a batch ran to its budget, or stopped at a plateau\)/,
  },
  "status's help gives a command's": {
    argv: ["status", "--help"],
    code: 0,
    stdout:
      /Exit codes:\n {2}0 {4}done\n {2}1 {4}failed: the command could not do its work[\s\S]*\n {2}130 {2}interrupted \(Ctrl-C, SIGTERM\): nothing half-done is recorded\n/,
  },
  "an argument a command does not take": {
    argv: ["status", "extra"],
    code: 2,
    stderr: /autoexp status takes no argument "extra"/,
  },
  "a bad number": {
    argv: ["demo", "--experiments", "lots"],
    code: 2,
    stderr: /--experiments must be a whole number >= 1, got "lots"/,
  },
  "status outside a repository": {
    argv: ["status", "--tag", "x"],
    code: 2,
    stderr: /is not inside a git repository: run autoexp in your project's repository/,
  },
  "run outside a repository": {
    argv: ["run"],
    code: 2,
    stderr: /is not inside a git repository/,
  },
  "check without a config": {
    argv: ["check"],
    code: 2,
    stderr:
      /autoexp\.yml: 1 problem\n {2}- \(file\): file not found: create one with `autoexp init`/,
  },
  "report of a missing file": {
    argv: ["report", "nope.tsv"],
    code: 2,
    stderr: /cannot read nope\.tsv: no such file/,
  },
  "report of a folder": {
    argv: ["report", "."],
    code: 2,
    stderr: /cannot read \.: it is a directory/,
  },
  "status of a tag that has no record": {
    argv: ["status", "--tag", "none"],
    code: 2,
    stderr: /no autoexp record for tag none\. Start one with `autoexp run`\./,
    where: "repo",
  },
};

describe("CLI conventions", () => {
  it.each(Object.entries(TABLE))("%s", (_name, row) => {
    const dir = row.where === "repo" ? exampleRepo() : tempDir();
    const run = runCli(dir, row.argv);
    expect(run.code, run.stderr).toBe(row.code);
    if (row.stdout) expect(run.stdout).toMatch(row.stdout);
    if (row.stderr) expect(run.stderr).toMatch(row.stderr);
    if (row.code === 0) expect(run.stderr).toBe("");
    else expect(run.stdout).toBe("");
    expectNoCrash(run.stdout + run.stderr);
  });
});

describe("help", () => {
  it("autoexp --help: every line within 96 columns", () => {
    const run = runCli(tempDir(), ["--help"]);
    expect(run.stdout).toContain("Commands:");
    for (const line of run.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(96);
  });

  it.each(COMMANDS.map((c) => c.name))("%s --help: its text wrapped at 96 columns", (name) => {
    const run = runCli(tempDir(), [name, "--help"]);
    // Every line: the summary, the text, each flag's help (wrapped under its column).
    for (const line of run.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(96);
    // The text, after the summary and up to the options.
    const text = run.stdout.slice(
      run.stdout.indexOf("\nUsage:") + 1,
      run.stdout.indexOf("\nOptions:"),
    );
    // A paragraph runs on: no line stops short while the next could have taken its first word.
    const lines = text.split("\n");
    for (const [i, line] of lines.entries()) {
      const next = lines[i + 1];
      if (!line || !next || /^\s/.test(next) || /^\s/.test(line) || line.startsWith("Usage:"))
        continue;
      expect(line.length + 1 + next.split(" ")[0]!.length, `${line}\n${next}`).toBeGreaterThan(96);
    }
  });
});

/** Runs `autoexp ARGS | head -1` in bash; returns autoexp's exit code and both outputs. */
function pipedToHead(cwd: string, args: string[]) {
  const quoted = args.map((a) => `'${a}'`).join(" ");
  const run = spawnSync(
    "bash",
    [
      "-c",
      `'${process.execPath}' '${CLI}' ${quoted} 2>stderr.txt | head -1; echo "rc=\${PIPESTATUS[0]}"`,
    ],
    { cwd, encoding: "utf8", timeout: 120_000 },
  );
  return { stdout: run.stdout, stderr: read(cwd, "stderr.txt") };
}

describe("a closed pipe", () => {
  it("`status | head -1` prints one line and exits 0, no EPIPE", () => {
    const dir = join(tempDir(), "demo");
    expect(runCli(tempDir(), ["demo", "--dir", dir, "--experiments", "3"]).code).toBe(0);
    const piped = pipedToHead(dir, ["status", "--tag", "demo"]);
    expect(piped.stdout).toBe("autoexp · demo\nrc=0\n");
    expect(piped.stderr).toBe("");
  });

  it("`run | head -1` does not kill the batch: every experiment is recorded", () => {
    const repo = exampleRepo();
    const piped = pipedToHead(repo, ["run", "--tag", "p", "--experiments", "4"]);
    expect(piped.stdout).toBe("autoexp: tag p on branch autoexp/p, agent search\nrc=0\n");
    expect(piped.stderr).toBe("");
    const results = branchLog(repo, "p").filter((l) => l.type === "result");
    expect(results).toHaveLength(5);
  });
});

/** A port on loopback that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("exit codes of a batch", () => {
  const withAgent = (repo: string, agent: string, budget = "") =>
    writeFiles(repo, {
      "autoexp.yml": read(repo, "autoexp.yml")
        .replace(/agent:[\s\S]*?(?=\n\w|$)/, `agent: ${agent}\n`)
        .concat(budget),
    });

  it("0 when it ran its budget", () => {
    const repo = exampleRepo();
    const run = runCli(repo, ["run", "--tag", "ok", "--experiments", "2", "--quiet"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^done: 2 experiment\(s\) this batch/);
  });

  it("2 before the baseline when the model server is unreachable: nothing run or written", async () => {
    const repo = exampleRepo();
    const port = await closedPort();
    withAgent(
      repo,
      `{ use: openai, model: m, base_url: "http://127.0.0.1:${port}/v1", api_key_env: null, retries: 0 }`,
    );
    git(repo, "commit", "-qam", "agent");
    const run = runCli(repo, ["run", "--tag", "a", "--experiments", "3"]);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /agent\.base_url: cannot reach openai at http:\/\/127\.0\.0\.1:\d+\/v1 \(ECONNREFUSED\)\. Start the server, or fix agent\.base_url in autoexp\.yml\. Nothing was run or written/,
    );
    expect(run.stdout).not.toMatch(/baseline/);
    expect(git(repo, "for-each-ref", "refs/autoexp", "refs/heads/autoexp").trim()).toBe("");
    expectNoCrash(run.stderr);
  });

  it("1 when the agent cannot work later (a model server that answers the check, then nothing)", async () => {
    const repo = exampleRepo();
    const stub = await startStub([openaiAnswer("")]);
    withAgent(
      repo,
      `{ use: openai, model: m, base_url: "${stub.url}/v1", api_key_env: null, retries: 0 }`,
    );
    git(repo, "commit", "-qam", "agent");
    const run = await runCliAsync(repo, ["run", "--tag", "a", "--experiments", "3"]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(stub.pings).toHaveLength(1);
    expect(run.stderr).toMatch(/the batch stopped on a failure: the agent cannot work/);
    expectNoCrash(run.stderr);
  });

  it("1 when failures in a row reach the budget", () => {
    const repo = exampleRepo();
    withAgent(repo, '{ use: command, run: "echo broken >&2; exit 3" }');
    writeFiles(repo, {
      "autoexp.yml": read(repo, "autoexp.yml").replace(
        /budget:[\s\S]*?(?=\n\w|$)/,
        "budget: { experiments: 10, stop_after_failures: 2 }\n",
      ),
    });
    git(repo, "commit", "-qam", "failing agent");
    const run = runCli(repo, ["run", "--tag", "f", "--experiments", "10"]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toMatch(/the batch stopped on a failure/);
  });

  it("--json ends with a done line carrying the exit code", () => {
    const repo = exampleRepo();
    const run = runCli(repo, ["run", "--tag", "j", "--experiments", "2", "--json"]);
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(
      expect.arrayContaining(["baseline", "start", "experiment", "stop", "done"]),
    );
    expect(lines.at(-1)).toMatchObject({ type: "done", exitCode: 0, experiments: 2 });
    const status = runCli(repo, ["status", "--tag", "j", "--json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ tag: "j", branch: "autoexp/j" });
  });

  it("130 when interrupted; what was recorded is kept", async () => {
    const repo = exampleRepo();
    writeFiles(repo, {
      "autoexp.yml": read(repo, "autoexp.yml").replace(
        "command: node eval.js",
        `command: "sleep 0.3; node eval.js"`,
      ),
    });
    git(repo, "commit", "-qam", "slower eval");
    const child = spawn(process.execPath, [CLI, "run", "--tag", "i", "--experiments", "20"], {
      cwd: repo,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on("data", (c) => {
        stdout += c;
        if (/\[\s*1\/20\]/.test(stdout) && !child.killed) child.kill("SIGINT");
      });
      child.on("close", resolve);
    });
    expect(code, stdout + stderr).toBe(130);
    expect(stderr).toContain("autoexp: stopping: ");
    const results = branchLog(repo, "i").filter((l) => l.type === "result");
    expect(results.length).toBeGreaterThanOrEqual(2);
    expect(results.length).toBeLessThan(21);
  });
});

describe("resuming a tag whose config changed", () => {
  it("is refused with what changed, then accepted with --accept-config-change, recorded and re-measured", () => {
    const repo = exampleRepo();
    expect(runCli(repo, ["run", "--tag", "g", "--experiments", "2", "--quiet"]).code).toBe(0);
    const before = branchLog(repo, "g");
    writeFiles(repo, {
      "autoexp.yml": read(repo, "autoexp.yml").replace("goal: minimize", "goal: maximize"),
    });
    git(repo, "commit", "-qam", "now maximize");
    const refused = runCli(repo, ["run", "--tag", "g", "--experiments", "2"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("goal: minimize → maximize");
    expect(refused.stderr).toMatch(/--accept-config-change/);
    expectNoCrash(refused.stderr);
    expect(branchLog(repo, "g")).toEqual(before); // nothing written
    const accepted = runCli(repo, [
      "run",
      "--tag",
      "g",
      "--experiments",
      "2",
      "--accept-config-change",
    ]);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain(
      "config change accepted and recorded: goal: minimize → maximize",
    );
    expect(accepted.stdout).toMatch(/moved on since tag g started/);
    const log = branchLog(repo, "g");
    expect(log.filter((l) => l.type === "result")).toHaveLength(5);
    // The change is in the record: a config line in force (the last one), and the incumbent
    // measured again under it before any new experiment was judged.
    const configs = log.filter((l) => l.type === "config");
    expect(configs.at(-1)).toMatchObject({
      goal: "maximize",
      changes: ["goal: minimize → maximize"],
    });
    const rebased = log.find((l) => l.type === "remeasure" && l.reason === "config-change");
    expect(rebased).toMatchObject({ reset: true });
    expect(log.indexOf(rebased!)).toBeLessThan(
      log.findIndex((l) => l.type === "result" && l.iteration === 3),
    );
    // Resuming again with the same (new) config is quiet.
    const again = runCli(repo, ["run", "--tag", "g", "--experiments", "1"]);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain("config change");
  });
});
