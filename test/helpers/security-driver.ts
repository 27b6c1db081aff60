// Runs one attack scenario's CLI steps inside a private pid namespace (see security-run.ts):
// a step may be killed with SIGKILL once a file appears (autoexp dying mid-batch), and whatever
// is still running at the end is listed. Results are written after every step, so a step that
// takes the driver down with it (kill(-1) from a forged eval.pid) shows as never finished.
// A step may also be the user's own command (a commit between two runs), and a decoy process
// group, started before the first step, stands for an unrelated process autoexp must not signal.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";

export interface DriverStep {
  /** The CLI's arguments; ignored for a user step. */
  args: string[];
  /** A shell command the user runs in the repository instead of the CLI (not judged as a CLI run). */
  user?: string;
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
  /** Start a decoy process group first and write "pid starttime" to this file. */
  decoyFile?: string;
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
  /** The decoy, when the plan asked for one: whether it was still alive after the last step. */
  decoy?: { pid: number; alive: boolean };
}

function runStep(plan: DriverPlan, step: DriverStep): Promise<StepResult> {
  const argv = step.user ? ["/bin/sh", "-c", step.user] : [...plan.cli, ...step.args];
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
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

/**
 * Field 22 of /proc/<pid>/stat (the start time, as autoexp's pid files record it); null when the
 * process is gone or a zombie (killed, not yet reaped).
 */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
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
let decoy: { pid: number; started: string } | null = null;
if (plan.decoyFile) {
  // Its own process group (detached), as an unrelated service would be; bounded (300 s).
  const child = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
  child.unref();
  const started = child.pid ? startTime(child.pid) : null;
  if (child.pid && started) {
    decoy = { pid: child.pid, started };
    writeFileSync(plan.decoyFile, `${child.pid} ${started}`);
    result.decoy = { pid: child.pid, alive: true };
  }
}
save();
for (const step of plan.steps) {
  result.steps.push(await runStep(plan, step));
  save();
}
if (decoy) {
  const alive = startTime(decoy.pid) === decoy.started;
  result.decoy = { pid: decoy.pid, alive };
  if (alive) {
    try {
      process.kill(-decoy.pid, "SIGKILL");
    } catch {}
  }
}
// Give a daemon that outlived its parent a moment to show itself.
await new Promise((r) => setTimeout(r, 300));
result.survivors = survivors();
result.finished = true;
save();
