import type { BatchEntry, ConfigEntry, LedgerEntry, RemeasureEntry, ResultEntry } from "./types.ts";

export interface ParsedLog {
  config: ConfigEntry | null;
  results: ResultEntry[];
  batches: BatchEntry[];
  remeasures: RemeasureEntry[];
  /** Bytes of the text up to the last complete line; a torn final line lies beyond. */
  validBytes: number;
  torn: boolean;
}

/** Thrown when a line other than the last does not parse: the ledger was edited or damaged. */
export class LedgerCorruptError extends Error {
  override name = "LedgerCorruptError";
}

/**
 * Parses log.jsonl. A last line without its newline is a write cut off by a crash (we write each
 * line whole and then fsync), so it is reported as torn and ignored; any other bad line is corruption.
 */
export function parseLog(text: string): ParsedLog {
  const results: ResultEntry[] = [];
  const batches: BatchEntry[] = [];
  const remeasures: RemeasureEntry[] = [];
  let config: ConfigEntry | null = null;
  let offset = 0;
  let lineNo = 0;
  while (offset < text.length) {
    const end = text.indexOf("\n", offset);
    lineNo++;
    if (end === -1)
      return {
        config,
        results,
        batches,
        remeasures,
        validBytes: byteLength(text, offset),
        torn: true,
      };
    const line = text.slice(offset, end);
    offset = end + 1;
    if (line.trim() === "") continue;
    let entry: LedgerEntry;
    try {
      entry = JSON.parse(line) as LedgerEntry;
    } catch (cause) {
      throw new LedgerCorruptError(`log.jsonl line ${lineNo} is not JSON`, { cause });
    }
    if (entry.type === "config") config = entry;
    else if (entry.type === "result") results.push(entry);
    else if (entry.type === "batch") batches.push(entry);
    else if (entry.type === "remeasure") remeasures.push(entry);
  }
  return { config, results, batches, remeasures, validBytes: Buffer.byteLength(text), torn: false };
}

function byteLength(text: string, chars: number): number {
  return Buffer.byteLength(text.slice(0, chars));
}

/** Serialises entries as JSON lines. */
export function formatLines(entries: readonly LedgerEntry[]): string {
  return entries.map((e) => `${JSON.stringify(e)}\n`).join("");
}
