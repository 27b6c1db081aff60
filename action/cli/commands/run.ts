import { resolve } from "node:path";
import { dependenciesWarning, trackedDependencies } from "../../engine/materialise.ts";
import { Git } from "../../git/git.ts";
import { defaultTag, validateTag } from "../../util/errors.ts";
import { OUTPUT_OPTIONS, positiveInt, readValidConfig, requireRepository } from "../args.ts";
import { defineCommand } from "../command.ts";
import { runAndReport } from "../run-and-report.ts";

export const runCommand = defineCommand({
  name: "run",
  batch: true,
  summary: "run a batch of experiments on branch autoexp/<tag>; the same tag again resumes",
  details: `The default tag is <name>-<YYYYMMDD>, the UTC date twelve hours ago, so the batches of one
night share a tag. Resuming a tag whose metrics, goals, rule, eval command, targets or frozen
files changed is refused: start a new --tag, or pass --accept-config-change (recorded in the
ledger; the incumbent is measured again under the new config).

Resuming goes on only from the branch head autoexp last wrote (its journal in
.git/autoexp/<tag>/ is signed with a key in ~/.local/state/autoexp): a branch moved by
anything else, an unsigned journal (an older autoexp) or none (a fresh clone) is refused;
--adopt goes on from it after checking every kept commit on it.

Ctrl-C stops after the experiment in flight; a second Ctrl-C stops at once.`,
  options: {
    config: { type: "string", value: "F", default: "autoexp.yml", help: "the config file" },
    tag: {
      type: "string",
      value: "T",
      help: "the tag: branch autoexp/<tag> (default <name>-<date>)",
    },
    experiments: {
      type: "string",
      value: "N",
      help: "experiments in this batch (default budget.experiments)",
    },
    "accept-config-change": {
      type: "boolean",
      help: "resume a tag although its config changed in a way that changes decisions",
    },
    adopt: {
      type: "boolean",
      help: "go on from a branch autoexp cannot prove it wrote, after checking its kept commits",
    },
    ...OUTPUT_OPTIONS,
  },
  async run({ values }, io) {
    const experiments = positiveInt("experiments", values.experiments);
    await requireRepository(io.cwd, io.env);
    const config = await readValidConfig(resolve(io.cwd, values.config), values.config);
    const deps = await trackedDependencies(new Git(io.cwd, io.env), "HEAD").catch(() => null);
    if (deps) io.err(`warning: ${dependenciesWarning(deps)}`);
    const tag = validateTag(values.tag ?? defaultTag(config.name));
    return runAndReport(io, {
      repoDir: io.cwd,
      config,
      tag,
      acceptConfigChange: values["accept-config-change"],
      adopt: values.adopt,
      output: { quiet: values.quiet, json: values.json },
      ...(experiments ? { experiments } : {}),
    });
  },
});
