import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { git, tempDir } from "./repo.ts";

/** The built Action (AUTOEXP_ACTION_JS: a bundle built elsewhere, to test a change before dist/). */
export const ACTION =
  process.env.AUTOEXP_ACTION_JS ?? join(import.meta.dirname, "..", "..", "dist", "action.js");
const EXAMPLES = join(
  import.meta.dirname,
  "..",
  "..",
  "node_modules",
  "@octokit",
  "webhooks-examples",
  "api.github.com",
  "index.json",
);

/** A real event payload from @octokit/webhooks-examples. */
export function examplePayload(name: string): Record<string, unknown> {
  const all = JSON.parse(readFileSync(EXAMPLES, "utf8")) as {
    name: string;
    examples: Record<string, unknown>[];
  }[];
  const found = all.find((e) => e.name === name);
  if (!found) throw new Error(`no example payload for ${name}`);
  return structuredClone(found.examples[0]!);
}

export interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
}

/**
 * Runs the built dist/action.js as the runner does: inputs as INPUT_* variables, real temporary
 * GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_EVENT_PATH files, GITHUB_WORKSPACE and RUNNER_TEMP.
 */
export function runAction(
  workspace: string,
  inputs: Record<string, string>,
  options: {
    env?: Record<string, string>;
    runnerTemp?: string;
    onStart?: (kill: () => void) => void;
  } = {},
): Promise<ActionRun> {
  const files = tempDir("autoexp-runner-");
  const output = join(files, "output");
  const summary = join(files, "summary");
  const event = join(files, "event.json");
  writeFileSync(output, "");
  writeFileSync(summary, "");
  const payload = examplePayload("workflow_dispatch");
  writeFileSync(event, JSON.stringify({ ...payload, inputs }));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? files,
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_EVENT_PATH: event,
    GITHUB_EVENT_NAME: "workflow_dispatch",
    RUNNER_TEMP: options.runnerTemp ?? files,
    ...options.env,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ACTION], {
      cwd: workspace,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stdout += c;
    });
    options.onStart?.(() => child.kill("SIGKILL"));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({
        code,
        signal,
        stdout,
        outputs: parseOutputs(readFileSync(output, "utf8")),
        summary: readFileSync(summary, "utf8"),
      }),
    );
  });
}

/** GITHUB_OUTPUT's heredoc format: name<<DELIMITER, value lines, DELIMITER. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (m) {
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== m[2]) value.push(lines[i]!);
      outputs[m[1]!] = value.join("\n");
    } else if (lines[i]!.includes("=")) {
      const at = lines[i]!.indexOf("=");
      outputs[lines[i]!.slice(0, at)] = lines[i]!.slice(at + 1);
    }
  }
  return outputs;
}

/** A bare remote holding `source`'s main, and a fresh clone of it (what actions/checkout gives). */
export function remoteAndClone(source: string): { remote: string; clone: () => string } {
  const remote = join(tempDir("autoexp-remote-"), "repo.git");
  git(source, "init", "--quiet", "--bare", "--initial-branch=main", remote);
  git(source, "push", "--quiet", remote, "main");
  return {
    remote,
    clone: () => {
      const dir = join(tempDir("autoexp-checkout-"), "repo");
      git(source, "clone", "--quiet", remote, dir);
      git(dir, "config", "user.name", "runner");
      git(dir, "config", "user.email", "runner@example.com");
      return dir;
    },
  };
}
