import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CliAgentConfig } from "../../config/schema.ts";
import { readEnd, tailLines } from "../../eval/read-tail.ts";
import { runProcess } from "../../process/run-process.ts";
import { clip } from "../../util/text.ts";
import type { Agent, Proposal, ProposeContext } from "../agent.ts";
import { priceOf, promptFor, pruneScratch } from "../prompt.ts";
import { PRESETS } from "./presets.ts";
import { readUsageFile } from "./read-usage-file.ts";

/**
 * A CLI agent: the tool runs in the worktree with the shared context as its prompt (on stdin, or
 * in $AUTOEXP_PROMPT_FILE for `command`), edits files, and describes its change in
 * $AUTOEXP_DESCRIPTION_FILE or its final message. notes.md is in $AUTOEXP_NOTES_FILE; a `command`
 * agent may report tokens and cost as JSON in $AUTOEXP_USAGE_FILE
 * ({"input_tokens": n, "output_tokens": n, "cost_usd": x}). Exits, hangs and crashes become
 * statuses, never a stuck loop.
 */
export function createCliAgent(config: CliAgentConfig): Agent {
  const preset = config.use === "command" ? null : PRESETS[config.use];
  return {
    name: config.use,
    async propose(context: ProposeContext): Promise<Proposal> {
      const dir = context.scratchDir;
      const files = {
        prompt: join(dir, "prompt.md"),
        description: join(dir, "description.txt"),
        notes: join(dir, "notes.md"),
        usage: join(dir, "usage.json"),
        log: join(dir, `agent-${context.iteration}.log`),
      };
      const prompt = await promptFor(
        context,
        { kind: "files", descriptionFile: files.description, notesFile: files.notes },
        config.context_chars,
      );
      await writeFile(files.prompt, prompt);
      await writeFile(files.notes, context.notes);
      for (const f of [files.description, files.usage, files.log]) await rm(f, { force: true });
      await pruneScratch(dir, context.iteration);
      const command =
        preset && config.use !== "command"
          ? [
              config.command ?? preset.program,
              ...preset.args({
                model: config.model,
                promptFile: files.prompt,
                files: context.targetFiles,
              }),
              ...config.args,
            ]
          : (config as Extract<CliAgentConfig, { use: "command" }>).run;
      const env = {
        ...context.env,
        AUTOEXP_PROMPT_FILE: files.prompt,
        AUTOEXP_DESCRIPTION_FILE: files.description,
        AUTOEXP_NOTES_FILE: files.notes,
        AUTOEXP_USAGE_FILE: files.usage,
        AUTOEXP_ITERATION: String(context.iteration),
      };
      const launched = context.launch
        ? context.launch(
            command,
            {
              cwd: context.worktree,
              writable: [context.worktree, dir],
              readOnly: context.gitObjects ? [context.gitObjects] : [],
            },
            env,
          )
        : { command, env };
      const run = await runProcess({
        command: launched.command,
        cwd: context.worktree,
        env: launched.env,
        timeoutMs: config.timeout,
        logPath: files.log,
        ...(preset?.stdin ? { stdinFile: files.prompt } : {}),
        ...(context.pidFile ? { pidFile: context.pidFile } : {}),
      });
      // The tool's log stays on the runner; still, no key is left in it.
      const raw = await readFile(files.log, "utf8").catch(() => "");
      const clean = context.redact(raw);
      if (clean !== raw) await writeFile(files.log, clean);
      const output = await readEnd(files.log, 256 * 1024);
      const report = preset ? preset.read(output) : await readUsageFile(files.usage);
      const usage = report.usage;
      const costUsd = config.price ? priceOf(usage, config.price) : (report.costUsd ?? 0);
      const notesAfter = await readFile(files.notes, "utf8").catch(() => context.notes);
      const spent = {
        costUsd,
        ...(usage ? { usage } : {}),
        ...(notesAfter !== context.notes ? { notes: notesAfter } : {}),
      };
      // The last lines, minus Node's and Python's trailers, say why a tool failed.
      const last = tailLines(output, 8)
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !/^Node\.js v\d/.test(l))
        .slice(-3)
        .join(" | ");
      if (run.spawnError)
        return { ok: false, fatal: true, error: `agent could not start: ${run.spawnError}` };
      if (run.timedOut)
        return {
          ok: false,
          error: `agent killed after its ${Math.round(config.timeout / 1000)}s timeout`,
          ...spent,
        };
      if (run.exitCode !== 0) {
        return {
          ok: false,
          error: `agent exited with ${run.signal ?? `code ${run.exitCode}`}: ${report.error ?? clip(last)}`,
          ...spent,
        };
      }
      if (report.error)
        return { ok: false, error: `agent reported an error: ${report.error}`, ...spent };
      const written = (await readFile(files.description, "utf8").catch(() => ""))
        .trim()
        .split("\n")[0]!
        .trim();
      const message = report.message?.trim().split("\n").filter(Boolean).at(-1);
      const description = written || message || (preset ? "" : last) || "(no description)";
      return { ok: true, description: clip(description), ...spent };
    },
  };
}
