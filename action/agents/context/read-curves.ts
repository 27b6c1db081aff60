import { lstat, open } from "node:fs/promises";
import { join } from "node:path";
import { EVALUATED, KEPT } from "../../ledger/status.ts";
import type { ResultEntry } from "../../ledger/types.ts";
import { parseCurves } from "./parse-curves.ts";
import { type CurveSummary, summariseCurve } from "./summarise-curve.ts";

/** How one experiment's first eval run trained, for the agent. */
export interface RunCurves {
  iteration: number;
  status: string;
  score: number | null;
  description: string;
  incumbent: boolean;
  /** Only the head and the tail of a long log were read. */
  partial: boolean;
  series: CurveSummary[];
}

/** The candidates shown beside the incumbent: the newest evaluated ones. */
const CANDIDATES = 3;
/** Series shown per run: the metric's own and loss-like names first. */
const SERIES = 3;
/** Bytes read of one log: its head (how training started) and its tail (how it ended). */
const HEAD_BYTES = 512 * 1024;
const TAIL_BYTES = 1536 * 1024;
// Clocks count down or up whatever the code does: nothing to learn from their shape.
const CLOCKS = /^(?:remaining|eta|elapsed|elapsed_time|time_left|time_remaining|wall_time)$/i;
const SCORES = /loss|bpb|bpc|ppl|perplexity|acc|err|score|reward|f1|auc|bleu|rouge/i;

/**
 * The training curves of the incumbent and of the last few candidates, each from its first
 * run's log in `logsDir` (`<iteration>-0.log`). A run whose log is gone, unreadable or has no
 * repeated metric lines is left out; a log longer than 2 MiB is read by its head and tail.
 */
export async function readCurves(
  logsDir: string,
  history: readonly ResultEntry[],
  metric: string,
): Promise<RunCurves[]> {
  const incumbent = history.findLast((r) => KEPT.has(r.status) && r.score !== null);
  const candidates = history
    .filter((r) => r.iteration > 0 && r !== incumbent && EVALUATED.has(r.status))
    .slice(-CANDIDATES);
  const rows = [...(incumbent ? [incumbent] : []), ...candidates];
  const runs = await Promise.all(
    rows.map(async (row): Promise<RunCurves | null> => {
      const log = await readLog(join(logsDir, `${row.iteration}-0.log`));
      if (!log) return null;
      const series = pickSeries(parseCurves(log.text), metric).map(summariseCurve);
      if (series.length === 0) return null;
      return {
        iteration: row.iteration,
        status: row.status,
        score: row.score,
        description: row.description,
        incumbent: row === incumbent,
        partial: log.partial,
        series,
      };
    }),
  );
  return runs.filter((r) => r !== null);
}

/**
 * The tag's eval log folder seen from an agent's scratch folder: `<state>/agents/<n>/scratch`
 * and `<state>/logs` (the layout AgentCheckout and Slot write).
 */
export function logsDirOf(scratchDir: string): string {
  return join(scratchDir, "..", "..", "..", "logs");
}

/** The series worth showing: the metric's own, then loss-like names, then the rest; no clocks. */
function pickSeries<T extends { name: string }>(series: readonly T[], metric: string): T[] {
  const rank = (name: string) =>
    name.toLowerCase() === metric.toLowerCase() ? 0 : SCORES.test(name) ? 1 : 2;
  return series
    .filter((s) => !CLOCKS.test(s.name))
    .map((s, i) => ({ s, i }))
    .sort((a, b) => rank(a.s.name) - rank(b.s.name) || a.i - b.i)
    .slice(0, SERIES)
    .map(({ s }) => s);
}

/**
 * A log's text, or its head and tail when it is long (cut at line ends); null when it is not a
 * regular file (gone, a folder, a FIFO an eval left there, which would block a read).
 */
export async function readLog(path: string): Promise<{ text: string; partial: boolean } | null> {
  const st = await lstat(path).catch(() => null);
  if (!st?.isFile()) return null;
  const handle = await open(path, "r").catch(() => null);
  if (!handle) return null;
  try {
    const size = (await handle.stat()).size;
    if (size <= HEAD_BYTES + TAIL_BYTES) {
      const whole = Buffer.alloc(size);
      const { bytesRead } = await handle.read(whole, 0, size, 0);
      return { text: whole.subarray(0, bytesRead).toString("utf8"), partial: false };
    }
    const head = Buffer.alloc(HEAD_BYTES);
    const tail = Buffer.alloc(TAIL_BYTES);
    await handle.read(head, 0, HEAD_BYTES, 0);
    await handle.read(tail, 0, TAIL_BYTES, size - TAIL_BYTES);
    const headText = head.toString("utf8");
    const tailText = tail.toString("utf8");
    // The line cut at either edge is dropped, not read as a shorter number.
    const text = `${headText.slice(0, lastBreak(headText))}\n${tailText.slice(firstBreak(tailText))}`;
    return { text, partial: true };
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

function lastBreak(text: string): number {
  return Math.max(text.lastIndexOf("\n"), text.lastIndexOf("\r"), 0);
}

function firstBreak(text: string): number {
  const breaks = [text.indexOf("\n"), text.indexOf("\r")].filter((i) => i >= 0);
  return breaks.length > 0 ? Math.min(...breaks) : text.length;
}
