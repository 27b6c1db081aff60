import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A night's repository for a plan of known effects (bench/greedy.ts, bench/cheap-screen.ts): a
 * fresh git repo whose first commit holds changes/base.json, the frozen `evalFile` (copied in as
 * eval.ts, beside greedy-model.ts) and a module package.json; beside it, the `command` agent
 * (greedy-agent.ts) with the plan it follows. `counter` is a path outside the repo where the
 * eval counts what it spends.
 */
export function planNight(
  prefix: string,
  evalFile: string,
  plan: readonly number[],
  counterName: string,
): {
  dir: string;
  repo: string;
  agentDir: string;
  counter: string;
  git: (...a: string[]) => string;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const repo = join(dir, "repo");
  const agentDir = join(dir, "agent");
  const git = (...a: string[]) =>
    execFileSync("git", a, { cwd: repo, encoding: "utf8", maxBuffer: 1 << 28 });
  mkdirSync(join(repo, "changes"), { recursive: true });
  mkdirSync(agentDir);
  execFileSync("git", ["init", "-q", "-b", "main", repo]);
  git("config", "user.name", "bench");
  git("config", "user.email", "bench@example.com");
  writeFileSync(join(repo, "changes/base.json"), `${JSON.stringify({ id: 0, effect: 0 })}\n`);
  copyFileSync(join(import.meta.dirname, evalFile), join(repo, "eval.ts"));
  copyFileSync(join(import.meta.dirname, "greedy-model.ts"), join(repo, "greedy-model.ts"));
  writeFileSync(join(repo, "package.json"), '{ "type": "module" }\n');
  git("add", "-A");
  git("commit", "-qm", "start");
  copyFileSync(join(import.meta.dirname, "greedy-agent.ts"), join(agentDir, "agent.ts"));
  writeFileSync(join(agentDir, "package.json"), '{ "type": "module" }\n');
  writeFileSync(join(agentDir, "plan.json"), JSON.stringify(plan));
  return { dir, repo, agentDir, counter: join(dir, counterName), git };
}
