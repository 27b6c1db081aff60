import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readEnd, tailLines } from "../eval/read-tail.ts";
import { runProcess } from "../util/run-process.ts";
import type { Agent, Proposal, ProposeContext } from "./agent.ts";
import { renderPrompt } from "./render-prompt.ts";

/**
 * Any program as the agent: it runs in the worktree with the prompt in $AUTOEXP_PROMPT_FILE, edits
 * files, and describes its change in $AUTOEXP_DESCRIPTION_FILE (or its last line of output).
 */
export function createCommandAgent(options: {
  run: string | readonly string[];
  timeout: number;
}): Agent {
  return {
    name: "command",
    async propose(context: ProposeContext): Promise<Proposal> {
      const promptFile = join(context.scratchDir, "prompt.md");
      const descriptionFile = join(context.scratchDir, "description.txt");
      const logPath = join(context.scratchDir, `agent-${context.iteration}.log`);
      await writeFile(promptFile, await renderPrompt(context));
      await rm(descriptionFile, { force: true });
      await rm(logPath, { force: true });
      const run = await runProcess({
        command: options.run,
        cwd: context.worktree,
        env: {
          ...context.env,
          AUTOEXP_PROMPT_FILE: promptFile,
          AUTOEXP_DESCRIPTION_FILE: descriptionFile,
          AUTOEXP_ITERATION: String(context.iteration),
        },
        timeoutMs: options.timeout,
        logPath,
      });
      const output = tailLines(await readEnd(logPath, 64 * 1024), 10);
      if (run.spawnError) return { ok: false, error: `agent could not start: ${run.spawnError}` };
      if (run.timedOut)
        return {
          ok: false,
          error: `agent killed after its ${Math.round(options.timeout / 1000)}s timeout`,
        };
      if (run.exitCode !== 0) {
        return {
          ok: false,
          error: `agent exited with ${run.signal ?? `code ${run.exitCode}`}: ${output.split("\n").at(-1) ?? ""}`,
        };
      }
      const written = (await readFile(descriptionFile, "utf8").catch(() => ""))
        .trim()
        .split("\n")[0];
      const description = written || output.split("\n").at(-1)?.trim() || "(no description)";
      return { ok: true, description: description.slice(0, 300) };
    },
  };
}
