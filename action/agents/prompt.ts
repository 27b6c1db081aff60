import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ProposeContext, Usage } from "./agent.ts";
import { buildContext } from "./context/build-context.ts";
import type { ContextInput } from "./context/context-input.ts";
import { logsDirOf, readCurves } from "./context/read-curves.ts";
import { lineBrief, programForLine } from "./line.ts";

/** The target files' current text (a file that cannot be read as text is left out). */
export async function readTargets(
  context: ProposeContext,
): Promise<{ path: string; text: string }[]> {
  const files = await Promise.all(
    context.targetFiles.map(async (path) => {
      const text = await readFile(join(context.worktree, path), "utf8").catch(() => null);
      return text === null || text.includes("\0") ? null : { path, text };
    }),
  );
  return files.filter((f) => f !== null);
}

/** The shared context (see context.ts) for this proposal. */
export async function promptFor(
  context: ProposeContext,
  protocol: ContextInput["protocol"],
  maxChars: number,
  files?: readonly { path: string; text: string }[],
): Promise<string> {
  const text = await readFile(join(context.worktree, context.config.instructions), "utf8").catch(
    () => "",
  );
  const own = programForLine(text, context.line);
  const program = context.line ? `${lineBrief(context.line)}\n\n${own}` : own;
  const curves = await readCurves(logsDirOf(context.scratchDir), context.history, context.metric);
  return buildContext({
    metric: context.metric,
    goal: context.goal,
    incumbentScore: context.incumbentScore,
    header: context.header,
    results: context.history,
    program,
    files: files ?? (await readTargets(context)),
    notes: context.notes,
    ...(context.pending?.length ? { pending: context.pending } : {}),
    ...(context.imported?.length ? { imported: context.imported } : {}),
    ...(curves.length ? { curves } : {}),
    ...(context.branch ? { branch: context.branch } : {}),
    budget: context.budget,
    maxChars,
    protocol,
  });
}

/** USD for the tokens used, at the configured price per million tokens (0 without a price). */
export function priceOf(
  usage: Usage | undefined,
  price: { input: number; output: number } | undefined,
): number {
  if (!usage || !price) return 0;
  return (usage.input * price.input + usage.output * price.output) / 1_000_000;
}

/** The last 20 prompts and answers stay in the state folder for debugging; older ones go. */
export async function pruneScratch(dir: string, iteration: number, keep = 20): Promise<void> {
  const old = iteration - keep;
  if (old < 1) return;
  for (const name of [`prompt-${old}.md`, `answer-${old}.md`, `agent-${old}.log`])
    await rm(join(dir, name), { force: true });
}
