import { resolve } from "node:path";
import { primaryMetric } from "../../config/validate-config.ts";
import { importHistory, undoImport } from "../../engine/import-history.ts";
import { AutoexpError, defaultTag, validateTag } from "../../util/errors.ts";
import { readValidConfig, requireRepository } from "../args.ts";
import { defineCommand } from "../command.ts";

export const importCommand = defineCommand({
  name: "import",
  summary:
    "bring an existing karpathy-style results.tsv in as history: on the dashboard, and told to the agent as tried",
  positionals: "<results.tsv>",
  details: `The rows are recorded in the tag's log.jsonl as one {"type":"import"} line (now, or right
after the baseline when the tag has not started). They are not experiments of the tag: no
commits, never the incumbent. Lines that cannot be read are skipped and named. Refused: a file
whose metric is not the config's primary, one that is not a results.tsv (statuses other than
keep/discard/crash), rows already imported. --undo forgets an import that waits for the tag's
first run (a recorded one stays: the log is append-only).`,
  options: {
    config: { type: "string", value: "F", default: "autoexp.yml", help: "the config file" },
    tag: { type: "string", value: "T", help: "the tag (default <name>-<date>, as run)" },
    undo: { type: "boolean", help: "forget the import waiting for the tag's first run" },
  },
  async run({ values, positionals }, io) {
    const [file, ...extra] = positionals;
    if (values.undo ? file !== undefined : !file || extra.length > 0)
      throw new AutoexpError(
        "import needs one file (autoexp import results.tsv), or --undo and no file",
      );
    const repoDir = await requireRepository(io.cwd, io.env);
    const config = await readValidConfig(resolve(io.cwd, values.config), values.config);
    const tag = validateTag(values.tag ?? defaultTag(config.name));
    if (values.undo || !file) {
      const undone = await undoImport({ repoDir, tag, env: io.env });
      io.out(
        `undone: the import of ${undone.rows.length} row(s) from ${undone.source} into tag ${tag} is forgotten`,
      );
      return 0;
    }
    const { entry, skipped, pending } = await importHistory({
      repoDir,
      tag,
      file: resolve(io.cwd, file),
      metric: primaryMetric(config),
      env: io.env,
    });
    for (const s of skipped) io.err(`line ${s.line} skipped: ${s.reason}`);
    const kept = entry.rows.filter((r) => r.status === "keep").length;
    io.out(
      `imported ${entry.rows.length} row(s) of ${entry.metric} from ${entry.source} (${kept} kept there${skipped.length ? `, ${skipped.length} line(s) skipped` : ""}) into tag ${tag}: ${pending ? "recorded when the tag starts (autoexp run)" : "recorded now"}; the dashboard shows it and the agent is told it was tried`,
    );
    return 0;
  },
});
