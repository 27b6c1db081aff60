import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ProposeContext } from "./agent.ts";

/** A plain prompt for CLI agents: the human's direction, the goal, the scope, what was tried. */
export async function renderPrompt(context: ProposeContext): Promise<string> {
  const program = await readFile(join(context.worktree, context.config.instructions), "utf8").catch(
    () => "",
  );
  const recent = context.history
    .slice(-20)
    .map(
      (r) =>
        `- #${r.iteration} ${r.status}${r.score !== null ? ` ${context.metric}=${r.score}` : ""}: ${r.description}`,
    );
  return [
    "# Your task",
    `Make ONE change to the files you may edit that improves \`${context.metric}\` (${context.goal}). Do not ask questions; do not commit.`,
    `Current best: ${context.metric} = ${context.incumbentScore}. Experiments left in this batch: ${context.experimentsLeft}.`,
    "",
    "## Files you may edit",
    ...context.targetFiles.map((f) => `- ${f}`),
    "",
    "## Research direction (program.md)",
    program.trim() || "(none given)",
    "",
    "## Recent experiments",
    ...(recent.length > 0 ? recent : ["(none yet)"]),
    "",
    "Write a one-line description of your change to the file named by $AUTOEXP_DESCRIPTION_FILE.",
    "",
  ].join("\n");
}
