import { resolve } from "node:path";
import { primaryMetric } from "../../config/validate-config.ts";
import { importHistory, undoImport } from "../../engine/import-history.ts";
import { importId } from "../../ledger/log-jsonl.ts";
import { keptAfterBaseline } from "../../ledger/summarize.ts";
import { AutoexpError, defaultTag, validateTag } from "../../util/errors.ts";
import { jsonLine } from "../../util/record-field.ts";
import { JSON_OPTION, readValidConfig, requireRepository } from "../args.ts";
import { defineCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";

export const importCommand = defineCommand({
  name: "import",
  summary:
    "bring an existing karpathy-style results.tsv in as history: on the dashboard, and told to the agent as tried",
  positionals: "<results.tsv> | --undo [ID|file]",
  details: `The rows are recorded in the tag's log.jsonl as one {"type":"import"} line (now, or right
after the baseline when the tag has not started). They are not experiments of the tag: no
commits, never the incumbent. Lines that cannot be read are skipped and named. Refused: a file
whose metric is not the config's primary, one that is not a results.tsv (statuses other than
keep/discard/crash), rows already imported. Each import has an id (printed, and in its log line).
--undo withdraws the last import in force (or the one named by its id or file name) at any time:
an import still waiting for the first run is forgotten; a recorded one is withdrawn by an
{"type":"import-undo"} line appended to the log (which stays append-only), after which the agent,
status, report and the dashboard no longer see its rows. Refused: an import never made or
already undone.`,
  options: {
    config: { type: "string", value: "F", default: "autoexp.yml", help: "the config file" },
    tag: { type: "string", value: "T", help: "the tag (default <name>-<date>, as run)" },
    undo: {
      type: "boolean",
      help: "withdraw the last import (or the one whose id or file name follows)",
    },
    ...JSON_OPTION,
  },
  async run({ values, positionals }, io) {
    const [file, ...extra] = positionals;
    if (values.undo ? extra.length > 0 : !file || extra.length > 0)
      throw new AutoexpError(
        "import needs one file (autoexp import results.tsv), or --undo and at most an import's id or file name",
      );
    const repoDir = await requireRepository(io.cwd, io.env);
    const config = await readValidConfig(resolve(io.cwd, values.config), values.config);
    const tag = validateTag(values.tag ?? defaultTag(config.name));
    const done = () => {
      if (values.json) io.out(jsonLine({ type: "done", exitCode: EXIT.ok }));
      return EXIT.ok;
    };
    if (values.undo || !file) {
      const { entry, pending } = await undoImport({ repoDir, tag, which: file, env: io.env });
      const id = importId(entry);
      if (values.json)
        io.out(
          jsonLine({
            type: "import-undone",
            tag,
            id,
            source: entry.source,
            rows: entry.rows.length,
            pending,
          }),
        );
      else
        io.out(
          pending
            ? `undone: the import ${id} of ${entry.rows.length} row(s) from ${entry.source} into tag ${tag} was waiting for the tag's first run and is forgotten`
            : `undone: the import ${id} of ${entry.rows.length} row(s) from ${entry.source} is withdrawn from tag ${tag} (an import-undo line in its log): the agent, status, report and the dashboard no longer see its rows`,
        );
      return done();
    }
    const { entry, skipped, pending } = await importHistory({
      repoDir,
      tag,
      file: resolve(io.cwd, file),
      metric: primaryMetric(config),
      env: io.env,
    });
    const kept = keptAfterBaseline(entry.rows);
    const id = importId(entry);
    if (values.json) {
      for (const s of skipped)
        io.out(jsonLine({ type: "skipped", line: s.line, reason: s.reason }));
      io.out(
        jsonLine({
          type: "imported",
          tag,
          id,
          source: entry.source,
          metric: entry.metric,
          rows: entry.rows.length,
          kept,
          skipped: skipped.length,
          pending,
        }),
      );
      return done();
    }
    for (const s of skipped) io.err(`line ${s.line} skipped: ${s.reason}`);
    io.out(
      `imported ${entry.rows.length} row(s) of ${entry.metric} from ${entry.source} (its baseline and ${kept} kept there${skipped.length ? `, ${skipped.length} line(s) skipped` : ""}) into tag ${tag} as import ${id}: ${pending ? "recorded when the tag starts (autoexp run)" : "recorded now"}; the dashboard shows it and the agent is told it was tried (autoexp import --undo withdraws it)`,
    );
    return EXIT.ok;
  },
});
