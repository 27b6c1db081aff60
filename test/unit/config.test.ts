import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkScopeFiles } from "../../action/config/check-scope-files.ts";
import { parseConfigText } from "../../action/config/parse-config-text.ts";

const minimal = `name: t\ntarget: [train.js]\neval:\n  command: node eval.js\n  metrics:\n    loss: { goal: minimize }\n`;

function problems(text: string) {
  const result = parseConfigText(text);
  if (result.ok) throw new Error("expected problems");
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe("config", () => {
  it("fills strategy branch's stall and points with the values bench/plateau chose (README, Strategies)", () => {
    const result = parseConfigText(`${minimal}strategy: { use: branch }\n`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.strategy).toEqual({ use: "branch", stall: 6, points: 5, remeasure: 0 });
  });

  it("accepts the bundled example and fills defaults", () => {
    const text = readFileSync(
      join(import.meta.dirname, "../../templates/examples/tiny-train/autoexp.yml"),
      "utf8",
    );
    const result = parseConfigText(text);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.eval.timeout).toBe(60_000);
    expect(result.config.budget.experiments).toBe(20);
    expect(result.config.agent).toEqual({
      use: "search",
      seed: 1,
      exclude: ["seed", "random_state"],
    });
    expect(result.config.decide.min_delta).toBe(0.0005);
  });

  it("normalises a single glob and durations", () => {
    const result = parseConfigText(
      `${minimal.replace("[train.js]", "train.js")}budget: { wall_clock: 8h }\n`,
    );
    expect(result.ok && result.config.target).toEqual(["train.js"]);
    expect(result.ok && result.config.budget.wall_clock).toBe(8 * 3_600_000);
  });

  it("names every problem with its field path and a fix", () => {
    const found = problems(
      "name: Bad_Name\ntarget: []\nfrozen: [x]\ntypo: 1\neval:\n  timeout: soon\n  metrics:\n    loss: {}\ndecide: { min_delta: -1 }\nagent: { use: gpt }\n",
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^name: name must match \[a-z0-9-\]\+/),
        expect.stringMatching(/^target: list at least one file/),
        expect.stringMatching(/^\(top level\): unknown field `typo`/),
        expect.stringMatching(/^eval\.command: is required/),
        expect.stringMatching(
          /^eval\.timeout: must be a duration over zero like "90s".* \(you wrote "soon"\)$/,
        ),
        expect.stringMatching(/^eval\.metrics\.loss: a metric needs a `goal`/),
        expect.stringMatching(
          /^decide\.min_delta: min_delta is an improvement size, so it must be >= 0/,
        ),
        expect.stringMatching(
          /^agent\.use: agent\.use must be one of: search, command, claude-code, codex, aider, openai, anthropic \(you wrote "gpt"\)$/,
        ),
      ]),
    );
  });

  it.each([
    ["agent: { use: openai }", /^agent\.model: is required: for openai, e\.g\. model: gpt-5/],
    [
      "agent: { use: openai, model: m, base_url: localhost:8000 }",
      /^agent\.base_url: base_url must be an http\(s\) URL/,
    ],
    [
      "agent: { use: anthropic, model: m, api_key_env: 'my key' }",
      /^agent\.api_key_env: must be an environment variable name/,
    ],
    ["agent: { use: openai, model: m, price: { input: 1 } }", /^agent\.price\.output: /],
    ["agent: { use: claude-code, modle: x }", /^agent: unknown field `modle`/],
    [
      "agent: { use: codex, model: m }\nbudget: { cost_usd: 5 }",
      /^agent\.price: budget\.cost_usd needs a price to count against: codex reports tokens/,
    ],
  ])("refuses a bad agent: %s", (agent, message) => {
    expect(problems(`${minimal}${agent}\n`)[0]).toMatch(message);
  });

  it("fills an API agent's defaults: the public endpoint, the usual key variable, retries", () => {
    const parsed = parseConfigText(`${minimal}agent: { use: anthropic, model: claude-x }\n`);
    expect(parsed.ok && parsed.config.agent).toMatchObject({
      use: "anthropic",
      base_url: "https://api.anthropic.com",
      api_key_env: "ANTHROPIC_API_KEY",
      retries: 4,
      timeout: 300_000,
      context_chars: 60_000,
    });
    const local = parseConfigText(
      `${minimal}agent: { use: openai, model: llama, base_url: "http://localhost:11434/v1", api_key_env: null }\n`,
    );
    expect(local.ok && local.config.agent).toMatchObject({ api_key_env: null });
  });

  it("refuses a config with no goal, or two goals under the primary rule", () => {
    expect(problems(minimal.replace("{ goal: minimize }", "{ guard: { max: 1 } }"))[0]).toMatch(
      /no metric has a `goal`/,
    );
    expect(problems(`${minimal}    acc: { goal: maximize }\n`)[0]).toMatch(
      /^decide\.primary: several metrics have a goal \(loss, acc\): name the one that must improve, e\.g\. `primary: loss`/,
    );
  });

  it("refuses bad deciding settings before anything runs, naming the field and the fix", () => {
    const two = `${minimal}    acc: { goal: maximize }\n    mem: { guard: { max: 10 } }\n`;
    const cases: [string, RegExp][] = [
      [
        `${two}decide: { rule: weighted, weights: { loss: 0.5, acc: 0.4 } }\n`,
        /^decide\.weights: weights must sum to 1, but they sum to 0\.9$/,
      ],
      [
        `${two}decide: { rule: weighted, weights: { loss: 0.5, acc: 0.4, mem: 0.1 } }\n`,
        /^decide\.weights\.mem: "mem" is not a metric with a goal; weights apply to: loss, acc$/,
      ],
      [
        `${two}decide: { rule: weighted }\n`,
        /^decide\.weights: rule weighted needs weights for loss, acc that sum to 1/,
      ],
      [`${two}decide: { primary: mem }\n`, /^decide\.primary: "mem" is not a metric with a goal/],
      [
        `${two}decide: { primary: loss, weights: { loss: 1 } }\n`,
        /^decide\.weights: weights only apply with `rule: weighted`/,
      ],
      [
        `${minimal}decide: { confidence: 1.5 }\n`,
        /^decide\.confidence: confidence must be between 0 and 1 \(exclusive\), e\.g\. 0\.95 \(you wrote 1\.5\)$/,
      ],
      [
        `${minimal}decide: { confidence: 0 }\n`,
        /^decide\.confidence: confidence must be between 0 and 1/,
      ],
      [
        `${minimal}decide: { min_delta: -0.01 }\n`,
        /^decide\.min_delta: min_delta is an improvement size, so it must be >= 0 \(the goal sets the direction\) \(you wrote -?[0-9.]+\)$/,
      ],
      [
        `${minimal}decide: { min_delta: { acc: 0.1 } }\n`,
        /^decide\.min_delta\.acc: "acc" is not a metric with a goal; use one of: loss$/,
      ],
      [
        `${two}decide: { rule: pareto, min_delta: 0.1 }\n`,
        /^decide\.min_delta: with rule pareto each metric needs its own min_delta/,
      ],
      [
        `${minimal}decide: { rule: pareto }\n`,
        /^decide\.rule: rule pareto needs at least two metrics with a goal/,
      ],
      [
        `${minimal}decide: { rule: best }\n`,
        /^decide\.rule: decide\.rule must be one of: primary, pareto, weighted, got "best"$/,
      ],
      [
        minimal.replace("{ goal: minimize }", "{ goal: minimize, tolerance: 50% }"),
        /^eval\.metrics\.loss\.tolerance: tolerance applies to a secondary metric/,
      ],
      [
        `${two}decide: { primary: loss }\n`.replace(
          "acc: { goal: maximize }",
          "acc: { goal: maximize, tolerance: double }",
        ),
        /^eval\.metrics\.acc\.tolerance: tolerance must be a percentage like "100%"/,
      ],
      [`${minimal}checks: { command: "" }\n`, /^checks\.command: must not be empty/],
      [
        `${minimal}decide: { screen_sd: 3 }\n`,
        /^decide\.screen_sd: decide\.screen_sd must be between 0 and 2 standard deviations/,
      ],
      [
        `${minimal}decide: { screen_sd: { at: 1, second_look: { from: 1.5, mean: 1 } } }\n`,
        /^decide\.screen_sd\.second_look\.from: decide\.screen_sd\.second_look\.from is where a first run under the screen gets a second run: it must be at least 0 and under at \(1\), e\.g\. 0$/,
      ],
      [
        `${minimal}decide: { screen_sd: { at: 1.5, second_look: { from: 0.5, mean: 4 } } }\n`,
        /^decide\.screen_sd\.second_look\.mean: .* between 0 and 2 standard deviations, e\.g\. 1\.25$/,
      ],
      [
        `${minimal}decide: { screen_sd: { at: 1.5 } }\n`,
        /^decide\.screen_sd: decide\.screen_sd must be auto .* or \{ at: 1\.5, second_look: \{ from: 0\.5, mean: 1\.25 \} \}/,
      ],
    ];
    for (const [text, expected] of cases)
      expect(problems(text), text).toEqual(
        expect.arrayContaining([expect.stringMatching(expected)]),
      );
    const ok = parseConfigText(
      `${two}decide: { rule: weighted, weights: { loss: 0.7, acc: 0.3 } }\n`,
    );
    expect(ok.ok).toBe(true);
    const grey = parseConfigText(
      `${minimal}decide: { screen_sd: { at: 1.5, second_look: { from: 0.5, mean: 1.25 } } }\n`,
    );
    expect(grey.ok && grey.config.decide.screen_sd).toEqual({
      at: 1.5,
      second_look: { from: 0.5, mean: 1.25 },
    });
  });

  it("reports YAML syntax errors with a line number", () => {
    expect(problems("name: t\ntarget: [a\n")[0]).toMatch(/^line \d+: YAML syntax/);
    // A key indented under a value: the span runs onto the line it is on, and the lines are shown.
    const indented = problems("name: v\n  target: [train.py]\neval: x\n");
    expect(indented).toContain(
      "lines 1-2: YAML syntax: Implicit keys need to be on a single line\n      | name: v\n      |       ^",
    );
    expect(indented.join("\n")).not.toMatch(/at line \d+, column \d+/);
  });

  it("checks globs against the committed files", () => {
    const config = {
      target: ["train.js", "src/**/*.py"],
      frozen: ["eval.js"],
      instructions: "program.md",
    };
    const { problems: p1, warnings } = checkScopeFiles(
      config,
      ["train.js", "eval.js"],
      ["src/a.py"],
    );
    expect(p1).toEqual([
      {
        path: "target.1",
        message: expect.stringContaining("matches only uncommitted files (src/a.py)"),
      },
    ]);
    expect(warnings[0]?.path).toBe("instructions");
    const { problems: p2 } = checkScopeFiles({ ...config, target: ["*.js"] }, [
      "train.js",
      "eval.js",
    ]);
    expect(p2[0]?.message).toContain("eval.js is both target and frozen");
    const { problems: p3 } = checkScopeFiles({ ...config, target: ["nope.js"] }, ["train.js"]);
    expect(p3[0]?.message).toContain("matches no file in the repository");
  });

  it("warns of a script the eval command names that the repository lacks", () => {
    const config = { target: ["train.js"], frozen: [], instructions: "program.md" };
    const files = ["train.js", "eval.js", "program.md", "tools/score.py"];
    const warned = (command: string | string[], untracked: string[] = []) =>
      checkScopeFiles({ ...config, eval: { command } }, files, untracked).warnings.map(
        (w) => `${w.path}: ${w.message}`,
      );
    expect(warned("node evl.js")).toEqual([
      "eval.command: names evl.js, which is not a file in the repository (did you mean eval.js?): the baseline would fail to run it",
    ]);
    expect(warned(["python3", "bench.py"], ["bench.py"])).toEqual([
      "eval.command: bench.py is not committed: experiments start from a commit, so commit it first",
    ]);
    // Found, or not a script's name: nothing to say.
    expect(warned("node ./eval.js --runs 3 && python3 tools/score.py")).toEqual([]);
    expect(warned("uv run train.js; echo done")).toEqual([]);
  });
});

describe("a required field left out", () => {
  it("says it is required and what it is for, once", () => {
    const found = problems("name: t\ntaget: [train.js]\n");
    expect(found).toContain(
      "target: is required: the files the agent may change, e.g. `target: [train.py]`",
    );
    const evalLine = found.find((p) => p.startsWith("eval: "))!;
    expect(evalLine).toMatch(/^eval: is required: \{ command: /);
    expect(evalLine).not.toMatch(/is required.*is required/);
    // A field inside eval said it twice: "eval.command: is required: is required: a string...".
    const command = problems(
      "name: t\ntarget: [a.py]\neval: { metrics: { s: { goal: maximize } } }\n",
    );
    expect(command).toContain(
      'eval.command: is required: a string like "node eval.js" or an argv array like ["node", "eval.js"]',
    );
  });
});

describe("config messages say what was written and what was meant", () => {
  const withEval = (evalBody: string, rest = "") =>
    `name: t\ntarget: [train.js]\neval:\n${evalBody}${rest}`;

  it.each([
    [
      withEval("  command: c\n  repeats: two\n  metrics: { loss: { goal: minimize } }\n"),
      'eval.repeats: expected a number, got "two"',
    ],
    [
      withEval(
        "  command: c\n  metrics: { loss: { goal: minimize } }\n",
        "decide: { baseline_runs: 2.5 }\n",
      ),
      "decide.baseline_runs: expected a whole number, got 2.5",
    ],
    [
      withEval(
        "  command: c\n  metrics: { loss: { goal: minimize } }\n",
        "budget: { experiments: true }\n",
      ),
      "budget.experiments: expected a number, got true",
    ],
    [
      withEval(
        "  command: c\n  metrics: { loss: { goal: minimize } }\n",
        "decide: { confidence: high }\n",
      ),
      'decide.confidence: expected a number, got "high": confidence must be a number between 0 and 1, e.g. 0.95',
    ],
    [
      "name: t\ntarget: 5\neval: { command: c, metrics: { loss: { goal: minimize } } }\n",
      'target: expected a glob like "train.py" or a list of globs, got 5',
    ],
  ])("a wrong type is not reported as missing: %#", (text, message) => {
    expect(problems(text)).toContain(message);
  });

  it.each([
    [
      "agent: { use: serach }\n",
      'agent.use: agent.use must be one of: search, command, claude-code, codex, aider, openai, anthropic (you wrote "serach": did you mean `search`?)',
    ],
    [
      "agent: { use: claude }\n",
      'agent.use: agent.use must be one of: search, command, claude-code, codex, aider, openai, anthropic (you wrote "claude": did you mean `claude-code`?)',
    ],
    [
      "decide: { min_delta: -0.0005 }\n",
      "decide.min_delta: min_delta is an improvement size, so it must be >= 0 (the goal sets the direction) (you wrote -0.0005)",
    ],
  ])("a message of ours says what was written, and the choice meant: %#", (rest, message) => {
    const text = withEval("  command: c\n  metrics: { loss: { goal: minimize } }\n", rest);
    expect(problems(text)).toEqual([message]);
  });

  it.each([
    ["budget: { experiments: -5 }\n", "budget.experiments: must be at least 1, got -5"],
    ["budget: { eval_runs: 0 }\n", "budget.eval_runs: must be at least 1, got 0"],
    ["budget: { eval_runs: 1e9 }\n", "budget.eval_runs: must be at most 10000000, got 1000000000"],
    ["decide: { baseline_runs: -2 }\n", "decide.baseline_runs: must be at least 1, got -2"],
    [
      "decide: { baseline_runs: 1000000 }\n",
      "decide.baseline_runs: must be at most 50, got 1000000",
    ],
  ])("a number out of range names the bound and the value written: %#", (rest, message) => {
    const text = withEval("  command: c\n  metrics: { loss: { goal: minimize } }\n", rest);
    expect(problems(text)).toEqual([message]);
  });

  it.each([
    [
      "  comand: node eval.js\n  metrics: { loss: { goal: minimize } }\n",
      "",
      "eval: unknown field `comand`: did you mean `command`?",
    ],
    [
      "  command: c\n  metrics: { loss: { goal: minimize, gaurd: { max: 1 } } }\n",
      "",
      "eval.metrics.loss: unknown field `gaurd`: did you mean `guard`?",
    ],
    [
      "  command: c\n  metrics: { loss: { goal: minimize } }\n",
      "budgte: { experiments: 3 }\n",
      "(top level): unknown field `budgte`: did you mean `budget`?",
    ],
    [
      "  command: c\n  metrics: { loss: { goal: minimize } }\n",
      "agent: { use: openai, modle: x }\n",
      "agent: unknown field `modle`: did you mean `model`?",
    ],
    [
      "  command: c\n  metrics: { loss: { goal: minimize } }\n",
      "isolation: { netwrk: false }\n",
      "isolation: unknown field `netwrk`: did you mean `network`?",
    ],
    [
      "  command: c\n  metrics: { loss: { goal: maximze } }\n",
      "",
      'eval.metrics.loss.goal: goal must be `minimize` or `maximize` (`minimise` and `maximise` work too), got "maximze": did you mean `maximize`?',
    ],
  ])("a misspelling gets a suggestion: %#", (evalBody, rest, message) => {
    expect(problems(withEval(evalBody, rest))).toContain(message);
  });

  it("an unknown field with nothing close lists the fields that exist there", () => {
    expect(
      problems(
        withEval("  command: c\n  metrics: { loss: { goal: minimize } }\n", "decide: { zzz: 1 }\n"),
      )[0],
    ).toMatch(
      /^decide: unknown field `zzz`: the fields here are `rule`, `min_delta`, `baseline_runs`/,
    );
  });

  it("accepts the British spellings the README uses: maximise, minimise", () => {
    const result = parseConfigText(
      "name: t\ntarget: [a]\neval:\n  command: c\n  metrics:\n    acc: { goal: maximise }\n    ms: { goal: minimise, tolerance: 10% }\ndecide: { primary: acc }\n",
    );
    expect(result.ok && result.config.eval.metrics).toEqual({
      acc: { goal: "maximize" },
      ms: { goal: "minimize", tolerance: "10%" },
    });
  });

  it("keeps the fields added for the sandbox: isolation and eval.pass_env", () => {
    const result = parseConfigText(
      `${minimal.replace("  metrics:", "  pass_env: [HF_TOKEN]\n  metrics:")}isolation: { mode: none, read_only: [~/.cache/autoresearch] }\n`,
    );
    expect(result.ok && result.config.eval.pass_env).toEqual(["HF_TOKEN"]);
    expect(result.ok && result.config.isolation.read_only).toEqual(["~/.cache/autoresearch"]);
  });
});

describe("limits validate refuses before anything runs", () => {
  it("refuses a timeout longer than a timer can hold", () => {
    const found = problems(
      minimal.replace("command: node eval.js", "command: node eval.js\n  timeout: 600h"),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^eval\.timeout: must be at most 24 days/);
  });

  it("refuses metric names that are built-in JavaScript properties", () => {
    // YAML reads a `__proto__` key as the prototype: no metric is left, which is refused too.
    expect(problems(minimal.replace("loss:", "__proto__:"))[0]).toMatch(/^eval\.metrics: /);
    for (const name of ["constructor", "toString", "hasOwnProperty"]) {
      const found = problems(minimal.replace("loss:", `${name}:`));
      expect(
        found.some((p) => p.includes("built-in JavaScript property")),
        name,
      ).toBe(true);
    }
  });

  it("refuses frozen and target globs outside the repository", () => {
    for (const glob of ["../harness.py", "/etc/passwd", "data/../../x"]) {
      const found = problems(`${minimal}frozen: [${JSON.stringify(glob)}]\n`);
      expect(found).toEqual([
        expect.stringMatching(/^frozen\.0: a glob names files inside the repository/),
      ]);
    }
    expect(problems(minimal.replace("[train.js]", "[../train.js]"))).toEqual([
      expect.stringMatching(/^target\.0: /),
    ]);
  });
});
