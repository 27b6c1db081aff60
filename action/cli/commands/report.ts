import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { moveTextColumns } from "../../engine/text-columns.ts";
import { parseLog } from "../../ledger/log-jsonl.ts";
import { renderDashboard } from "../../ledger/render-dashboard.ts";
import { parseResultsTsv } from "../../ledger/results-tsv.ts";
import { viewFromLog, viewFromTsv } from "../../ledger/summarize.ts";
import { AutoexpError } from "../../util/errors.ts";
import { jsonLine } from "../../util/record-field.ts";
import { JSON_OPTION } from "../args.ts";
import { defineCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";

/** --goal when not given: karpathy's val_bpb is minimised. */
const DEFAULT_GOAL = "minimize";

export const reportCommand = defineCommand({
  name: "report",
  summary: "a dashboard (markdown) from any karpathy-style results.tsv or autoexp log.jsonl",
  positionals: "<results.tsv|log.jsonl>",
  details: `Lines that cannot be read are skipped and named on stderr; the rest is rendered. A column
that is not numbers (val_pass: true/false) is kept as text in each row's description. --json: each
note and skipped line as a JSON line, then {"type":"report"} (the summary, and the markdown unless
--out), then {"type":"done","exitCode"}.`,
  options: {
    goal: {
      type: "string",
      value: "G",
      default: DEFAULT_GOAL,
      help: "results.tsv only: minimize or maximize (minimise, maximise) the first metric",
    },
    out: { type: "string", value: "F", help: "write the markdown to F instead of stdout" },
    ...JSON_OPTION,
  },
  async run({ values, positionals }, io) {
    const [file, ...extra] = positionals;
    if (!file || extra.length > 0)
      throw new AutoexpError(
        "report needs one file: autoexp report results.tsv (or .autoexp/<tag>/log.jsonl)",
      );
    const goal =
      ({ minimise: "minimize", maximise: "maximize" } as const)[values.goal] ?? values.goal;
    if (goal !== "minimize" && goal !== "maximize") {
      throw new AutoexpError(
        `--goal must be minimize or maximize, got ${JSON.stringify(values.goal)}`,
      );
    }
    const text = await readFile(resolve(io.cwd, file), "utf8").catch((error) => {
      // A tag's record lives on its branch, not in the checkout.
      const tag = /(?:^|\/)\.autoexp\/([^/]+)\/log\.jsonl$/.exec(file)?.[1];
      const hint = tag
        ? `. A tag's record is on its branch: \`git show autoexp/${tag}:.autoexp/${tag}/log.jsonl > log.jsonl\`, then \`autoexp report log.jsonl\` (or \`autoexp status --tag ${tag}\`)`
        : "";
      throw new AutoexpError(`cannot read ${file}: ${describeReadError(error)}${hint}`);
    });
    const json = (value: Record<string, unknown>) => {
      if (values.json) io.out(jsonLine(value));
    };
    let view: ReturnType<typeof viewFromLog>;
    try {
      if (text.trimStart().startsWith("{")) {
        // Titled by the tag its header names, not the path of a copy.
        const log = parseLog(text.endsWith("\n") ? text : `${text}\n`);
        view = viewFromLog(log, log.config?.tag ?? file);
        if (values.goal !== DEFAULT_GOAL && log.config && log.config.goal !== goal)
          io.err(
            `note: ${file}: --goal ${values.goal} is not used: a ledger records its goal (${log.config.goal})`,
          );
      } else {
        const { text: numeric, moved } = moveTextColumns(text);
        for (const column of moved) {
          json({ type: "note", column, message: "text, kept in each row's description" });
          io.err(`note: ${file}: column ${column} is text, kept in each row's description`);
        }
        const tsv = parseResultsTsv(numeric);
        for (const s of tsv.skipped) {
          json({ type: "skipped", line: s.line, reason: s.reason });
          io.err(`warning: ${file}: line ${s.line} skipped: ${s.reason}`);
        }
        if (tsv.rows.length === 0) throw new Error("no readable row");
        view = viewFromTsv(tsv, goal, file);
        for (const c of view.caveats) {
          json({ type: "warning", message: c });
          io.err(`warning: ${file}: ${c}`);
        }
      }
    } catch (error) {
      throw new AutoexpError(`cannot read ${file}: ${(error as Error).message}`);
    }
    const markdown = renderDashboard(view);
    if (values.out) await writeFile(resolve(io.cwd, values.out), markdown);
    if (values.json) {
      json({
        type: "report",
        source: file,
        metric: view.metric,
        goal: view.goal,
        baseline: view.baseline,
        best: view.best,
        counts: view.counts,
        experiments: view.rows.length,
        imported: view.imported,
        ...(values.out ? { out: values.out } : { markdown }),
      });
      json({ type: "done", exitCode: EXIT.ok });
    } else if (!values.out) io.out(markdown);
    else io.out(`wrote ${values.out} (${view.rows.length} rows)`);
    return EXIT.ok;
  },
});

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "it is a directory";
  if (code === "EACCES") return "permission denied";
  return (error as Error).message;
}
