import { readFile, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { writeAtomic } from "../files/write-atomic.ts";
import { importId } from "../ledger/log-jsonl.ts";
import { parseResultsTsv } from "../ledger/results-tsv.ts";
import { type ImportEntry, type ImportUndoEntry, STATUSES } from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";
import { RecordStore } from "./record-store.ts";
import { moveTextColumns } from "./text-columns.ts";

/** Where an import waits for a tag that has no baseline yet (recorded right after it). */
const PENDING = "import.json";

/**
 * Brings a karpathy-style results.tsv in as history of tag `tag`: recorded now when the tag
 * exists, else kept until its baseline is recorded. Lines that cannot be read are skipped and
 * counted. Returns the entry and whether it is waiting for the tag to start.
 */
export async function importHistory(options: {
  repoDir: string;
  tag: string;
  file: string;
  /** The config's primary metric: a file about another metric is refused. */
  metric: string;
  env: Record<string, string | undefined>;
}): Promise<{ entry: ImportEntry; skipped: { line: number; reason: string }[]; pending: boolean }> {
  const text = await readFile(options.file, "utf8").catch((cause) => {
    throw new AutoexpError(`cannot read ${options.file}: ${(cause as Error).message}`, { cause });
  });
  let parsed: ReturnType<typeof parseResultsTsv>;
  try {
    parsed = parseResultsTsv(moveTextColumns(text).text);
  } catch (cause) {
    throw new AutoexpError(`${options.file}: ${(cause as Error).message}; nothing was imported`);
  }
  const metric = parsed.metrics[0]!;
  const refuse = (why: string) => new AutoexpError(`${options.file}: ${why}; nothing was imported`);
  if (metric.toLowerCase() !== options.metric.toLowerCase())
    throw refuse(
      `its metric is ${metric}, this tag's is ${options.metric} (autoexp.yml): history of another metric would mislead the agent. Import a results.tsv of ${options.metric}, or use the config it belongs to (--config)`,
    );
  const known = parsed.rows.filter((r) => KNOWN_STATUSES.has(r.status)).length;
  if (parsed.rows.length === 0 || known < parsed.rows.length / 2)
    throw refuse(
      `${parsed.rows.length === 0 ? "no readable row" : `${parsed.rows.length - known} of ${parsed.rows.length} rows have a status that is not keep, discard or crash`}: not a karpathy-style results.tsv`,
    );
  const unnamed: ImportEntry = {
    type: "import",
    source: basename(options.file),
    metric,
    rows: parsed.rows.map((r) => ({
      commit: r.commit,
      score: r.status === "crash" ? null : (r.values[metric] ?? null),
      status: r.status,
      description: r.description,
    })),
    skipped: parsed.skipped.length,
    timestamp: new Date().toISOString(),
  };
  // Named by a digest of the line, so that --undo can say which import it withdraws.
  const { type, ...fields } = unnamed;
  const entry: ImportEntry = { type, id: importId(unnamed), ...fields };
  const { store } = await RecordStore.open({
    repoDir: options.repoDir,
    tag: options.tag,
    env: options.env,
  });
  await using _store = store;
  const earlier = [
    ...(store.log?.imports ?? []),
    ...(await readPending(store.stateDir).then((p) => (p ? [p] : []))),
  ];
  if (earlier.some((e) => sameRows(e, entry)))
    throw refuse(
      `the same rows were already imported into tag ${options.tag}${store.log ? "" : " (waiting for its first run)"}: importing them twice would count every attempt twice`,
    );
  if (store.log) {
    await store.append([entry]);
    return { entry, skipped: parsed.skipped, pending: false };
  }
  await writeAtomic(join(store.stateDir, PENDING), JSON.stringify(entry));
  return { entry, skipped: parsed.skipped, pending: true };
}

/** karpathy's statuses and autoexp's own, from the one list (simplification left out, as before). */
const KNOWN_STATUSES = new Set<string>(STATUSES.filter((s) => s !== "simplification"));

function sameRows(a: ImportEntry, b: ImportEntry): boolean {
  return a.metric === b.metric && JSON.stringify(a.rows) === JSON.stringify(b.rows);
}

async function readPending(stateDir: string): Promise<ImportEntry | null> {
  const text = await readFile(join(stateDir, PENDING), "utf8").catch(() => null);
  return text === null ? null : (JSON.parse(text) as ImportEntry);
}

/**
 * Undoes `autoexp import`: `which` (an import's id, a prefix of it, or its file name; default the
 * last import in force) is withdrawn. An import waiting for the tag's first run is forgotten; a
 * recorded one is withdrawn by an `import-undo` line appended to the log like every other line
 * (signed, resumable), after which nothing reads its rows. Refused: an import never made, or one
 * already undone.
 */
export async function undoImport(options: {
  repoDir: string;
  tag: string;
  which?: string | undefined;
  env: Record<string, string | undefined>;
}): Promise<{ entry: ImportEntry; pending: boolean }> {
  const { store } = await RecordStore.open(options);
  await using _store = store;
  const { which, tag } = options;
  const matches = (e: ImportEntry) =>
    which === undefined ||
    e.source === which ||
    basename(which) === e.source ||
    (which.length >= 4 && importId(e).startsWith(which));
  const pending = await readPending(store.stateDir);
  if (pending && matches(pending)) {
    await rm(join(store.stateDir, PENDING), { force: true });
    return { entry: pending, pending: true };
  }
  const live = (store.log?.imports ?? []).filter(matches);
  if (which !== undefined && live.length > 1)
    throw new AutoexpError(
      `${JSON.stringify(which)} names ${live.length} imports of tag ${tag} (${live.map(describe).join("; ")}): give the id of one (autoexp import --undo ID); nothing was changed`,
    );
  const target = live.at(-1);
  if (target) {
    const undo: ImportUndoEntry = {
      type: "import-undo",
      import: importId(target),
      source: target.source,
      rows: target.rows.length,
      timestamp: new Date().toISOString(),
    };
    await store.append([undo]);
    return { entry: target, pending: false };
  }
  const undone = (store.log?.importUndos ?? []).filter((u) => matches(u.withdrawn));
  const inForce = [...(store.log?.imports ?? []), ...(pending ? [pending] : [])];
  const left = inForce.length
    ? ` Its imports in force: ${inForce.map(describe).join("; ")} (autoexp import --undo ID)`
    : "";
  if (undone.length > 0) {
    const last = undone.at(-1)!;
    throw new AutoexpError(
      `the import ${describe(last.withdrawn)} was already undone at ${last.undo.timestamp}: nothing to undo in tag ${tag}.${left}`,
    );
  }
  throw new AutoexpError(
    which === undefined
      ? `tag ${tag} has no import to undo (autoexp import results.tsv makes one)`
      : `no import ${JSON.stringify(which)} was made into tag ${tag}: nothing to undo.${left || " It has no import."}`,
  );
}

function describe(e: ImportEntry): string {
  return `${importId(e)} (${e.rows.length} row(s) from ${e.source})`;
}

/** An import waiting for this tag's baseline, recorded now and forgotten; false when none. */
export async function recordPendingImport(store: RecordStore): Promise<boolean> {
  const path = join(store.stateDir, PENDING);
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return false;
  await store.append([JSON.parse(text) as ImportEntry]);
  await rm(path, { force: true });
  return true;
}
