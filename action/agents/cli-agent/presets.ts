import { readAider } from "./read-aider.ts";
import { readClaude } from "./read-claude.ts";
import { readCodex } from "./read-codex.ts";
import type { ToolReport } from "./tool-report.ts";

export interface Preset {
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
