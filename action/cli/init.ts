import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, delimiter, dirname, join, relative } from "node:path";
import { Git } from "../git/git.ts";
import { AutoexpError } from "../util/errors.ts";
import { findTemplates } from "./find-templates.ts";
import { agentKeys, jobTimeout, matrixWorkflow } from "./init-workflow.ts";

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
  /** K: the experiment job as a matrix of K shards on K GPU runners (see init-workflow.ts). */
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
  /** The user's own eval, used instead of the template's, and what init read in it. */
  adopted?: { file: string; notes: string[] };
  /** Written files that are a sample to replace (prompt-optimisation's data/eval.jsonl). */
  samples: string[];
  /** What init did to .gitignore, and dependency folders the commit would still hold. */
  gitignore: { added: string[]; warnings: string[] };
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
  /** The user's eval init adopts when it is there (unless --force): its file and its metric. */
  adoptable?: { file: string; metric: string };
  /** Written files that are a sample dataset, to be replaced. */
  samples?: string[];
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
    adoptable: { file: "eval.sh", metric: "val_bpb" },
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
    adoptable: { file: "bench.py", metric: "time_ms" },
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
    adoptable: { file: "run_eval.py", metric: "accuracy" },
    samples: ["data/eval.jsonl"],
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
  // The user's own eval is adopted, not refused: the config runs it and freezes it and the data
  // beside it; the template's eval and sample data are not written.
  const adopt =
    plan.adoptable && !options.force && present.includes(plan.adoptable.file)
      ? plan.adoptable
      : undefined;
  const adoptedData = adopt ? await findDataFiles(options.dir, present) : [];
  const frozen = adopt
    ? [adopt.file, ...adoptedData, ...plan.frozenIfPresent.filter((f) => present.includes(f))]
    : [...plan.frozenAlways, ...plan.frozenIfPresent.filter((f) => present.includes(f))];
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
  for (const path of await listFilesDeep(programDir)) {
    if (adopt && path !== "autoexp.yml") continue;
    files[path] = fill(await readFile(join(programDir, path), "utf8"));
  }
  files[plan.programFile] = await readFile(
    join(templates, "program", `${plan.programTemplate}.md`),
    "utf8",
  );
  const workflow = agentKeys(
    fill(await readFile(join(templates, "init", "workflow.yml"), "utf8")),
    agent.use,
  );
  files[".github/workflows/autoexp.yml"] = jobTimeout(
    options.shards === undefined ? workflow : matrixWorkflow(workflow, options.shards),
    files["autoexp.yml"] ?? "",
  );

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
  const gitignore = await extendGitignore(options.dir, options.env);
  return {
    program,
    written: Object.keys(files).map((f) => relative(options.dir, join(options.dir, f))),
    found: adopt ? [...found, adopt.file, ...adoptedData] : found,
    ...(adopt
      ? {
          adopted: {
            file: adopt.file,
            notes: readEvalPrints(
              adopt.file,
              await readFile(join(options.dir, adopt.file), "utf8"),
              adopt.metric,
            ),
          },
        }
      : {}),
    samples: (plan.samples ?? []).filter((f) => f in files),
    gitignore,
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

/** The data an adopted eval reads, as far as init can tell: data/ and top-level data files. */
async function findDataFiles(dir: string, present: readonly string[]): Promise<string[]> {
  const data = present.filter((f) => /\.(?:jsonl?|csv|tsv|parquet|txt)$/i.test(f));
  const folders = (await readdir(dir, { withFileTypes: true }).catch(() => []))
    .filter((e) => e.isDirectory() && /^(?:data|datasets?)$/i.test(e.name))
    .map((e) => `${e.name}/**`);
  return [...folders, ...data.filter((f) => !/^requirements.*\.txt$/i.test(f))];
}

/**
 * What an adopted eval prints, read from its source: whether the metric the config expects is
 * printed in a form autoexp reads (`accuracy: 0.583`), printed as a percentage it does not
 * read, or not found at all. One line each, for init to show.
 */
export function readEvalPrints(file: string, source: string, metric: string): string[] {
  const line = new RegExp(`["'\`]\\s*${metric}\\s*[:=]([^"'\`\\n]*)`, "i").exec(source);
  if (!line)
    return [
      `${file}: no \`${metric}:\` line found in what it prints. autoexp reads \`${metric}: <number>\` (or \`${metric} = <number>\`, \`{"${metric}": ...}\`): make it print one, or rename the metric in eval.metrics`,
    ];
  const after = line[1]!;
  if (after.includes("%"))
    return [
      `${file} prints ${metric} as a percentage (\`${line[0]!.slice(1).trim()}\`), which autoexp does not read (58.3 or 0.583?): make it print \`${metric}: <fraction>\`, e.g. \`print(f"${metric}: {correct / total:.4f}")\``,
    ];
  return [
    `${file} prints \`${metric}:\`, which autoexp reads as the metric (check it with \`npx autoexp check\`)`,
  ];
}

/** What never belongs in the commits autoexp copies to every checkout and slot. */
const IGNORED = ["node_modules/", ".venv/", "venv/", "__pycache__/"];

/**
 * Writes .gitignore, or adds to it what it lacks of IGNORED and of the virtualenvs found here
 * (any folder holding pyvenv.cfg); warns about dependency folders git already tracks.
 */
async function extendGitignore(
  dir: string,
  env: Record<string, string | undefined>,
): Promise<{ added: string[]; warnings: string[] }> {
  const path = join(dir, ".gitignore");
  const text = await readFile(path, "utf8").catch(() => "");
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim().replace(/^\//, "")));
  const venvs = (await readdir(dir, { withFileTypes: true }).catch(() => []))
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "pyvenv.cfg")))
    .map((e) => `${e.name}/`);
  const added = [...new Set([...IGNORED, ...venvs])].filter(
    (p) => !have.has(p) && !have.has(p.slice(0, -1)),
  );
  if (added.length > 0) {
    const sep = text === "" || text.endsWith("\n") ? "" : "\n";
    await writeFile(path, `${text}${sep}${added.join("\n")}\n`);
  }
  const warnings: string[] = [];
  const files = await new Git(dir, env).listFiles().catch(() => [] as string[]);
  const top = new Set(files.map((f) => `${f.split("/")[0]}/`));
  const tracked = [...IGNORED, ...venvs].filter((f) => top.has(f));
  if (tracked.length > 0)
    warnings.push(
      `git already tracks ${tracked.join(", ")}: dependencies would be copied into every agent checkout and eval slot. Untrack them: git rm -r --cached ${tracked.join(" ")}`,
    );
  return { added, warnings };
}
