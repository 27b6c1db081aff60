import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, delimiter, dirname, join, relative } from "node:path";
import { AutoexpError } from "../util/errors.ts";
import { findTemplates } from "./find-templates.ts";
import { matrixWorkflow } from "./init-matrix.ts";

export const PROGRAMS = ["ml-training", "performance", "prompt-optimisation"] as const;
export type Program = (typeof PROGRAMS)[number];

/** The Action as the generated workflow uses it: this package's version, pinned. */
export const ACTION_REF = "autoexp/autoexp@v0.1.0";

export interface InitOptions {
  dir: string;
  /** Absent: from what is there (a karpathy/autoresearch checkout), else ml-training. */
  program?: Program;
  force: boolean;
  name?: string;
  env: Record<string, string | undefined>;
  /** K: the experiment job as a matrix of K shards on K GPU runners (see init-matrix.ts). */
  shards?: number;
}

/** A file the program needs that init does not write: the user's own code. */
export interface FileToCreate {
  path: string;
  what: string;
}

export interface InitResult {
  /** ml-training, performance, prompt-optimisation, or autoresearch (an adopted checkout). */
  program: Program | "autoresearch";
  written: string[];
  /** Files already there that the config uses as they are. */
  found: string[];
  create: FileToCreate[];
  agent: { use: string; why: string };
}

interface ProgramPlan {
  /** Folder under templates/init holding the config and the eval. */
  templates: string;
  /** Where templates/program/<name>.md is written. */
  programFile: string;
  programTemplate: string;
  /** The user's files: used when present, named when missing. */
  targets: FileToCreate[];
  /** Present files added to `frozen` (beyond the eval init writes). */
  frozenIfPresent: string[];
  frozenAlways: string[];
}

const PLANS: Record<InitResult["program"], ProgramPlan> = {
  "ml-training": {
    templates: "ml-training",
    programFile: "program.md",
    programTemplate: "ml-training",
    targets: [
      {
        path: "train.py",
        what: "your training script: it trains for a fixed time and ends by printing `val_bpb: <number>` and `peak_vram_mb: <number>` (eval.sh runs it)",
      },
    ],
    frozenIfPresent: ["prepare.py"],
    frozenAlways: ["eval.sh"],
  },
  performance: {
    templates: "performance",
    programFile: "program.md",
    programTemplate: "performance",
    targets: [
      {
        path: "solution.py",
        what: "the code to make faster, defining solve(numbers, target) -> int; bench.py times it and checks every answer against its reference() (or edit bench.py to call your own code)",
      },
    ],
    frozenIfPresent: [],
    frozenAlways: ["bench.py"],
  },
  "prompt-optimisation": {
    templates: "prompt-optimisation",
    programFile: "program.md",
    programTemplate: "prompt-optimisation",
    targets: [
      {
        path: "agent.py",
        what: "your agent, defining answer(text: str) -> str (its prompt and its model call); run_eval.py scores it on data/eval.jsonl",
      },
    ],
    frozenIfPresent: [],
    frozenAlways: ["run_eval.py", "data/**"],
  },
  autoresearch: {
    templates: "autoresearch",
    programFile: "autoexp-program.md",
    programTemplate: "autoresearch",
    targets: [{ path: "train.py", what: "karpathy/autoresearch's train.py" }],
    frozenIfPresent: ["prepare.py", "pyproject.toml", "uv.lock"],
    frozenAlways: [],
  },
};

/** karpathy/autoresearch's layout: the three files its README names. */
export function isAutoresearchCheckout(files: readonly string[]): boolean {
  return ["train.py", "prepare.py", "program.md"].every((f) => files.includes(f));
}

/**
 * Writes a starting point that fits the program: autoexp.yml, the program, the eval and the
 * workflow, filled in from what is already there. Nothing is overwritten unless `force`; when
 * anything is in the way, nothing is written. The user's own code is never written: it is named.
 */
export async function initRepo(options: InitOptions): Promise<InitResult> {
  const templates = findTemplates();
  const present = await listTopFiles(options.dir);
  const program: InitResult["program"] =
    (options.program === undefined || options.program === "ml-training") &&
    isAutoresearchCheckout(present)
      ? "autoresearch"
      : (options.program ?? "ml-training");
  const plan = PLANS[program];
  const name = projectName(options.name ?? basename(options.dir));
  const agent = chooseAgent(options.env);
  const frozen = [...plan.frozenAlways, ...plan.frozenIfPresent.filter((f) => present.includes(f))];
  const python =
    present.includes("uv.lock") || present.includes("pyproject.toml") ? "uv run" : "python3";
  const fill = (text: string) =>
    text
      .replaceAll("__NAME__", name)
      .replaceAll("__ACTION__", ACTION_REF)
      .replaceAll("__CONFIG__", "autoexp.yml")
      .replaceAll("__AGENT__", agent.use)
      .replaceAll("__FROZEN__", `[${frozen.join(", ")}]`)
      .replaceAll("__PYTHON__", python);

  const files: Record<string, string> = {};
  const programDir = join(templates, "init", plan.templates);
  for (const path of await listFilesDeep(programDir))
    files[path] = fill(await readFile(join(programDir, path), "utf8"));
  files[plan.programFile] = await readFile(
    join(templates, "program", `${plan.programTemplate}.md`),
    "utf8",
  );
  const workflow = fill(await readFile(join(templates, "init", "workflow.yml"), "utf8"));
  files[".github/workflows/autoexp.yml"] =
    options.shards === undefined ? workflow : matrixWorkflow(workflow, options.shards);

  const existing = Object.keys(files).filter((f) => existsSync(join(options.dir, f)));
  if (existing.length > 0 && !options.force) {
    throw new AutoexpError(
      `init would overwrite ${existing.join(", ")} in ${options.dir}; nothing was written. Move them aside, or run \`autoexp init --force\` to replace them`,
    );
  }
  for (const [path, content] of Object.entries(files)) {
    const full = join(options.dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content, path.endsWith(".sh") ? { mode: 0o755 } : undefined);
  }
  const found = [
    ...plan.targets.map((t) => t.path),
    ...plan.frozenIfPresent,
    ...(program === "autoresearch" ? ["program.md", "results.tsv"] : []),
  ].filter((f) => present.includes(f));
  return {
    program,
    written: Object.keys(files).map((f) => relative(options.dir, join(options.dir, f))),
    found,
    create: plan.targets.filter((t) => !present.includes(t.path)),
    agent,
  };
}

/** The coding agent to start with: the first CLI tool on PATH, else the offline search agent. */
export function chooseAgent(env: Record<string, string | undefined>): { use: string; why: string } {
  const tools: [string, string][] = [
    ["claude", "claude-code"],
    ["codex", "codex"],
    ["aider", "aider"],
  ];
  for (const [program, use] of tools) {
    const found = onPath(program, env.PATH ?? "");
    if (found) return { use, why: `${program} is installed (${found})` };
  }
  return {
    use: "search",
    why: "the offline agent that tunes the numbers in the target; no claude, codex or aider is installed: for an LLM agent, set agent.use in autoexp.yml (README: Agents)",
  };
}

function onPath(program: string, path: string): string | null {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const full = join(dir, program);
    if (existsSync(full)) return full;
  }
  return null;
}

function projectName(raw: string): string {
  return (
    raw
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40)
      .replace(/-+$/, "") || "research"
  );
}

async function listTopFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

async function listFilesDeep(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFilesDeep(dir, path)));
    else if ((await stat(join(dir, path))).isFile()) out.push(path);
  }
  return out.sort();
}
