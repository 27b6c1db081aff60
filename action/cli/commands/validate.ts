import { resolve } from "node:path";
import { agentProblem } from "../../agents/create-agent.ts";
import { checkScopeFiles } from "../../config/check-scope-files.ts";
import { formatProblems } from "../../config/validate-config.ts";
import { objectiveSpecs } from "../../decide/ledger-state.ts";
import { loadConfig } from "../../files/load-config.ts";
import { Git } from "../../git/git.ts";
import { defineCommand } from "../command.ts";

export const validateCommand = defineCommand({
  name: "validate",
  summary: "check a config: every problem with its field and a fix; writes nothing",
  details: `Inside a git repository it also checks that every target and frozen glob matches a
committed file, and names the file to create or commit when one does not.`,
  options: {
    config: { type: "string", value: "F", default: "autoexp.yml", help: "the config file" },
  },
  async run({ values }, io) {
    const result = await loadConfig(resolve(io.cwd, values.config));
    if (!result.ok) {
      io.err(formatProblems(values.config, result.problems));
      return 2;
    }
    const { config } = result;
    const repo = new Git(io.cwd, io.env);
    const committed = await repo.listFiles().catch(() => null);
    if (committed) {
      const untracked = await repo.untrackedFiles();
      const { problems, warnings } = checkScopeFiles(config, committed, untracked);
      for (const w of warnings) io.err(`warning: ${w.path}: ${w.message}`);
      if (problems.length > 0) {
        io.err(formatProblems(values.config, problems));
        return 2;
      }
    } else {
      io.err(
        "warning: not inside a git repository, so targets and frozen files were not checked (autoexp runs only in a repository)",
      );
    }
    // Not fatal here: a config is often checked on a machine that will not run the agent.
    const agentIssue = agentProblem(config.agent, io.env);
    if (agentIssue) io.err(`warning: ${agentIssue}`);
    const [primary, ...others] = objectiveSpecs(config);
    const rule =
      others.length > 0 || config.decide.rule !== "primary" ? ` (rule ${config.decide.rule})` : "";
    io.out(
      `${values.config} is valid: ${primary!.name} (${primary!.goal})${rule}, target ${config.target.join(", ")}, frozen ${config.frozen.join(", ") || "(none)"}, agent ${config.agent.use}, ${config.budget.experiments} experiments per batch`,
    );
    return 0;
  },
});
