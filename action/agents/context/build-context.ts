import type { ContextInput } from "./context-input.ts";
import { cutHead, cutTail } from "./cut-text.ts";
import { RECENT } from "./recent.ts";
import { renderAnswerFormat } from "./render-answer-format.ts";
import { renderBranch } from "./render-branch.ts";
import { renderCurves } from "./render-curves.ts";
import { renderDigest } from "./render-digest.ts";
import { renderFiles } from "./render-files.ts";
import { renderImported } from "./render-imported.ts";
import { renderLastFailure } from "./render-last-failure.ts";
import { renderRecent } from "./render-recent.ts";
import { renderTask } from "./render-task.ts";
import { section } from "./section.ts";

/** Share of the flexible budget each part gets first; what one part leaves goes to the next. */
// The curves' share comes out of the files': without curves the files get it back first.
const SHARES = {
  files: 0.4,
  program: 0.15,
  recent: 0.12,
  curves: 0.05,
  notes: 0.1,
  digest: 0.18,
} as const;
type Part = keyof typeof SHARES;
const PRIORITY: readonly Part[] = ["files", "program", "recent", "curves", "notes", "digest"];
const CURVES_TITLE = "Training curves (the eval's progress lines over time)";

/**
 * Builds the prompt: program.md, the target files, the latest experiments in full, a digest of
 * everything older (so old dead ends are not tried again), the last failure's log tail, how the
 * incumbent's and the latest candidates' runs trained (their curves), notes.md, the goal and the
 * budget left. The task and the answer format are always whole; the rest shares `maxChars`, and
 * when it must be cut each part keeps its most useful end (the newest experiments, the kept ones,
 * the newest notes, the head of each file, the incumbent's curve).
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
    curves: input.curves?.length
      ? renderCurves(input.curves, input.metric, Number.POSITIVE_INFINITY).length +
        CURVES_TITLE.length +
        5
      : 0,
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
    renderBranch(input.branch),
    section("Recent experiments (newest last)", renderRecent(recentRows, input, alloc.recent)),
    input.pending?.length
      ? section(
          "Being evaluated now (results not in yet; propose something else)",
          input.pending
            .slice(-10)
            .map((p) => `- ${p.description}`)
            .join("\n"),
        )
      : "",
    curvesSection(input, alloc.curves - CURVES_TITLE.length - 5),
    older.length > 0
      ? section(
          "Everything tried before (digest, do not repeat dead ends)",
          renderDigest(older, alloc.digest),
        )
      : "",
    input.imported?.length
      ? section(
          "Tried before autoexp (imported results.tsv; do not repeat dead ends)",
          renderImported(input.imported, input.goal, Math.max(2000, alloc.digest)),
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

function curvesSection(input: ContextInput, max: number): string {
  const body = input.curves?.length ? renderCurves(input.curves, input.metric, max) : "";
  return body ? section(CURVES_TITLE, body) : "";
}
