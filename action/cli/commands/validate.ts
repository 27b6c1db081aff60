import { resolve } from "node:path";
import { agentProblem } from "../../agents/create-agent.ts";
import { checkScopeFiles } from "../../config/check-scope-files.ts";
import { formatProblems } from "../../config/validate-config.ts";
import { objectiveSpecs } from "../../decide/build-policy.ts";
import { loadConfig } from "../../files/load-config.ts";
import { Git } from "../../git/git.ts";
import { jsonLine } from "../../util/record-field.ts";
import { JSON_OPTION } from "../args.ts";
import { defineCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";

export const validateCommand = defineCommand({
  name: "validate",
  summary: "check a config: every problem with its field and a fix; writes nothing",
  details: `Inside a git repository it also checks that every target and frozen glob matches a
committed file, and names the file to create or commit when one does not. --json: each
problem ({"type":"problem","field",...}) and warning as a JSON line, then {"type":"valid",...}
when it is, then {"type":"done","exitCode"} (the messages stay on stderr as without it).`,
  options: {
    config: { type: "string", value: "F", default: "autoexp.yml", help: "the config file" },
    ...JSON_OPTION,
  },
  async run({ values }, io) {
    const json = (value: Record<string, unknown>) => {
      if (values.json) io.out(jsonLine(value));
    };
    const finish = (exitCode: number) => {
      json({ type: "done", exitCode });
      return exitCode;
    };
    const refuse = (problems: readonly { path: string; message: string }[]) => {
      for (const p of problems) json({ type: "problem", field: p.path, message: p.message });
      io.err(formatProblems(values.config, problems));
      return finish(EXIT.usage);
    };
    const warn = (message: string, field?: string) => {
      json({ type: "warning", ...(field ? { field } : {}), message });
      io.err(`warning: ${field ? `${field}: ` : ""}${message}`);
    };
    const result = await loadConfig(resolve(io.cwd, values.config));
    if (!result.ok) return refuse(result.problems);
    const { config } = result;
    const repo = new Git(io.cwd, io.env);
    const committed = await repo.listFiles().catch(() => null);
    if (committed) {
      const untracked = await repo.untrackedFiles();
      const { problems, warnings } = checkScopeFiles(config, committed, untracked);
      for (const w of warnings) warn(w.message, w.path);
      if (problems.length > 0) return refuse(problems);
    } else {
      warn(
        "not inside a git repository, so targets and frozen files were not checked (autoexp runs only in a repository)",
      );
    }
    // Not fatal here: a config is often checked on a machine that will not run the agent.
    const agentIssue = agentProblem(config.agent, io.env);
    if (agentIssue) warn(agentIssue);
    const [primary, ...others] = objectiveSpecs(config);
    const rule =
      others.length > 0 || config.decide.rule !== "primary" ? ` (rule ${config.decide.rule})` : "";
    const valid = `${values.config} is valid: ${primary!.name} (${primary!.goal})${rule}, target ${config.target.join(", ")}, frozen ${config.frozen.join(", ") || "(none)"}, agent ${config.agent.use}, ${config.budget.experiments} experiments per batch`;
    if (!values.json) io.out(valid);
    json({
      type: "valid",
      config: values.config,
      message: valid,
      objectives: [primary, ...others].map((o) => ({ name: o!.name, goal: o!.goal })),
      rule: config.decide.rule,
      target: config.target,
      frozen: config.frozen,
      agent: config.agent.use,
      experiments: config.budget.experiments,
    });
    return finish(EXIT.ok);
  },
});
