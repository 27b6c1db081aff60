import type { BatchEvent } from "../engine/run-batch.ts";
import { isKeptExperiment } from "../ledger/night-figures.ts";
import { formatDelta, formatScore } from "../ledger/render-dashboard.ts";
import {
  formatHoldoutLine,
  formatVerifiedLine,
  noImprovementNote,
} from "../ledger/render-verified.ts";
import type { VerifyEntry } from "../ledger/types.ts";
import { formatDuration } from "../util/duration.ts";
import { inertTerminal } from "../util/terminal-inert.ts";

/**
 * One line per event for the terminal: n/N, status, metric, delta, best so far, ETA. The agent's
 * description, reasons and eval output are in it: escape sequences and controls are removed.
 */
export function formatEvent(event: BatchEvent, metric: string): string | null {
  const text = describeEvent(event, metric);
  return text === null ? null : inertTerminal(text);
}

function describeEvent(event: BatchEvent, metric: string): string | null {
  switch (event.type) {
    case "isolation":
      return event.mode === "sandbox"
        ? `isolation   evals run sandboxed (bubblewrap)${event.warnings.map((w) => `\nwarning: ${w}`).join("")}`
        : event.warnings.map((w) => `warning: ${w}`).join("\n") || "warning: evals run unsandboxed";
    case "notice":
      return `note: ${event.message}`;
    case "recovered":
      return event.messages.map((m) => `recovered: ${m}`).join("\n");
    case "baseline":
      return `baseline    ${metric} ${formatScore(event.score)} (${event.runs} run${event.runs > 1 ? "s" : ""}, ${event.seconds.toFixed(1)}s${event.noise !== null ? `, noise sd ${formatScore(event.noise)}` : ""}, min_delta ${formatScore(event.minDelta)})`;
    case "resumed":
      return `resuming    ${event.experiments} experiment(s) on record, best ${metric} ${formatScore(event.best)}`;
    case "remeasure":
      return `incumbent   ${event.reason === "top-up" ? "topped up" : event.reason === "drift" ? "DRIFT" : "re-measured"}: ${event.runs} more run${event.runs > 1 ? "s" : ""}, ${metric} now ${formatScore(event.score)}${event.note ? `  (${event.note})` : ""}`;
    case "run":
      return `            #${event.iteration} run ${event.run}: ${event.reason}`;
    case "stop":
      return `stopped     ${event.reason}`;
    case "stopping":
      return stoppingText(event.waiting);
    case "start":
      return null;
    case "verify-run": {
      const what = `${event.eval === "holdout" ? "holdout " : ""}${event.code}`;
      const result = event.problem ? `no measurement (${event.problem})` : formatScore(event.score);
      return `verify      [${event.pair}/${event.of}] ${what.padEnd(13)} ${metric} ${result}`;
    }
    case "verified":
      return verifiedText(event.entry);
    case "experiment": {
      const { row } = event;
      const width = String(event.of).length;
      const n = `[${String(event.index).padStart(width)}/${event.of}]`;
      // Kept code is scored as every surface scores it, on its runs made after the keep (the
      // incumbent's score now, `best`), not on the runs the keep was decided on.
      const shown = isKeptExperiment(row) ? event.best : row.score;
      const score = row.score !== null ? `${metric} ${formatScore(shown)}` : "—";
      const delta =
        row.delta !== null && row.score !== null ? ` ${formatDelta(row.delta, row.against)}` : "";
      const eta =
        event.etaMs !== null && event.index < event.of
          ? `  eta ${formatDuration(event.etaMs)}`
          : "";
      const why =
        [
          "crash",
          "timeout",
          "violation",
          "agent_error",
          "guard_fail",
          "checks_failed",
          "duplicate",
          "no_change",
          "discard",
          "keep",
          "simplification",
        ].includes(row.status) &&
        row.reason &&
        row.reason !== row.description
          ? `  (${oneLine(row.reason)})`
          : "";
      const cost = row.cost_usd > 0 ? `  $${row.cost_usd.toFixed(4)}` : "";
      // Kept on pairs beside the incumbent, its run after the keep can still read worse than the
      // best measured earlier: the machine reads otherwise now. The line says so, not a regression.
      const gain = row.delta ?? 0;
      const rose =
        isKeptExperiment(row) &&
        row.evidence?.paired === true &&
        event.bestBefore !== undefined &&
        gain !== 0 &&
        Math.sign(event.best - event.bestBefore) === -Math.sign(gain);
      const whyRose = rose
        ? `  (best reads worse than the ${formatScore(event.bestBefore!)} before it: that was measured earlier, and this machine reads otherwise now; beside the incumbent, in pairs, it was better by ${formatScore(Math.abs(gain))})`
        : "";
      // "#7 " as wide as the batch's last "#12 ": its columns stay put past #9.
      const last = row.iteration - event.index + event.of;
      const id = `#${row.iteration}`.padEnd(String(last).length + 1);
      return `${n} ${id} ${row.status.padEnd(14)} ${score}${delta}  best ${formatScore(event.best)}${eta}${cost}  ${row.description.replace(/\s+/g, " ")}${why}${whyRose}`;
    }
    default:
      // Events this printer does not know (the eval heartbeat) are rendered elsewhere or not at all.
      return null;
  }
}

/** A reason on one line of at most 200 characters: line breaks and runs of spaces become one. */
function oneLine(text: string): string {
  const line = inertTerminal(text).replace(/\s+/g, " ").trim();
  return line.length <= 200 ? line : `${line.slice(0, 199)}…`;
}

/**
 * The first Ctrl-C or SIGTERM: "stopping: waiting for the eval run in flight (#7, run 2, about 40s
 * left by the last runs' durations); Ctrl-C again to stop at once".
 */
function stoppingText(waiting: Extract<BatchEvent, { type: "stopping" }>["waiting"]): string {
  const then = "; nothing new starts, nothing half-done is recorded. Ctrl-C again to stop at once";
  if (waiting.length === 0) return `stopping: nothing is running${then}`;
  const each = waiting.map((w) => {
    // Under a second left (0: past the last runs' durations) is no estimate: "about 0ms left".
    const left =
      w.leftMs === null
        ? `running for ${formatDuration(w.elapsedMs)}`
        : w.leftMs < 1000
          ? `running for ${formatDuration(w.elapsedMs)}, as long as the last runs took or longer`
          : `about ${formatDuration(w.leftMs)} left by the last runs' durations`;
    return w.kind === "eval"
      ? `the eval run in flight (${w.what}, ${left})`
      : `${w.what} (the agent has been working for ${formatDuration(w.elapsedMs)})`;
  });
  return `stopping: waiting for ${each.join(" and ")}${then}`;
}

/** The verify's outcome for the terminal: the line, the holdout beside it, the plain warning. */
function verifiedText(v: VerifyEntry): string {
  const lines = [formatVerifiedLine(v)];
  const holdout = formatHoldoutLine(v);
  if (holdout) lines.push(holdout);
  const note = noImprovementNote(v);
  if (note) lines.push(`warning: ${note}`);
  return lines.join("\n");
}
