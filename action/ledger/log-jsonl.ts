import { createHash } from "node:crypto";
import { jsonLine } from "../util/record-field.ts";
import type {
  AttributeEntry,
  BatchEntry,
  BranchEntry,
  CacheWriteEntry,
  ConfigEntry,
  ImportEntry,
  ImportUndoEntry,
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
  /** History imported from before autoexp (`autoexp import`) and still in force, oldest first. */
  imports?: ImportEntry[];
  /** `autoexp import --undo` lines, oldest first: each withdrew the import it names from `imports`. */
  importUndos?: { undo: ImportUndoEntry; withdrawn: ImportEntry }[];
  /** `autoexp attribute` lines, oldest first. */
  attributes?: AttributeEntry[];
  /** `autoexp split` lines, oldest first. */
  splits?: SplitEntry[];
  /** What runs wrote into declared writable caches (and changes to the caches), oldest first. */
  cacheWrites?: CacheWriteEntry[];
  /** Strategy `branch`: each switch of the branch proposed on, oldest first (absent: none). */
  branches?: BranchEntry[];
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
  } else if (entry.type === "import-undo") {
    const withdrawn = log.imports?.find((i) => importId(i) === entry.import);
    // An undo of no import in force is never written (import-history.ts refuses it).
    if (!withdrawn) return !lenient;
    log.imports = log.imports!.filter((i) => i !== withdrawn);
    log.importUndos = [...(log.importUndos ?? []), { undo: entry, withdrawn }];
  } else if (entry.type === "attribute") {
    if (lenient && !Array.isArray(entry.changes)) return false;
    log.attributes = [...(log.attributes ?? []), entry];
  } else if (entry.type === "split") {
    if (lenient && !Array.isArray(entry.groups)) return false;
    log.splits = [...(log.splits ?? []), entry];
  } else if (entry.type === "cache-write") {
    if (lenient && (typeof entry.count !== "number" || !Array.isArray(entry.paths))) return false;
    // Pushed, not copied: a batch whose runs write a cache adds a line per experiment.
    log.cacheWrites ??= [];
    log.cacheWrites.push(entry);
  } else if (entry.type === "branch") {
    if (lenient && (typeof entry.iteration !== "number" || !Array.isArray(entry.points)))
      return false;
    log.branches ??= [];
    log.branches.push(entry);
  } else return !lenient;
  return true;
}

/**
 * An import line's name: its `id`, or for a line written before ids, the same digest of the line
 * (every field but `id`) that a new import's id is made of.
 */
export function importId(entry: ImportEntry): string {
  if (entry.id) return entry.id;
  const { id: _, ...rest } = entry;
  return createHash("sha256").update(jsonLine(rest)).digest("hex").slice(0, 12);
}

function byteLength(text: string, chars: number): number {
  return Buffer.byteLength(text.slice(0, chars));
}

/** Serialises entries as JSON lines, one line each for any line-splitting reader (jsonLine). */
export function formatLines(entries: readonly LedgerEntry[]): string {
  return entries.map((e) => `${jsonLine(e)}\n`).join("");
}
