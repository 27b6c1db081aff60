import type { ConfigEntry, Goal, ResultEntry } from "../ledger/types.ts";
import { formatDuration } from "../util/duration.ts";
import { clip } from "../util/text.ts";

/** Everything an LLM agent is told before one proposal. */
export interface ContextInput {
  metric: string;
  goal: Goal;
  incumbentScore: number;
  header: ConfigEntry | null;
  /** Every experiment so far, oldest first (iteration 0 is the baseline). */
  results: readonly ResultEntry[];
  /** The human's research direction. */
  program: string;
  /** The files the agent may edit, with their current text. */
  files: readonly { path: string; text: string }[];
  /** The agent's memory, notes.md. */
  notes: string;
  budget: { experiments: number; wallClockMs: number | null; costUsd: number | null };
  /** Upper bound on the whole text, in characters. */
  maxChars: number;
  /** edits: answer with SEARCH/REPLACE (API agents); files: edit the worktree (CLI agents). */
  protocol:
    | { kind: "edits"; wholeFileMax: number }
    | { kind: "files"; descriptionFile: string; notesFile: string };
}

/** How many of the latest experiments are shown in full; older ones go to the digest. */
const RECENT = 15;
const TAIL_CHARS = 1500;

/** Share of the flexible budget each part gets first; what one part leaves goes to the next. */
const SHARES = { files: 0.45, program: 0.15, recent: 0.12, notes: 0.1, digest: 0.18 } as const;
type Part = keyof typeof SHARES;
const PRIORITY: readonly Part[] = ["files", "program", "recent", "notes", "digest"];

/**
 * Builds the prompt: program.md, the target files, the latest experiments in full, a digest of
 * everything older (so old dead ends are not tried again), the last failure's log tail, notes.md,
 * the goal and the budget left. The task and the answer format are always whole; the rest shares
 * `maxChars`, and when it must be cut each part keeps its most useful end (the newest
 * experiments, the kept ones, the newest notes, the head of each file).
 */
export function buildContext(input: ContextInput): string {
  const task = renderTask(input);
  const answer = renderAnswerFormat(input);
  const last = renderLastFailure(input.results);
  const fixed = task.length + answer.length + last.length + 400;
  const room = Math.max(0, input.maxChars - fixed);

  const older = input.results.slice(1, Math.max(1, input.results.length - RECENT));
  const recentRows = input.results.slice(Math.max(1, input.results.length - RECENT));
  const full: Record<Part, number> = {
    files: input.files.reduce((s, f) => s + f.text.length + f.path.length + 20, 0),
    program: input.program.length,
    recent: recentRows.length * 160,
    notes: input.notes.length,
    digest: older.length * 90,
  };
  const alloc = {} as Record<Part, number>;
  let left = room;
  for (const part of PRIORITY) {
    alloc[part] = Math.min(full[part], Math.floor(SHARES[part] * room));
    left -= alloc[part];
  }
  for (const part of PRIORITY) {
    const extra = Math.min(full[part] - alloc[part], left);
    alloc[part] += extra;
    left -= extra;
  }

  const sections = [
    task,
    section(
      "Research direction (program.md)",
      cutHead(input.program.trim() || "(none given)", alloc.program),
    ),
    last,
    section("Recent experiments (newest last)", renderRecent(recentRows, input, alloc.recent)),
    older.length > 0
      ? section(
          "Everything tried before (digest, do not repeat dead ends)",
          renderDigest(older, alloc.digest),
        )
      : "",
    section(
      "Notes (notes.md, your memory across experiments)",
      cutTail(input.notes.trim() || "(empty)", alloc.notes),
    ),
    section("Files you may edit", renderFiles(input.files, alloc.files)),
    answer,
  ];
  return `${sections.filter(Boolean).join("\n\n")}\n`;
}

function section(title: string, body: string): string {
  return `## ${title}\n${body}`;
}

function renderTask(input: ContextInput): string {
  const { metric, goal, header, budget } = input;
  const better = goal === "minimize" ? "lower" : "higher";
  const facts = [`Current best: ${metric} = ${fmt(input.incumbentScore)}`];
  if (header) facts.push(`baseline ${fmt(header.baseline)}`);
  if (header?.noise) facts.push(`run-to-run noise (sd) ${fmt(header.noise)}`);
  if (header?.min_delta) facts.push(`smallest change that counts ${fmt(header.min_delta)}`);
  const guards = header
    ? Object.entries(header.guards).map(
        ([name, g]) =>
          `${name} ${g.min !== undefined ? `>= ${g.min}` : ""}${g.min !== undefined && g.max !== undefined ? " and " : ""}${g.max !== undefined ? `<= ${g.max}` : ""}`,
      )
    : [];
  const left = [`${budget.experiments} experiment(s) left in this batch`];
  if (budget.wallClockMs !== null)
    left.push(`${formatDuration(Math.max(0, budget.wallClockMs))} of wall clock`);
  if (budget.costUsd !== null)
    left.push(`$${Math.max(0, budget.costUsd).toFixed(2)} of model cost`);
  return [
    "# Your task",
    `You are one step of an autonomous research loop. Make ONE focused change to the files you may edit that makes \`${metric}\` ${better} (goal: ${goal}). autoexp then runs the fixed evaluation, keeps your change only if it really improves ${metric} beyond noise, and otherwise reverts it.`,
    `${facts.join("; ")}.`,
    ...(guards.length > 0
      ? [`Guards (a change that breaks one is rejected): ${guards.join("; ")}.`]
      : []),
    `Budget left: ${left.join(", ")}.`,
    "Rules: one idea per experiment. Never ask questions or wait for confirmation: nobody is watching, so decide and act. Do not commit, do not touch files outside the list below, do not change the evaluation. Prefer simple changes: a small gain that adds ugly complexity is not worth it, and removing code for an equal result is a win. Do not repeat an idea that the digest shows already failed unless you change it materially.",
  ].join("\n");
}

function renderAnswerFormat(input: ContextInput): string {
  const p = input.protocol;
  if (p.kind === "files") {
    return [
      "## How to answer",
      "Edit the files in the current directory directly, then stop.",
      `Write ONE line describing your change (what and why) to ${p.descriptionFile}.`,
      `To remember something for later experiments (what worked, what failed, ideas), append it to ${p.notesFile}; keep it short.`,
    ].join("\n");
  }
  return [
    "## How to answer",
    "Reply in exactly this form:",
    "",
    "DESCRIPTION: <one line: what you change and why>",
    "NOTE: <optional, one line worth remembering in later experiments; repeat the line for more>",
    "",
    "then one or more edits, each as:",
    "",
    "path/of/the/file",
    "<<<<<<< SEARCH",
    "<lines copied exactly from the file, whitespace included>",
    "=======",
    "<the lines that replace them>",
    ">>>>>>> REPLACE",
    "",
    "The SEARCH part must match exactly one place in the file; include enough lines to make it unique. Every edit must name one of the files you may edit. If any edit does not apply, none is applied and you are told why next time.",
    p.wholeFileMax > 0
      ? `A file of at most ${p.wholeFileMax} characters may instead be sent whole: its path alone on one line, then the complete file in a \`\`\` block (no "..." or "unchanged" placeholders).`
      : "",
  ]
    .filter((l, i, all) => l !== "" || all[i - 1] !== "")
    .join("\n");
}

/** The latest failure worth reading: a rejected answer, a crash's log tail, a violation. */
function renderLastFailure(results: readonly ResultEntry[]): string {
  const last = results.at(-1);
  if (!last || last.iteration === 0) return "";
  const crash = results.findLast((r) => r.status === "crash" || r.status === "timeout");
  const parts: string[] = [];
  if (last.status === "agent_error" || last.status === "violation" || last.status === "no_change") {
    parts.push(
      `The previous experiment (#${last.iteration}) was not evaluated: ${last.status}: ${last.reason ?? last.description}`,
    );
  }
  if (crash?.log_tail && crash.iteration >= results.length - RECENT) {
    parts.push(
      `The last crash, #${crash.iteration} (${crash.status}: ${crash.description}), ended with:\n\`\`\`\n${cutTail(crash.log_tail.trim(), TAIL_CHARS)}\n\`\`\``,
    );
  }
  return parts.length > 0 ? section("Last failure", parts.join("\n\n")) : "";
}

function renderRecent(rows: readonly ResultEntry[], input: ContextInput, max: number): string {
  if (rows.length === 0) return "(none yet: this is the first experiment)";
  const lines = rows.map((r) => {
    const delta =
      r.delta !== null && r.status !== "baseline"
        ? ` Δ${r.delta >= 0 ? "+" : ""}${fmt(r.delta)}`
        : "";
    const score = r.score !== null ? ` ${input.metric}=${fmt(r.score)}` : "";
    const ev = r.evidence
      ? ` (${r.evidence.p !== null ? `p=${fmt(r.evidence.p)}, ` : ""}${r.evidence.runs} run${r.evidence.runs === 1 ? "" : "s"})`
      : "";
    const why = r.reason && r.status !== "keep" ? ` — ${clip(r.reason, 160)}` : "";
    return `- #${r.iteration} ${r.status}${score}${delta}${ev}: ${clip(r.description, 200)}${why}`;
  });
  return keepLast(lines, max);
}

/**
 * Every older experiment in a line: kept ones first (they are the path so far), then the
 * rest, identical descriptions merged. When cut, the newest survive.
 */
function renderDigest(rows: readonly ResultEntry[], max: number): string {
  const kept = rows.filter((r) => r.status === "keep" || r.status === "simplification");
  const keptLines = kept.map(
    (r) =>
      `- #${r.iteration} ${r.status} Δ${r.delta !== null && r.delta >= 0 ? "+" : ""}${fmt(r.delta ?? 0)}: ${clip(r.description, 120)}`,
  );
  const groups = new Map<string, { rows: ResultEntry[]; description: string }>();
  for (const r of rows) {
    if (r.status === "keep" || r.status === "simplification") continue;
    const key = `${r.status}\0${r.description.toLowerCase().replace(/\s+/g, " ").trim()}`;
    const g = groups.get(key) ?? { rows: [], description: r.description };
    g.rows.push(r);
    groups.set(key, g);
  }
  const otherLines = [...groups.values()]
    .sort((a, b) => a.rows.at(-1)!.iteration - b.rows.at(-1)!.iteration)
    .map((g) => {
      const r = g.rows.at(-1)!;
      const ids =
        g.rows.length > 1
          ? `${g.rows.length}× (#${g.rows
              .map((x) => x.iteration)
              .slice(-4)
              .join(", #")})`
          : `#${r.iteration}`;
      const delta = r.delta !== null ? ` Δ${r.delta >= 0 ? "+" : ""}${fmt(r.delta)}` : "";
      return `- ${ids} ${r.status}${delta}: ${clip(g.description, 100)}`;
    });
  const keptText =
    keptLines.length > 0 ? `Kept:\n${keepLast(keptLines, Math.floor(max * 0.4))}` : "";
  const otherText =
    otherLines.length > 0
      ? `Not kept:\n${keepLast(otherLines, Math.max(0, max - keptText.length - 20))}`
      : "";
  return [keptText, otherText].filter(Boolean).join("\n") || "(nothing)";
}

function renderFiles(files: readonly { path: string; text: string }[], max: number): string {
  if (files.length === 0) return "(none)";
  const each = Math.floor(max / files.length);
  let spare = files.reduce((s, f) => s + Math.max(0, each - f.text.length - f.path.length - 20), 0);
  return files
    .map((f) => {
      let room = each - f.path.length - 20;
      if (f.text.length > room && spare > 0) {
        const extra = Math.min(spare, f.text.length - room);
        room += extra;
        spare -= extra;
      }
      const fence = f.text.includes("```") ? "````" : "```";
      const text = f.text.length <= room ? f.text.replace(/\n$/, "") : cutLines(f.text, room);
      return `${f.path}\n${fence}\n${text}\n${fence}`;
    })
    .join("\n\n");
}

/** The first lines that fit, and how many were left out. */
function cutLines(text: string, max: number): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (size + line.length + 1 > Math.max(0, max - 60)) break;
    out.push(line);
    size += line.length + 1;
  }
  return `${out.join("\n")}\n[... ${lines.length - out.length} more lines not shown: quote only lines shown above]`;
}

function cutHead(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 40))}\n[... ${text.length - max + 40} characters cut]`;
}

function cutTail(text: string, max: number): string {
  if (text.length <= max) return text;
  return `[... ${text.length - max + 40} earlier characters cut]\n${text.slice(text.length - Math.max(0, max - 40))}`;
}

/** The newest lines that fit in `max` characters, and a count of the older ones left out. */
function keepLast(lines: readonly string[], max: number): string {
  const out: string[] = [];
  let size = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (size + lines[i]!.length + 1 > max - 50 && out.length > 0) {
      out.unshift(`[... ${i + 1} older line(s) not shown]`);
      break;
    }
    out.unshift(lines[i]!);
    size += lines[i]!.length + 1;
  }
  return out.join("\n");
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1000 || a < 0.001 ? x.toPrecision(4) : String(Number(x.toPrecision(5)));
}
