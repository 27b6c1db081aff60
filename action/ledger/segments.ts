/**
 * How a ledger is laid out in a record commit, so that recording one more experiment costs the
 * same at 20,000 rows as at 20. Up to SEGMENT_LINES lines, `log.jsonl` is the whole ledger (as
 * every earlier version wrote it). Past that, every full block of SEGMENT_LINES lines is sealed
 * into `log/<n>.jsonl`, which never changes again (git stores it once), and `log.jsonl` holds
 * the lines after the last sealed block, led by one line naming the sealed files in order:
 *
 *   {"type":"continues","segments":["log/000001.jsonl","log/000002.jsonl"]}
 *
 * The layout is a function of the ledger's text alone: whoever writes a record (the engine, a
 * publish merging two batches) writes the same files. Pure.
 */

/** Lines per sealed segment. */
export const SEGMENT_LINES = 1000;

export interface Segmented {
  /** Sealed blocks of exactly SEGMENT_LINES lines each, in order. */
  sealed: string[];
  /** The lines after them (fewer than SEGMENT_LINES). */
  tail: string;
  tailLines: number;
}

export const LEDGER_FILE = "log.jsonl";

export function segmentPath(index: number): string {
  return `log/${String(index + 1).padStart(6, "0")}.jsonl`;
}

/** An empty layout. */
export function emptySegments(): Segmented {
  return { sealed: [], tail: "", tailLines: 0 };
}

/**
 * Appends complete lines (each ending in "\n") to a layout, sealing blocks as they fill: the
 * incremental form of `segment(whole text)`, touching only the new lines.
 */
export function appendSegments(into: Segmented, data: string): void {
  let start = 0;
  while (start < data.length) {
    const room = SEGMENT_LINES - into.tailLines;
    let end = start;
    let taken = 0;
    while (taken < room && end < data.length) {
      const eol = data.indexOf("\n", end);
      end = eol < 0 ? data.length : eol + 1;
      taken++;
    }
    into.tail += data.slice(start, end);
    into.tailLines += taken;
    start = end;
    if (into.tailLines === SEGMENT_LINES) {
      into.sealed.push(into.tail);
      into.tail = "";
      into.tailLines = 0;
    }
  }
}

/** The layout of a whole ledger text. */
export function segment(text: string): Segmented {
  const out = emptySegments();
  appendSegments(out, text);
  return out;
}

/** The files of a layout, by path relative to the record's folder. */
export function segmentFiles(layout: Segmented): Record<string, string> {
  if (layout.sealed.length === 0) return { [LEDGER_FILE]: layout.tail };
  const files: Record<string, string> = {};
  const names = layout.sealed.map((_, i) => segmentPath(i));
  layout.sealed.forEach((text, i) => {
    files[names[i]!] = text;
  });
  files[LEDGER_FILE] = `${JSON.stringify({ type: "continues", segments: names })}\n${layout.tail}`;
  return files;
}

/** The sealed files a `log.jsonl` names, or none when it is the whole ledger. */
export function continuesFrom(logJsonl: string): string[] {
  if (!logJsonl.startsWith('{"type":"continues"')) return [];
  const eol = logJsonl.indexOf("\n");
  const line = JSON.parse(eol < 0 ? logJsonl : logJsonl.slice(0, eol)) as { segments?: unknown };
  const names = Array.isArray(line.segments) ? line.segments : [];
  return names.map((n, i) => {
    if (n !== segmentPath(i)) {
      throw new Error(`log.jsonl names ${JSON.stringify(n)} where ${segmentPath(i)} belongs`);
    }
    return n as string;
  });
}

/**
 * The whole ledger text from a record's `log.jsonl` and a reader of its other files (paths
 * relative to the record's folder); null when a named segment is missing.
 */
export async function joinLedger(
  logJsonl: string,
  read: (path: string) => Promise<string | null>,
): Promise<string | null> {
  const names = continuesFrom(logJsonl);
  if (names.length === 0) return logJsonl;
  const parts = await Promise.all(names.map(read));
  if (parts.some((p) => p === null)) return null;
  return parts.join("") + logJsonl.slice(logJsonl.indexOf("\n") + 1);
}
