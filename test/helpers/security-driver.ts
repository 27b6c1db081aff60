// Runs one attack scenario's CLI steps inside a private pid namespace (see security-run.ts):
// a step may be killed with SIGKILL once a file appears (autoexp dying mid-batch), and whatever
// is still running at the end is listed. Results are written after every step, so a step that
// takes the driver down with it (kill(-1) from a forged eval.pid) shows as never finished.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";

export interface DriverStep {
  args: string[];
  /** SIGKILL the CLI (only its own process, as a dying runner would) once this file exists. */
  killWhen?: string;
  timeoutMs: number;
}

export interface DriverPlan {
  cli: string[];
  cwd: string;
  env: Record<string, string>;
  steps: DriverStep[];
  resultFile: string;
}

export interface StepResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  killedByTest: boolean;
  timedOut: boolean;
}

export interface DriverResult {
  steps: StepResult[];
  /** Command lines of processes still alive in the namespace after the last step. */
  survivors: string[];
  finished: boolean;
}

function runStep(plan: DriverPlan, step: DriverStep): Promise<StepResult> {
  return new Promise((resolve) => {
    const child = spawn(plan.cli[0]!, [...plan.cli.slice(1), ...step.args], {
      cwd: plan.cwd,
      env: plan.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let killedByTest = false;
    let timedOut = false;
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    const poll = step.killWhen
      ? setInterval(() => {
          if (existsSync(step.killWhen!) && !killedByTest) {
            killedByTest = true;
            child.kill("SIGKILL");
          }
        }, 20)
      : undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, step.timeoutMs);
    child.on("close", (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killedByTest, timedOut });
    });
  });
}

function survivors(): string[] {
  const out: string[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid || p === "1") continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").join(" ").trim();
      if (cmd) out.push(cmd);
    } catch {}
  }
  return out;
}

const plan = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as DriverPlan;
const result: DriverResult = { steps: [], survivors: [], finished: false };
const save = () => writeFileSync(plan.resultFile, JSON.stringify(result));
save();
for (const step of plan.steps) {
  result.steps.push(await runStep(plan, step));
  save();
}
// Give a daemon that outlived its parent a moment to show itself.
await new Promise((r) => setTimeout(r, 300));
result.survivors = survivors();
result.finished = true;
save();
