import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { AutoexpError } from "../util/errors.ts";
import { findTemplates } from "./find-templates.ts";

export const PROGRAMS = ["ml-training", "performance", "prompt-optimisation"] as const;

/** The Action as the generated workflow uses it: this package's version, pinned. */
export const ACTION_REF = "autoexp/autoexp@v0.1.0";

export interface InitOptions {
  dir: string;
  program: (typeof PROGRAMS)[number];
  force: boolean;
  name?: string;
}

/**
 * Writes a starting point into a repository: autoexp.yml, program.md, eval.sh and the workflow.
 * Nothing is overwritten unless `force`; when anything is in the way, nothing is written.
 */
export async function initRepo(options: InitOptions): Promise<string[]> {
  const templates = findTemplates();
  const name =
    (options.name ?? basename(options.dir))
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40) || "research";
  const fill = (text: string) =>
    text
      .replaceAll("__NAME__", name)
      .replaceAll("__ACTION__", ACTION_REF)
      .replaceAll("__CONFIG__", "autoexp.yml");
  const files: Record<string, string> = {
    "autoexp.yml": fill(await readFile(join(templates, "init", "autoexp.yml"), "utf8")),
    "program.md": await readFile(join(templates, "program", `${options.program}.md`), "utf8"),
    "eval.sh": await readFile(join(templates, "init", "eval.sh"), "utf8"),
    ".github/workflows/autoexp.yml": fill(
      await readFile(join(templates, "init", "workflow.yml"), "utf8"),
    ),
  };
  const existing = Object.keys(files).filter((f) => existsSync(join(options.dir, f)));
  if (existing.length > 0 && !options.force) {
    throw new AutoexpError(
      `init would overwrite ${existing.join(", ")} in ${options.dir}; nothing was written. Move them aside, or run \`autoexp init --force\` to replace them`,
    );
  }
  for (const [path, content] of Object.entries(files)) {
    const full = join(options.dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content, path === "eval.sh" ? { mode: 0o755 } : undefined);
  }
  return Object.keys(files).map((f) => relative(options.dir, join(options.dir, f)));
}
