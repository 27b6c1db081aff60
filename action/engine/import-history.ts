import { readFile, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { writeAtomic } from "../files/write-atomic.ts";
import { parseResultsTsv } from "../ledger/results-tsv.ts";
import type { ImportEntry } from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";
import { RecordStore } from "./record-store.ts";

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
  env: Record<string, string | undefined>;
}): Promise<{ entry: ImportEntry; skipped: { line: number; reason: string }[]; pending: boolean }> {
  const text = await readFile(options.file, "utf8").catch((cause) => {
    throw new AutoexpError(`cannot read ${options.file}: ${(cause as Error).message}`, { cause });
  });
  let parsed: ReturnType<typeof parseResultsTsv>;
  try {
    parsed = parseResultsTsv(text);
  } catch (cause) {
    throw new AutoexpError(`${options.file}: ${(cause as Error).message}; nothing was imported`);
  }
  const metric = parsed.metrics[0]!;
  const entry: ImportEntry = {
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
  const { store } = await RecordStore.open({
    repoDir: options.repoDir,
    tag: options.tag,
    env: options.env,
  });
  await using _store = store;
  if (store.log) {
    await store.append([entry]);
    return { entry, skipped: parsed.skipped, pending: false };
  }
  await writeAtomic(join(store.stateDir, PENDING), JSON.stringify(entry));
  return { entry, skipped: parsed.skipped, pending: true };
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
