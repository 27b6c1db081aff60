import type { BatchEvent } from "../engine/run-batch.ts";
import { formatDuration } from "../util/duration.ts";
import { jsonLine } from "../util/record-field.ts";
import { inertTerminal } from "../util/terminal-inert.ts";
import { formatEvent } from "./format-event.ts";

type EvalProgressEvent = Extract<BatchEvent, { type: "eval-progress" }>;

/**
 * How progress is shown: `live` rewrites one line in place on a terminal; `plain` prints a line
 * per event and, during a long eval, one every `plainEveryMs` (CI logs); `quiet` shows nothing;
 * `json` prints every event as one JSON line.
 */
export type ProgressMode = "live" | "plain" | "quiet" | "json";

export interface ProgressSink {
  line: (text: string) => void;
  write: (chunk: string) => void;
  columns: number;
}

export interface ProgressPrinter {
  event: (event: BatchEvent) => void;
  /** A line of the command's own (a header, the summary), printed below any live line. */
  line: (text: string) => void;
  /** Clears the live line, if one is showing. */
  close: () => void;
}

/** The mode a command gets from its flags and its stdout. */
export function progressMode(flags: { quiet: boolean; json: boolean }, isTTY: boolean) {
  if (flags.json) return "json";
  if (flags.quiet) return "quiet";
  return isTTY ? "live" : "plain";
}

/** Renders the engine's events in one of the four modes. */
export function createProgressPrinter(
  mode: ProgressMode,
  sink: ProgressSink,
  metric: string,
  plainEveryMs = 30_000,
): ProgressPrinter {
  let liveShown = false;
  let position: { index: number; of: number } | null = null;
  let lastPlain = { key: "", bucket: 0 };
  const workers = new Map<number, { event: EvalProgressEvent; at: number }>();
  const clear = () => {
    if (liveShown) sink.write("\r\x1b[2K");
    liveShown = false;
  };
  return {
    event(event) {
      if (mode === "quiet") return;
      if (mode === "json") {
        sink.line(jsonLine(event));
        return;
      }
      if (event.type === "start") position = { index: event.index, of: event.of };
      if (event.type === "eval-progress") {
        const text =
          event.worker === undefined
            ? describeEvalProgress(event, position)
            : describeWorkers(workers, event, performance.now());
        if (mode === "live") {
          sink.write(`\r\x1b[2K${clip(text, Math.max(20, sink.columns - 1))}`);
          liveShown = true;
          return;
        }
        const key = `${event.worker ?? ""}/${event.iteration}/${event.run}`;
        const bucket = Math.floor(event.elapsedMs / plainEveryMs);
        if (bucket >= 1 && (key !== lastPlain.key || bucket > lastPlain.bucket)) {
          lastPlain = { key, bucket };
          sink.line(event.worker === undefined ? text : describeWorker(event, position));
        }
        return;
      }
      const text = formatEvent(event, metric);
      if (text === null) return;
      clear();
      sink.line(text);
    },
    line(text) {
      if (mode === "json" || mode === "quiet") return;
      clear();
      sink.line(text);
    },
    close: clear,
  };
}

/**
 * Every worker on one live line: what each runs and for how long (idle when it has reported
 * nothing for 3 s), then the workers' busy share so far:
 * "w0 #12 run 2 1m 03s │ w1 idle │ w2 #14 run 1 5s │ busy 93%".
 */
export function describeWorkers(
  workers: Map<number, { event: EvalProgressEvent; at: number }>,
  latest: EvalProgressEvent,
  now: number,
): string {
  workers.set(latest.worker!, { event: latest, at: now });
  const parts = [...workers.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([id, { event, at }]) =>
      now - at > 3000
        ? `w${id} idle`
        : `w${id} ${event.iteration === 0 ? "baseline" : `#${event.iteration}`} run ${event.run} ${formatDuration(event.elapsedMs)}`,
    );
  return `  ${parts.join(" │ ")} │ busy ${Math.round((latest.busy ?? 0) * 100)}%`;
}

/** One worker's eval for a log line: "worker 2 (NVIDIA H100 #2): #7 run 2 · 1m 12s · ... · workers busy 93% so far". */
function describeWorker(
  event: EvalProgressEvent,
  position: { index: number; of: number } | null,
): string {
  const on = event.device ? ` (${event.device})` : "";
  return `  worker ${event.worker}${on}:${describeEvalProgress(event, position).slice(1)} · workers busy ${Math.round((event.busy ?? 0) * 100)}% so far`;
}

/** "#7 (3/20) run 2 · 1m 12s · step 00950 (98.9%)": which eval, how long, its last line. */
export function describeEvalProgress(
  event: EvalProgressEvent,
  position: { index: number; of: number } | null,
): string {
  const which =
    event.iteration === 0
      ? "baseline"
      : `#${event.iteration}${position ? ` (${position.index}/${position.of})` : ""}`;
  const last = cleanLine(event.lastLine);
  return `  ${which} run ${event.run} · ${formatDuration(event.elapsedMs)}${last ? ` · ${last}` : ""}`;
}

/**
 * The part of an eval's output line a terminal would show: after the last carriage return (a
 * progress bar redraws with \r), without colour codes or other control characters.
 */
function cleanLine(line: string): string {
  const afterReturn = line.split("\r").filter((s) => s.trim() !== "");
  return inertTerminal(afterReturn.at(-1) ?? "")
    .replace(/\s+/g, " ")
    .trim();
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
