import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CliAgentConfig } from "../config/schema.ts";
import { readEnd, tailLines } from "../eval/read-tail.ts";
import { runProcess } from "../process/run-process.ts";
import { clip } from "../util/text.ts";
import type { Agent, Proposal, ProposeContext, Usage } from "./agent.ts";
import { priceOf, promptFor, pruneScratch } from "./prompt.ts";

/** What a tool printed, read for what matters to autoexp. */
interface ToolReport {
  usage?: Usage;
  /** Cost the tool computed itself (claude, aider); used when no price is configured. */
  costUsd?: number;
  /** The tool's final message: the description when no description file was written. */
  message?: string;
  /** The tool said it failed, even if it exited 0. */
  error?: string;
}

interface Preset {
  program: string;
  /** Arguments after the program; the prompt goes on stdin unless the arguments name its file. */
  args(options: {
    model?: string | undefined;
    promptFile: string;
    files: readonly string[];
  }): string[];
  stdin: boolean;
  read(output: string): ToolReport;
}

/**
 * The tools' own headless modes: no terminal, no permission prompt, no commit by the tool.
 * stdin is the prompt file or empty, never a terminal, so a tool that asks "continue?" reads EOF.
 */
export const PRESETS: Record<"claude-code" | "codex" | "aider", Preset> = {
  "claude-code": {
    program: "claude",
    // -p: print mode (one prompt, then exit). acceptEdits: file edits need no approval; shell
    // commands are refused rather than prompted for (add --permission-mode bypassPermissions to
    // agent.args to let it run commands).
    args: ({ model }) => [
      "-p",
      "--output-format",
      "json",
      "--permission-mode",
      "acceptEdits",
      ...(model ? ["--model", model] : []),
    ],
    stdin: true,
    read: readClaude,
  },
  codex: {
    program: "codex",
    // exec: non-interactive; --full-auto: edits in the workspace without approvals; "-": prompt on stdin.
    args: ({ model }) => [
      "exec",
      "--full-auto",
      "--skip-git-repo-check",
      "--json",
      ...(model ? ["--model", model] : []),
    ],
    stdin: true,
    read: readCodex,
  },
  aider: {
    program: "aider",
    args: ({ model, promptFile, files }) => [
      "--message-file",
      promptFile,
      "--yes-always",
      "--no-auto-commits",
      "--no-dirty-commits",
      "--no-pretty",
      "--no-stream",
      "--no-check-update",
      "--no-show-model-warnings",
      "--no-analytics",
      ...(model ? ["--model", model] : []),
      ...files,
    ],
    stdin: false,
    read: readAider,
  },
};

/** The program a CLI agent runs (for the preflight check that it exists). */
export function cliProgram(config: CliAgentConfig): string | null {
  if (config.use === "command") return null;
  return config.command ?? PRESETS[config.use].program;
}

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
      const run = await runProcess({
        command,
        cwd: context.worktree,
        env: {
          ...context.env,
          AUTOEXP_PROMPT_FILE: files.prompt,
          AUTOEXP_DESCRIPTION_FILE: files.description,
          AUTOEXP_NOTES_FILE: files.notes,
          AUTOEXP_USAGE_FILE: files.usage,
          AUTOEXP_ITERATION: String(context.iteration),
        },
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

/** claude -p --output-format json prints one result object. */
function readClaude(output: string): ToolReport {
  const result = lastJson(output, (j) => j.type === "result") as {
    is_error?: boolean;
    result?: string;
    total_cost_usd?: number;
    usage?: Record<string, number>;
  } | null;
  if (!result) return {};
  const u = result.usage ?? {};
  return {
    ...(result.usage
      ? {
          usage: {
            input:
              (u.input_tokens ?? 0) +
              (u.cache_creation_input_tokens ?? 0) +
              (u.cache_read_input_tokens ?? 0),
            output: u.output_tokens ?? 0,
          },
        }
      : {}),
    ...(typeof result.total_cost_usd === "number" ? { costUsd: result.total_cost_usd } : {}),
    ...(result.is_error
      ? { error: clip(result.result ?? "is_error") }
      : result.result
        ? { message: result.result }
        : {}),
  };
}

/** codex exec --json prints JSON lines: turn.completed carries usage, agent_message the reply. */
function readCodex(output: string): ToolReport {
  let input = 0;
  let out = 0;
  let seen = false;
  let message: string | undefined;
  let error: string | undefined;
  for (const line of output.split("\n")) {
    const j = parseJson(line);
    if (!j) continue;
    if (j.type === "turn.completed" && j.usage) {
      const u = j.usage as Record<string, number>;
      input += u.input_tokens ?? 0;
      out += u.output_tokens ?? 0;
      seen = true;
    } else if (j.type === "item.completed") {
      const item = j.item as { type?: string; text?: string } | undefined;
      if (item?.type === "agent_message" && item.text) message = item.text;
    } else if (j.type === "turn.failed" || j.type === "error") {
      const e =
        (j.error as { message?: string } | undefined)?.message ?? (j.message as string | undefined);
      error = clip(e ?? j.type);
    }
  }
  return {
    ...(seen ? { usage: { input, output: out } } : {}),
    ...(message ? { message } : {}),
    ...(error ? { error } : {}),
  };
}

/** aider prints "Tokens: 2.1k sent, 156 received. Cost: $0.0086 message, $0.01 session." per call. */
function readAider(output: string): ToolReport {
  const re =
    /Tokens: ([\d.,]+)([kKmM]?) sent(?:, [\d.,]+[kKmM]? cache \w+)*, ([\d.,]+)([kKmM]?) received\.(?: Cost: \$([\d.]+) message)?/g;
  let input = 0;
  let out = 0;
  let cost = 0;
  let seen = false;
  for (const m of output.matchAll(re)) {
    input += scaled(m[1]!, m[2]!);
    out += scaled(m[3]!, m[4]!);
    if (m[5]) cost += Number(m[5]);
    seen = true;
  }
  return seen ? { usage: { input, output: out }, ...(cost > 0 ? { costUsd: cost } : {}) } : {};
}

async function readUsageFile(path: string): Promise<ToolReport> {
  const j = parseJson(await readFile(path, "utf8").catch(() => ""));
  if (!j) return {};
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);
  return {
    usage: { input: n(j.input_tokens), output: n(j.output_tokens) },
    ...(typeof j.cost_usd === "number" ? { costUsd: n(j.cost_usd) } : {}),
  };
}

function scaled(value: string, unit: string): number {
  const x = Number(value.replace(/,/g, ""));
  return Math.round(x * (unit.toLowerCase() === "k" ? 1e3 : unit.toLowerCase() === "m" ? 1e6 : 1));
}

function parseJson(line: string): Record<string, unknown> | null {
  const t = line.trim();
  if (!t.startsWith("{")) return null;
  try {
    const j = JSON.parse(t);
    return j && typeof j === "object" && !Array.isArray(j) ? j : null;
  } catch {
    return null;
  }
}

function lastJson(
  output: string,
  accept: (j: Record<string, unknown>) => boolean,
): Record<string, unknown> | null {
  const lines = output.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const j = parseJson(lines[i]!);
    if (j && accept(j)) return j;
  }
  return null;
}
