import type { Config } from "../config/schema.ts";
import { runProcess, TAIL_BYTES } from "../process/run-process.ts";
import { countMetricLines, describeMissing, findMetric, parseMetrics } from "./parse-metrics.ts";
import { readEnd, tailLines } from "./read-tail.ts";

/** What one run of the eval produced. `problem` is set when it cannot count as a measurement. */
export interface EvalOutcome {
  status: "ok" | "crash" | "timeout";
  /** Every declared metric that parsed, finite. */
  metrics: Record<string, number>;
  problem?: string;
  exitCode: number | null;
  durationMs: number;
  logPath: string;
  tail: string;
  /** Declared metrics printed more than once in this run (flagged for the reviewer). */
  printedTwice: string[];
}

// Metrics are printed at the end; a huge log is only read from its last 8 MiB.
const PARSE_BYTES = TAIL_BYTES;

/**
 * Runs the eval once in `cwd` and reads its metrics; a missing or non-finite metric is a crash.
 * `launch` is the command and environment as they run (wrapped in the sandbox, or as written).
 * `copies` are files that also get stdout or stderr alone, beside the one log of both.
 */
export async function runEval(
  config: Pick<Config, "eval">,
  cwd: string,
  logPath: string,
  launch: { command: string | readonly string[]; env: Record<string, string | undefined> },
  pidFile?: string,
  copies?: { stdout?: string; stderr?: string },
): Promise<EvalOutcome> {
  const run = await runProcess({
    command: launch.command,
    cwd,
    env: launch.env,
    timeoutMs: config.eval.timeout,
    logPath,
    ...(pidFile ? { pidFile } : {}),
    ...(copies ? { copies } : {}),
  });
  // A log the disk could not hold (the eval may have filled it after printing its metrics) is
  // followed by the rest of the output, which autoexp kept in memory.
  const output = (await readEnd(logPath, PARSE_BYTES)) + (run.unlogged ?? "");
  const tail = tailLines(output);
  const counts = countMetricLines(output);
  const printedTwice = Object.keys(config.eval.metrics).filter((m) => (counts.get(m) ?? 0) > 1);
  const base = { exitCode: run.exitCode, durationMs: run.durationMs, logPath, tail, printedTwice };
  if (run.spawnError) return { ...base, status: "crash", metrics: {}, problem: run.spawnError };
  if (run.timedOut) {
    return {
      ...base,
      status: "timeout",
      metrics: {},
      problem: `killed after the ${Math.round(config.eval.timeout / 1000)}s eval.timeout`,
    };
  }
  const parsed = parseMetrics(output);
  const metrics: Record<string, number> = {};
  const missing: string[] = [];
  for (const name of Object.keys(config.eval.metrics)) {
    const value = findMetric(parsed, name);
    if (value === undefined) missing.push(describeMissing(output, name));
    else if (!Number.isFinite(value)) missing.push(`${name} is ${value}`);
    else metrics[name] = value;
  }
  if (run.exitCode !== 0) {
    const how = run.signal ? `killed by ${run.signal}` : `exited with code ${run.exitCode}`;
    return { ...base, status: "crash", metrics, problem: how };
  }
  if (missing.length > 0) {
    return {
      ...base,
      status: "crash",
      metrics,
      problem: `bad metric output: ${missing.join(", ")}`,
    };
  }
  return { ...base, status: "ok", metrics };
}
