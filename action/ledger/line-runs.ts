import { formatDelta, formatScore } from "./format-score.ts";
import { KEPT, type ResultEntry, type Status } from "./types.ts";

/** Matrix runs drawn at most (the newest); their rows in log.jsonl hold them all. */
const MAX_LINE_RUNS = 5;

/** One matrix run of a tag: K lines from one incumbent, each a branch of the tree. */
export interface LineRun {
  /** The incumbent every line started from, and its score. */
  from: number;
  fromScore: number | null;
  of: number;
  /** The line whose keeps moved the branch (published first); null when no line kept anything. */
  won: number | null;
  /** The lines that wrote rows, in record order (the winner first). */
  lines: LineBranch[];
}

/** One line of a matrix run: what it tried and kept on its own record. */
export interface LineBranch {
  index: number;
  /** Its experiments, in record order. */
  experiments: number[];
  /**
   * The keeps it made on its own line, oldest first. `displaced`: another line moved the branch,
   * so this keep was recorded as not kept and queued for a re-check; `recheck`: the row that
   * re-checked it against the incumbent, when one has.
   */
  keeps: {
    iteration: number;
    displaced: boolean;
    recheck?: { iteration: number; status: Status };
  }[];
  /** Its own incumbent at its end (its last keep), with its score; null: it kept nothing. */
  best: { iteration: number; score: number | null } | null;
}

/**
 * The matrix runs in the rows: a run is the rows carrying `line` with one start and size, and a
 * new run begins where a line reappears after another line's rows (each line's rows are
 * published together). A line's keeps are its rows kept, or kept there and displaced (`recheck`).
 */
export function lineRuns(results: readonly ResultEntry[]): LineRun[] {
  const runs: (LineRun & { last: number })[] = [];
  const rechecks = new Map<number, ResultEntry>();
  for (const r of results) if (r.recheck_of !== undefined) rechecks.set(r.recheck_of, r);
  for (const r of results) {
    if (!r.line || r.status === "baseline") continue;
    const { index, of, from } = r.line;
    let run = runs.at(-1);
    const seen = run?.lines.some((l) => l.index === index);
    if (!run || run.from !== from || run.of !== of || (run.last !== index && seen)) {
      const start = results.find((x) => x.iteration === from);
      run = { from, fromScore: start?.score ?? null, of, won: null, lines: [], last: index };
      runs.push(run);
    }
    run.last = index;
    let line = run.lines.find((l) => l.index === index);
    if (!line) {
      line = { index, experiments: [], keeps: [], best: null };
      run.lines.push(line);
    }
    line.experiments.push(r.iteration);
    const kept = KEPT.has(r.status) && r.score !== null;
    if (!kept && r.recheck !== "queued") continue;
    const again = rechecks.get(r.iteration);
    line.keeps.push({
      iteration: r.iteration,
      displaced: !kept,
      ...(again ? { recheck: { iteration: again.iteration, status: again.status } } : {}),
    });
    line.best = { iteration: r.iteration, score: r.score };
    if (kept) run.won = index;
  }
  return runs.map(({ last: _, ...run }) => run);
}

/**
 * The matrix runs as Markdown, a part of the tree's section (dashboard and PR alike): per run,
 * which incumbent the lines started from and which line moved the branch, then a table of the
 * lines: their experiments, the keeps each made on its own line (a displaced one named as such,
 * with its re-check when one ran) and its best against the start. `name`: how an experiment is
 * named (the PR links commits). Empty without matrix runs.
 */
export function renderLineRuns(
  runs: readonly LineRun[],
  name: (iteration: number) => string,
): string[] {
  if (runs.length === 0) return [];
  const shown = runs.slice(-MAX_LINE_RUNS);
  const out: string[] =
    runs.length > shown.length
      ? [`_${runs.length - shown.length} earlier matrix run(s) in log.jsonl._`, ""]
      : [];
  for (const [i, run] of shown.entries()) {
    if (i > 0) out.push("");
    const start = `${name(run.from)}${run.fromScore !== null ? ` (${formatScore(run.fromScore)})` : ""}`;
    const outcome =
      run.won === null
        ? `No line kept anything: the branch stayed at ${name(run.from)}.`
        : `Line ${run.won} moved the branch (published first: its keeps are the branch's). Every other line's keeps were judged on that line only, so they are recorded as not kept here and queued for a re-check against the incumbent; their code stays at their experiment's ref, and strategy \`branch\` may propose from them.`;
    out.push(
      `Matrix lines: ${run.of} lines each ran from the incumbent ${start} on its own machine, as branches of this tree. ${outcome}`,
      "",
      "| line | experiments | keeps on its line | its best | vs the start |",
      "|---|---|---|---|--:|",
      ...run.lines.map((line) => renderLine(run, line, name)),
    );
  }
  return out;
}

function renderLine(run: LineRun, line: LineBranch, name: (iteration: number) => string): string {
  const label = `${line.index} of ${run.of}${run.won === line.index ? ": moved the branch" : ""}`;
  const first = line.experiments[0]!;
  const last = line.experiments.at(-1)!;
  // Plain numbers: the keeps and the best are the experiments worth a link.
  const span = `${first === last ? `#${first}` : `#${first}–#${last}`} (${line.experiments.length})`;
  const keeps =
    line.keeps.length === 0
      ? "none"
      : line.keeps
          .map((k) =>
            !k.displaced
              ? name(k.iteration)
              : `${name(k.iteration)} (displaced: ${k.recheck ? `re-checked as ${name(k.recheck.iteration)}, ${k.recheck.status}` : "queued for a re-check"})`,
          )
          .join(", ");
  const best = line.best
    ? `${name(line.best.iteration)} ${formatScore(line.best.score)}`
    : `${name(run.from)} (the start)`;
  // The metric's own change, as the kept table's Δ.
  const delta =
    line.best && line.best.score !== null && run.fromScore !== null
      ? formatDelta(line.best.score - run.fromScore)
      : "";
  return `| ${label} | ${span} | ${keeps} | ${best} | ${delta} |`;
}
