import { jsonLine } from "../util/record-field.ts";
import type {
  AttributeEntry,
  BatchEntry,
  ConfigEntry,
  ImportEntry,
  LedgerEntry,
  RemeasureEntry,
  ResultEntry,
  SplitEntry,
  VerifyEntry,
} from "./types.ts";

export interface ParsedLog {
  config: ConfigEntry | null;
  results: ResultEntry[];
  batches: BatchEntry[];
  remeasures: RemeasureEntry[];
  /** `autoexp verify` lines, oldest first. */
  verifies: VerifyEntry[];
  /** History imported from before autoexp (`autoexp import`), oldest first. */
  imports?: ImportEntry[];
  /** `autoexp attribute` lines, oldest first. */
  attributes?: AttributeEntry[];
  /** `autoexp split` lines, oldest first. */
  splits?: SplitEntry[];
  /** Bytes of the text up to the last complete line; a torn final line lies beyond. */
  validBytes: number;
  torn: boolean;
  /** Lines skipped by a lenient parse (not JSON, or not a ledger entry). */
  unreadable: number;
}

/** A ledger with nothing in it yet. */
export function emptyLog(): ParsedLog {
  return {
    config: null,
    results: [],
    batches: [],
    remeasures: [],
    verifies: [],
    validBytes: 0,
    torn: false,
    unreadable: 0,
  };
}

/** Thrown when a line other than the last does not parse: the ledger was edited or damaged. */
export class LedgerCorruptError extends Error {
  override name = "LedgerCorruptError";
}

/**
 * Parses log.jsonl. A last line without its newline is a write cut off by a crash (we write each
 * line whole and then fsync), so it is reported as torn and ignored; any other bad line is
 * corruption. `lenient` (the App, which shows whatever a branch holds): lines that are not ledger
 * entries are skipped and counted in `unreadable` instead.
 */
export function parseLog(text: string, options: { lenient?: boolean } = {}): ParsedLog {
  const log = emptyLog();
  let offset = 0;
  let lineNo = 0;
  while (offset < text.length) {
    const end = text.indexOf("\n", offset);
    lineNo++;
    if (end === -1 && !options.lenient)
      return { ...log, validBytes: byteLength(text, offset), torn: true };
    const line = text.slice(offset, end === -1 ? text.length : end);
    offset = end === -1 ? text.length : end + 1;
    if (line.trim() === "") continue;
    let entry: LedgerEntry | null = null;
    try {
      entry = JSON.parse(line) as LedgerEntry;
    } catch (cause) {
      if (!options.lenient)
        throw new LedgerCorruptError(`log.jsonl line ${lineNo} is not JSON`, { cause });
    }
    if (!addEntry(log, entry, options.lenient ?? false)) log.unreadable++;
  }
  return { ...log, validBytes: Buffer.byteLength(text) };
}

/** Files an entry under its type; false when it is not a ledger entry (lenient checks shapes). */
export function addEntry(log: ParsedLog, entry: LedgerEntry | null, lenient: boolean): boolean {
  if (!entry || typeof entry !== "object") return false;
  if (entry.type === "config") log.config = entry;
  else if (entry.type === "result") {
    if (lenient && (typeof entry.iteration !== "number" || typeof entry.status !== "string"))
      return false;
    log.results.push(entry);
  } else if (entry.type === "batch") log.batches.push(entry);
  else if (entry.type === "remeasure") {
    if (lenient && !entry.samples) return false;
    log.remeasures.push(entry);
  } else if (entry.type === "verify") {
    if (lenient && (typeof entry.gain?.gain !== "number" || !entry.samples)) return false;
    log.verifies.push(entry);
  } else if (entry.type === "import") {
    if (lenient && !Array.isArray(entry.rows)) return false;
    log.imports = [...(log.imports ?? []), entry];
  } else if (entry.type === "attribute") {
    if (lenient && !Array.isArray(entry.changes)) return false;
    log.attributes = [...(log.attributes ?? []), entry];
  } else if (entry.type === "split") {
    if (lenient && !Array.isArray(entry.groups)) return false;
    log.splits = [...(log.splits ?? []), entry];
  } else return !lenient;
  return true;
}

function byteLength(text: string, chars: number): number {
  return Buffer.byteLength(text.slice(0, chars));
}

/** Serialises entries as JSON lines, one line each for any line-splitting reader (jsonLine). */
export function formatLines(entries: readonly LedgerEntry[]): string {
  return entries.map((e) => `${jsonLine(e)}\n`).join("");
}
