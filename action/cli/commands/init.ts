import { Git } from "../../git/git.ts";
import { AutoexpError } from "../../util/errors.ts";
import { defineCommand } from "../command.ts";
import { initRepo, PROGRAMS, type Program } from "../init.ts";

export const initCommand = defineCommand({
  name: "init",
  summary: "write autoexp.yml, program.md, an eval and the workflow, fitted to the program",
  details: `Programs (each writes a config, an eval and a program.md that agree):
  ml-training          train.py prints val_bpb and peak_vram_mb; eval.sh runs it
  performance          bench.py times solution.py's solve() and checks every answer
  prompt-optimisation  run_eval.py scores agent.py's answer() over data/eval.jsonl
In a karpathy/autoresearch checkout (train.py, prepare.py, program.md) init adopts it: train.py
runs unchanged with \`uv run train.py\`, prepare.py is frozen, its data cache is read-only.
An eval already there (run_eval.py, bench.py, eval.sh, as the program names it) is adopted:
the config runs it, init reads what it prints and says whether autoexp can read it. init writes
or extends .gitignore (node_modules, .venv, venv, __pycache__, virtualenvs found here). Your own
code is never written: init names the file to create. Nothing is overwritten unless --force
(which also replaces an eval that is there).`,
  options: {
    program: {
      type: "string",
      value: "P",
      help: `${PROGRAMS.join(" | ")} (default: what is here, else ml-training)`,
    },
    name: { type: "string", value: "N", help: "the program's name (default: the folder's name)" },
    force: { type: "boolean", help: "replace files that are already there" },
    shards: {
      type: "string",
      value: "K",
      help: "the workflow runs K shards on K self-hosted GPU runners (a matrix), published together",
    },
  },
  async run({ values }, io) {
    const program = values.program as Program | undefined;
    if (program !== undefined && !PROGRAMS.includes(program)) {
      throw new AutoexpError(
        `--program must be one of ${PROGRAMS.join(", ")}, not ${JSON.stringify(values.program)}`,
      );
    }
    const shards = values.shards === undefined ? undefined : Number(values.shards);
    if (values.shards !== undefined && !/^\d+$/.test(values.shards))
      throw new AutoexpError(
        `--shards must be a whole number from 2 to 16 (one GPU runner each), not ${JSON.stringify(values.shards)}`,
      );
    const result = await initRepo({
      dir: io.cwd,
      force: values.force,
      env: io.env,
      ...(program ? { program } : {}),
      ...(values.name ? { name: values.name } : {}),
      ...(shards !== undefined ? { shards } : {}),
    });
    const lines = [
      result.program === "autoresearch"
        ? "autoexp init: a karpathy/autoresearch checkout (train.py, prepare.py, program.md): train.py runs unchanged"
        : `autoexp init: program ${result.program}`,
      `wrote ${result.written.join(", ")}`,
    ];
    if (result.found.length > 0) lines.push(`uses what is here: ${result.found.join(", ")}`);
    if (result.adopted)
      lines.push(
        `adopted your eval ${result.adopted.file}: autoexp.yml runs it as it is and freezes it (the template's eval and sample data were not written)`,
        ...result.adopted.notes.map((n) => `  ${n}`),
      );
    for (const sample of result.samples)
      lines.push(
        `${sample} is a SAMPLE dataset (support tickets) so that the loop runs at once: replace it with your own cases`,
      );
    if (result.gitignore.added.length > 0)
      lines.push(
        `.gitignore: added ${result.gitignore.added.join(", ")} (dependencies never go into the commits every checkout copies)`,
      );
    for (const w of result.gitignore.warnings) lines.push(`warning: ${w}`);
    if (result.program === "autoresearch")
      lines.push(
        "your program.md tells an agent to run the loop itself; autoexp runs the loop, so the agent gets autoexp-program.md: put your research direction there",
      );
    lines.push(`agent: ${result.agent.use} (${result.agent.why})`);
    for (const file of result.create) lines.push(`create ${file.path}: ${file.what}`);
    // Outside a repository the commit fails: autoexp runs on commits, so git init comes first.
    const inRepo = (await new Git(io.cwd, io.env).topLevel().catch(() => null)) !== null;
    lines.push(
      "next:",
      `  ${result.create.length > 0 ? `create ${result.create.map((f) => f.path).join(", ")}, then ` : ""}${inRepo ? "" : "git init && "}git add -A && git commit -m "autoexp setup"${inRepo ? "" : "   # not a git repository yet: autoexp runs on commits"}`,
      "  npx autoexp validate   # the config, and that every file it names is committed",
      "  npx autoexp check      # runs the eval a few times: does it parse, how noisy is it",
      "  npx autoexp run        # a batch of experiments on branch autoexp/<tag>",
    );
    if (result.program === "autoresearch")
      lines.push(
        "  (prepare the data first if you have not: uv run prepare.py; it fills ~/.cache/autoresearch)",
      );
    io.out(lines.join("\n"));
    return 0;
  },
});
