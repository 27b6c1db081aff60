import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { workflowErrors } from "../helpers/github-yaml.ts";
import { git, read, runCli, tempDir, writeFiles } from "../helpers/repo.ts";
import { STAND_INS } from "../helpers/stand-ins.ts";

const TEMPLATES = join(import.meta.dirname, "../../templates");
/** A workflow's reference to a repository secret, as GitHub writes it. */
const secret = (name: string) => `$${"{{"} secrets.${name} }}`;

/** No coding agent on PATH: init picks the offline search agent. */
const BARE_PATH = { PATH: "/usr/local/bin:/usr/bin:/bin" };

const hasPython = (() => {
  try {
    execFileSync("python3", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

type Program = keyof typeof STAND_INS;
const PROGRAMS = Object.keys(STAND_INS) as Program[];

function initIn(dir: string, args: string[]) {
  return runCli(dir, ["init", ...args], BARE_PATH);
}

function commitAll(dir: string) {
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "autoexp setup");
}

function emptyRepo(): string {
  const dir = tempDir();
  git(dir, "init", "--quiet", "--initial-branch=main");
  git(dir, "config", "user.name", "Test");
  git(dir, "config", "user.email", "test@example.com");
  git(dir, "config", "commit.gpgsign", "false");
  return dir;
}

describe("autoexp init fits the program", () => {
  it.each(PROGRAMS)(
    "%s: the config, the eval and program.md agree, and init names the file to create",
    (program) => {
      const dir = emptyRepo();
      const run = initIn(dir, ["--program", program]);
      expect(run.code, run.stderr).toBe(0);
      const result = parseConfigText(read(dir, "autoexp.yml"));
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      const { config } = result;
      const [target] = config.target;
      const evalText = typeof config.eval.command === "string" ? config.eval.command : "";
      const evalFile = evalText.split(" ").at(-1)!;
      expect(config.agent.use).toBe("search");
      // The eval is written and frozen; the target is the user's, and init names it.
      expect(read(dir, evalFile).length).toBeGreaterThan(0);
      expect(config.frozen).toContain(evalFile);
      expect(run.stdout).toContain(`create ${target}: `);
      expect(() => read(dir, target!)).toThrow();
      // program.md speaks of the same metrics and files as the config.
      const programMd = read(dir, "program.md");
      expect(programMd).toBe(readFileSync(join(TEMPLATES, "program", `${program}.md`), "utf8"));
      for (const metric of Object.keys(config.eval.metrics))
        expect(programMd, metric).toContain(`\`${metric}\``);
      expect(programMd).toContain(`\`${target}\``);
      // The eval prints the metrics the config reads.
      const evalSource =
        read(dir, evalFile) + (evalFile === "eval.sh" ? STAND_INS[program][target as never] : "");
      for (const metric of Object.keys(config.eval.metrics))
        expect(evalSource, metric).toMatch(new RegExp(`${metric}:`));
      // validate right after init names the missing file.
      const validate = runCli(dir, ["validate"]);
      expect(validate.code).toBe(2);
      expect(validate.stderr).toContain(`"${target}" matches no file in the repository`);
    },
  );

  it.skipIf(!hasPython).each(PROGRAMS)(
    "%s: once the named file exists, validate and check pass",
    (program) => {
      const dir = emptyRepo();
      expect(initIn(dir, ["--program", program]).code).toBe(0);
      writeFiles(dir, STAND_INS[program]);
      commitAll(dir);
      const validate = runCli(dir, ["validate"]);
      expect(validate.code, validate.stderr).toBe(0);
      expect(validate.stdout).toContain("autoexp.yml is valid");
      const check = runCli(dir, ["check", "--runs", "2"]);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(check.stdout).toContain("every run printed every metric");
    },
  );

  it("writes a safe workflow, pinned, with no shell steps", () => {
    const dir = tempDir();
    const run = initIn(dir, ["--name", "Night Owl", "--program", "performance"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      "wrote autoexp.yml, bench.py, program.md, .github/workflows/autoexp.yml",
    );
    const config = parseConfigText(read(dir, "autoexp.yml"));
    expect(config.ok && config.config.name).toBe("night-owl");

    const wf = parse(read(dir, ".github/workflows/autoexp.yml"));
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    // The inputs the App's /autoexp run dispatches with (GitHub refuses undeclared ones).
    expect(Object.keys(wf.on.workflow_dispatch.inputs).sort()).toEqual([
      "command",
      "config",
      "experiments",
      "request",
      "tag",
    ]);
    expect(wf["run-name"]).toBe(
      "autoexp ${{ inputs.command && inputs.command != 'run' && format('{0} ', inputs.command) || '' }}${{ inputs.tag || 'nightly' }}${{ inputs.request && format(' (request {0})', inputs.request) || '' }}",
    );
    expect(wf.concurrency).toEqual({
      group: "autoexp-night-owl-${{ inputs.tag || 'nightly' }}",
      "cancel-in-progress": false,
    });
    expect(wf.permissions).toEqual({ contents: "read" });
    const { experiment, publish } = wf.jobs;
    expect(experiment["runs-on"]).toEqual(["self-hosted", "gpu"]);
    // The job running agent code may post a commit status (the live view), and write nothing else.
    expect(experiment.permissions).toEqual({ contents: "read", statuses: "write" });
    expect(publish.permissions).toEqual({ contents: "write" });
    expect(publish.needs).toBe("experiment");
    expect(publish.if).toBe("always()");
    // The job that runs agent code keeps no token in .git/config.
    expect(experiment.steps[0].with).toEqual({ "fetch-depth": 0, "persist-credentials": false });
    const steps = [...experiment.steps, ...publish.steps];
    for (const step of steps.filter((s: { uses?: string }) => s.uses)) {
      if (step.uses.startsWith("actions/"))
        expect(step.uses).toMatch(/^actions\/[a-z-]+@[0-9a-f]{40}$/);
      else expect(step.uses).toMatch(/^autoexp\/autoexp@v\d+\.\d+\.\d+$/);
    }
    // No input ever reaches a shell: no run: steps at all, inputs go through `with:`.
    expect(steps.filter((s: { run?: string }) => s.run)).toEqual([]);
    expect(experiment.steps[1].with).toMatchObject({
      mode: "${{ inputs.command || 'run' }}",
      tag: "${{ inputs.tag }}",
    });
    // The run job's mode is the Action's: every command the workflow offers is one.
    expect(wf.on.workflow_dispatch.inputs.command.options).toEqual([
      "run",
      "verify",
      "attribute",
      "split",
    ]);
    // The search agent reads no key: the batch step is given none, and says how to add one.
    expect(experiment.steps[1].env).toBeUndefined();
    expect(read(dir, ".github/workflows/autoexp.yml")).toContain(
      "# agent search reads no key. For an LLM agent, uncomment (keys reach the agent only):",
    );
    // The publish job names the tag itself: the handoff (written where agent code ran) never does.
    expect(publish.steps.at(-1).with).toMatchObject({ mode: "publish", tag: "${{ inputs.tag }}" });
  });

  it("says to git init first where there is no repository, and not where there is one", () => {
    const bare = tempDir();
    const outside = initIn(bare, []);
    expect(outside.code, outside.stderr).toBe(0);
    expect(outside.stdout).toContain(
      'git init && git add -A && git commit -m "autoexp setup"   # not a git repository yet',
    );
    const inside = initIn(emptyRepo(), []);
    expect(inside.stdout).toContain('then git add -A && git commit -m "autoexp setup"\n');
    expect(inside.stdout).not.toContain("git init");
  });

  it("ml-training's eval.sh is executable and runs train.py with uv when the project uses uv", () => {
    const plain = tempDir();
    expect(initIn(plain, []).code).toBe(0);
    expect(statSync(join(plain, "eval.sh")).mode & 0o111).not.toBe(0);
    expect(read(plain, "eval.sh")).toContain("exec python3 train.py");
    const uv = tempDir();
    writeFiles(uv, { "pyproject.toml": "[project]\nname = 'x'\n", "train.py": "print(1)\n" });
    const run = initIn(uv, []);
    expect(read(uv, "eval.sh")).toContain("exec uv run train.py");
    expect(run.stdout).toContain("uses what is here: train.py");
    expect(run.stdout).not.toContain("create train.py");
  });

  it("picks a coding agent that is installed, else the offline search agent", () => {
    const bin = tempDir();
    writeFiles(bin, { claude: "#!/bin/sh\n" });
    chmodSync(join(bin, "claude"), 0o755);
    const dir = tempDir();
    const run = runCli(dir, ["init"], { PATH: `${bin}:${BARE_PATH.PATH}` });
    expect(run.stdout).toContain(`agent: claude-code (claude is installed (${bin}/claude))`);
    const config = parseConfigText(read(dir, "autoexp.yml"));
    expect(config.ok && config.config.agent.use).toBe("claude-code");
    // Its workflow passes the key claude reads, and only that one.
    const step = parse(read(dir, ".github/workflows/autoexp.yml")).jobs.experiment.steps[1];
    expect(step.env).toEqual({ ANTHROPIC_API_KEY: secret("ANTHROPIC_API_KEY") });
    // codex reads OpenAI's.
    const codexBin = tempDir();
    writeFiles(codexBin, { codex: "#!/bin/sh\n" });
    chmodSync(join(codexBin, "codex"), 0o755);
    const other = tempDir();
    expect(runCli(other, ["init"], { PATH: `${codexBin}:${BARE_PATH.PATH}` }).code).toBe(0);
    const codexStep = parse(read(other, ".github/workflows/autoexp.yml")).jobs.experiment.steps[1];
    expect(codexStep.env).toEqual({ OPENAI_API_KEY: secret("OPENAI_API_KEY") });
  });

  it("--shards K writes the matrix workflow; a bad K is refused and nothing is written", () => {
    const dir = tempDir();
    const run = initIn(dir, ["--shards", "4"]);
    expect(run.code, run.stderr).toBe(0);
    const wf = parse(read(dir, ".github/workflows/autoexp.yml")) as {
      jobs: { experiment: { strategy: { matrix: { shard: number[] } } } };
    };
    expect(wf.jobs.experiment.strategy.matrix.shard).toEqual([1, 2, 3, 4]);
    for (const bad of ["1", "17", "two"]) {
      const empty = tempDir();
      const refused = initIn(empty, ["--shards", bad]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("--shards must be a whole number from 2 to 16");
      expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(() => read(empty, "autoexp.yml")).toThrow();
    }
  });

  it("refuses to overwrite anything unless told to", () => {
    const dir = tempDir();
    expect(initIn(dir, []).code).toBe(0);
    const files = ["autoexp.yml", "program.md", "eval.sh", ".github/workflows/autoexp.yml"];
    const before = files.map((f) => read(dir, f));
    const again = initIn(dir, ["--program", "prompt-optimisation"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(
      "init would overwrite autoexp.yml, program.md, .github/workflows/autoexp.yml",
    );
    expect(again.stderr).toContain("nothing was written");
    expect(files.map((f) => read(dir, f))).toEqual(before);
    expect(() => read(dir, "run_eval.py")).toThrow();
    const forced = initIn(dir, ["--program", "prompt-optimisation", "--force"]);
    expect(forced.code).toBe(0);
    expect(read(dir, "program.md")).toContain("prompt");
    expect(initIn(dir, ["--program", "quantum", "--force"]).stderr).toContain(
      '--program must be one of ml-training, performance, prompt-optimisation, not "quantum"',
    );
  });
});

describe("autoexp init in a karpathy/autoresearch checkout", () => {
  const KARPATHY = {
    "train.py":
      'print("---")\nprint("val_bpb:          0.997900")\nprint("peak_vram_mb:     45060.2")\n',
    "prepare.py": "# data, tokenizer, evaluation\n",
    "program.md": "# autoresearch\n\nLOOP FOREVER: ...\n",
    "pyproject.toml": '[project]\nname = "autoresearch"\n',
    "results.tsv": "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n",
  };

  it("adopts it: train.py unchanged under uv, prepare.py frozen, the data cache read-only, program.md kept", () => {
    const dir = tempDir();
    writeFiles(dir, KARPATHY);
    const run = initIn(dir, []);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("a karpathy/autoresearch checkout");
    expect(run.stdout).toContain(
      "wrote autoexp.yml, autoexp-program.md, .github/workflows/autoexp.yml",
    );
    expect(run.stdout).toContain(
      "uses what is here: train.py, prepare.py, pyproject.toml, program.md, results.tsv",
    );
    expect(run.stdout).not.toContain("create ");
    for (const [file, content] of Object.entries(KARPATHY)) expect(read(dir, file)).toBe(content);
    const result = parseConfigText(read(dir, "autoexp.yml"));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const { config } = result;
    expect(config.eval.command).toBe("uv run train.py");
    expect(config.target).toEqual(["train.py"]);
    expect(config.frozen).toEqual(["prepare.py", "pyproject.toml"]);
    expect(config.instructions).toBe("autoexp-program.md");
    expect(config.eval.metrics).toEqual({
      val_bpb: { goal: "minimize" },
      peak_vram_mb: { guard: { max: 76000 } },
    });
    expect(config.isolation.read_only).toEqual(["~/.cache/autoresearch"]);
    expect(read(dir, "autoexp-program.md")).toContain("`val_bpb`");
    // The job outlives the night it runs (9h of wall_clock): GitHub killed it at 360 minutes.
    const workflow = read(dir, ".github/workflows/autoexp.yml");
    expect(config.budget.wall_clock).toBe(9 * 3600_000);
    expect(workflow).toContain("    timeout-minutes: 600 # budget.wall_clock and an hour\n");
    expect(workflowErrors("autoexp.yml", workflow)).toEqual([]);
  });

  it("validate passes on the committed checkout", () => {
    const dir = emptyRepo();
    writeFiles(dir, KARPATHY);
    expect(initIn(dir, []).code).toBe(0);
    commitAll(dir);
    const validate = runCli(dir, ["validate"]);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain(
      "autoexp.yml is valid: val_bpb (minimize), target train.py, frozen prepare.py, pyproject.toml",
    );
  });

  it("an explicit other program wins over the detection, and never replaces their program.md", () => {
    const dir = tempDir();
    writeFiles(dir, KARPATHY);
    const run = initIn(dir, ["--program", "performance"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("init would overwrite program.md");
    expect(read(dir, "program.md")).toBe(KARPATHY["program.md"]);
  });

  it("train.py and prepare.py without karpathy's program.md: ml-training using both", () => {
    const dir = tempDir();
    writeFiles(dir, { "train.py": KARPATHY["train.py"], "prepare.py": KARPATHY["prepare.py"] });
    const run = initIn(dir, []);
    expect(run.stdout).toContain("autoexp init: program ml-training");
    const result = parseConfigText(read(dir, "autoexp.yml"));
    expect(result.ok && result.config.frozen).toEqual(["eval.sh", "prepare.py"]);
  });
});
