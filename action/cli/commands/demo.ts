import { cp, mkdir, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { addAll, commit, configValue, init, setConfig } from "../../git/commands/repo.ts";
import { Git } from "../../git/git.ts";
import { AutoexpError } from "../../util/errors.ts";
import { OUTPUT_OPTIONS, positiveInt, readValidConfig } from "../args.ts";
import { defineCommand } from "../command.ts";
import { findTemplates } from "../find-templates.ts";
import { runAndReport } from "../run-and-report.ts";

export const demoCommand = defineCommand({
  name: "demo",
  batch: true,
  summary:
    "the offline example: a tiny neural network tuned by the search agent (no key, no GitHub)",
  options: {
    dir: {
      type: "string",
      value: "D",
      default: "autoexp-demo",
      help: "a new folder for the example",
    },
    experiments: { type: "string", value: "N", default: "20", help: "experiments to run" },
    ...OUTPUT_OPTIONS,
  },
  async run({ values }, io) {
    const experiments = positiveInt("experiments", values.experiments)!;
    const dir = resolve(io.cwd, values.dir);
    const existing = await readdir(dir).catch(() => []);
    if (existing.length > 0) {
      throw new AutoexpError(
        `${dir} exists and is not empty: choose a new --dir (the demo never writes into existing files)`,
      );
    }
    await mkdir(dir, { recursive: true });
    await cp(join(findTemplates(), "examples", "tiny-train"), dir, { recursive: true });
    const git = new Git(dir, io.env);
    await git.run(init({ branch: "main" }));
    if (!(await git.run(configValue("user.email")))) {
      await git.run(setConfig("user.name", "autoexp demo"));
      await git.run(setConfig("user.email", "demo@autoexp.invalid"));
    }
    await git.run(addAll());
    await git.run(commit("tiny-train example"));
    const human = !values.json && !values.quiet;
    if (human)
      io.out(
        `autoexp demo: a tiny neural network in ${dir}; the search agent tunes train.js, eval.js is frozen`,
      );
    const config = await readValidConfig(join(dir, "autoexp.yml"));
    const code = await runAndReport(io, {
      repoDir: dir,
      config,
      tag: "demo",
      experiments,
      output: { quiet: values.quiet, json: values.json },
    });
    if (human)
      io.out(
        `\nLook at: ${dir} (git log autoexp/demo), the summary: npx autoexp status --tag demo --dir ${dir}, and the record: git -C ${dir} show autoexp/demo:.autoexp/demo/dashboard.md`,
      );
    return code;
  },
});
