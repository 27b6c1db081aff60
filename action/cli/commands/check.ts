import { resolve } from "node:path";
import { Git } from "../../git/git.ts";
import { AutoexpError } from "../../util/errors.ts";
import { jsonLine } from "../../util/record-field.ts";
import { inertTerminal } from "../../util/terminal-inert.ts";
import { JSON_OPTION, positiveInt, readValidConfig } from "../args.ts";
import { checkEval } from "../check.ts";
import { defineCommand } from "../command.ts";

export const checkCommand = defineCommand({
  name: "check",
  summary: "run the eval N times here: metrics parse? noise, time per run, what can be detected",
  details: `Runs the eval on the current tree, as a batch would, and reports whether every metric
parsed each time, each metric's mean and sd, the time per run, the experiments per hour to
expect, the min_delta that \`auto\` would choose, and whether an improvement of --effect can be
told from the noise. Each run's stdout and stderr are shown apart, with a warning when stderr
shows errors. An \`openai\` or \`anthropic\` agent is first called for one token, as a batch does
before its baseline. Exit 1 when a run did not print every metric or that call shows the agent
cannot work. --json: each line of the report as {"type":"check","level":"problem"|"warning"|"info",
"text"} (the power lines add "power": the rule simulated and, per screen, its figures), then
{"type":"done","exitCode"}.`,
  options: {
    config: { type: "string", value: "F", default: "autoexp.yml", help: "the config file" },
    runs: { type: "string", value: "N", help: "eval runs (default max(3, decide.baseline_runs))" },
    effect: {
      type: "string",
      value: "X",
      help: "the size of an improvement you hope to see, in the primary metric's units (the goal sets its direction: 0.01 and -0.01 are the same)",
    },
    ...JSON_OPTION,
  },
  async run({ values }, io) {
    const config = await readValidConfig(resolve(io.cwd, values.config), values.config);
    const runs = positiveInt("runs", values.runs) ?? Math.max(3, config.decide.baseline_runs);
    if (runs < 2) throw new AutoexpError("--runs must be at least 2 to measure noise");
    let effect: number | undefined;
    if (values.effect !== undefined) {
      effect = Number(values.effect);
      if (!Number.isFinite(effect) || effect === 0)
        throw new AutoexpError(
          `--effect must be a non-zero number in the primary metric's units, got ${JSON.stringify(values.effect)}`,
        );
    }
    const repo = await new Git(io.cwd, io.env).topLevel().catch(() => null);
    const dir = repo ? repo.trim() : io.cwd;
    // --json: every line a finding, its level read from how check words it (PROBLEM, WARNING).
    const say = values.json
      ? (line: string, data?: Record<string, unknown>) => {
          if (line.trim() === "") return;
          const level = /^PROBLEM\b|^run \d+\/\d+: FAILED\b/.test(line)
            ? "problem"
            : /^(warning|FLAKY)\b/i.test(line)
              ? "warning"
              : "info";
          io.out(jsonLine({ type: "check", level, text: line, ...data }));
        }
      : (line: string) => io.out(inertTerminal(line)); // the eval's output is in it
    say(
      `autoexp check: running \`${typeof config.eval.command === "string" ? config.eval.command : config.eval.command.join(" ")}\` ${runs} times, each in a fresh copy of ${dir}'s tracked files`,
    );
    const exitCode = await checkEval({
      config,
      dir,
      runs,
      env: io.env,
      out: say,
      ...(effect !== undefined ? { effect } : {}),
    });
    if (values.json) io.out(jsonLine({ type: "done", exitCode }));
    return exitCode;
  },
});
