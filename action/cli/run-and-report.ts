import type { Config } from "../config/schema.ts";
import { primaryMetric } from "../config/validate-config.ts";
import { Interrupted } from "../engine/interrupted.ts";
import { type BatchEvent, runBatch } from "../engine/run-batch.ts";
import { plural } from "../ledger/format-score.ts";
import { recordDir } from "../ledger/record-files.ts";
import { formatScore } from "../ledger/render-dashboard.ts";
import { formatEvent } from "../report/format-event.ts";
import { createProgressPrinter, progressMode } from "../report/progress-printer.ts";
import { formatDuration } from "../util/duration.ts";
import { AutoexpError } from "../util/errors.ts";
import { watchInterrupts } from "../util/interrupt.ts";
import { jsonLine } from "../util/record-field.ts";
import type { Io } from "./command.ts";
import { exitCodeForStop } from "./exit-codes.ts";

export interface BatchRequest {
  repoDir: string;
  config: Config;
  tag: string;
  experiments?: number;
  /** Resume although decision-relevant config changed (the change is recorded in the ledger). */
  acceptConfigChange?: boolean;
  /** Go on from a branch autoexp cannot prove it wrote, after checking its kept commits. */
  adopt?: boolean;
  output: { quiet: boolean; json: boolean };
}

/**
 * Runs a batch with progress on the terminal and a summary at the end; returns the exit code.
 * The first Ctrl-C (or SIGTERM) stops once the eval run in flight ends, recording nothing
 * half-done; a second stops at once.
 */
export async function runAndReport(io: Io, request: BatchRequest): Promise<number> {
  const { config, output } = request;
  const metric = primaryMetric(config);
  const mode = progressMode(output, io.isTTY);
  const printer = createProgressPrinter(
    mode,
    { line: io.out, write: io.write, columns: io.columns },
    metric,
  );
  // The first Ctrl-C: the engine says what it still waits for (a "stopping" event), on stderr.
  const interrupts = watchInterrupts(() => printer.close());
  // The header once the batch has started (its first event): a run refused before anything
  // (a dirty tree, a missing key) says only why, not "tag x on branch autoexp/x" first.
  let headed = false;
  const head = () => {
    if (headed) return;
    headed = true;
    printer.line(
      `autoexp: tag ${request.tag} on branch autoexp/${request.tag}, agent ${config.agent.use}`,
    );
  };
  const onEvent = (event: BatchEvent) => {
    head();
    if (event.type !== "stopping" || mode === "json") return printer.event(event);
    io.err(`\nautoexp: ${formatEvent(event, metric)}`);
  };
  try {
    const result = await runBatch({
      repoDir: request.repoDir,
      config,
      tag: request.tag,
      env: io.env,
      signal: interrupts.signal,
      onEvent,
      ...(request.experiments ? { experiments: request.experiments } : {}),
      ...(request.acceptConfigChange ? { acceptConfigChange: true } : {}),
      ...(request.adopt ? { adopt: true as const } : {}),
    });
    head();
    printer.close();
    const code = exitCodeForStop(result.stop.kind);
    if (output.json) {
      io.out(JSON.stringify({ type: "done", exitCode: code, ...result }));
      return code;
    }
    const pct =
      result.improvementPct !== null
        ? ` (${result.improvementPct > 0 ? "+" : ""}${result.improvementPct.toFixed(2)}%)`
        : "";
    io.out(
      [
        ...(mode === "quiet" ? [] : [""]),
        `done: ${result.experiments} experiment(s) this batch, ${result.total} on record, ${result.kept} kept; ${formatDuration(result.evalSeconds * 1000)} of eval time`,
        `${metric}: baseline ${formatScore(result.baseline)}${result.baselineRuns ? ` (${plural(result.baselineRuns, "run")})` : ""} -> best ${formatScore(result.best)}${pct} at ${result.bestCommit}`,
        `branch: ${result.branch} (git log ${result.branch}; record in ${recordDir(result.tag)}/ on that branch)`,
      ].join("\n"),
    );
    if (code === 1) io.err(`autoexp: the batch stopped on a failure: ${result.stopReason}`);
    return code;
  } catch (error) {
    printer.close();
    // Stopped while the baseline was measured: nothing to summarise, nothing recorded.
    if (error instanceof Interrupted) {
      if (output.json) io.out(jsonLine({ type: "done", exitCode: 130, error: error.message }));
      else io.err(`autoexp: ${error.message}`);
      return exitCodeForStop("interrupted");
    }
    if (output.json && error instanceof AutoexpError)
      io.out(JSON.stringify({ type: "error", exitCode: error.exitCode, message: error.message }));
    throw error;
  } finally {
    interrupts.release();
  }
}
