import { createHash, timingSafeEqual } from "node:crypto";
import { open, readFile } from "node:fs/promises";
import { writeAtomic } from "../files/write-atomic.ts";
import { AutoexpError } from "../util/errors.ts";
import { mac } from "./state-key.ts";

/**
 * The tag's journal (`.git/autoexp/<tag>/log.jsonl`), signed: every line is
 * `<mac> <payload>`, where mac = HMAC(key, tag, the previous line's mac, payload), so no line can
 * be forged, changed, dropped or reordered without the key (state-key.ts). A payload is a ledger
 * line (`{...}`, the exact bytes the branch records), `@head <sha>` (the record commit autoexp is
 * about to move the branch to, written before the ref moves) or `@notes <sha256>` (the digest of
 * the notes.md written beside it). A journal from an older autoexp has bare ledger lines.
 */
export type JournalItem =
  | { type: "entry"; line: string }
  | { type: "head"; sha: string }
  | { type: "notes"; digest: string };

export type Journal =
  | { kind: "missing" }
  | { kind: "legacy"; text: string }
  | {
      kind: "signed";
      items: JournalItem[];
      /** The last line's mac: the next line chains on it. */
      last: string;
      /** A last line cut off by a crash was ignored. */
      torn: boolean;
    };

/** Reads and verifies the journal at `path`; a line that does not verify is refused. */
export async function readJournal(path: string, key: Buffer, tag: string): Promise<Journal> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null || text === "") return { kind: "missing" };
  if (text.startsWith("{")) return { kind: "legacy", text };
  const items: JournalItem[] = [];
  let last = "";
  let offset = 0;
  let lineNo = 0;
  while (offset < text.length) {
    const end = text.indexOf("\n", offset);
    if (end === -1) return { kind: "signed", items, last, torn: true };
    const line = text.slice(offset, end);
    offset = end + 1;
    lineNo++;
    const space = line.indexOf(" ");
    const given = line.slice(0, space);
    const payload = line.slice(space + 1);
    const want = mac(key, tag, last, payload);
    const item = space === 64 ? parseItem(payload) : null;
    if (!item || !sameMac(given, want)) {
      throw new AutoexpError(
        `the journal ${path} line ${lineNo} was not written by autoexp (its signature does not match${lineNo === 1 ? ", or the key in ~/.local/state/autoexp changed" : ""}): something else edited autoexp's record, so nothing was changed. Inspect the file; to go on from the branch as it is, run autoexp run --adopt (every kept commit on it is checked again)`,
        { exitCode: 1 },
      );
    }
    items.push(item);
    last = given;
  }
  return { kind: "signed", items, last, torn: false };
}

function parseItem(payload: string): JournalItem | null {
  if (payload.startsWith("{")) return { type: "entry", line: `${payload}\n` };
  const head = /^@head ([0-9a-f]{40,64})$/.exec(payload);
  if (head) return { type: "head", sha: head[1]! };
  const notes = /^@notes ([0-9a-f]{64})$/.exec(payload);
  if (notes) return { type: "notes", digest: notes[1]! };
  return null;
}

function sameMac(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** The journal lines for `items`, chained on `last`; returns the text and the new last mac. */
export function signItems(
  key: Buffer,
  tag: string,
  last: string,
  items: readonly JournalItem[],
): { text: string; last: string } {
  let text = "";
  for (const item of items) {
    const payload =
      item.type === "entry"
        ? item.line.replace(/\n$/, "")
        : item.type === "head"
          ? `@head ${item.sha}`
          : `@notes ${item.digest}`;
    last = mac(key, tag, last, payload);
    text += `${last} ${payload}\n`;
  }
  return { text, last };
}

/** Appends signed lines and fsyncs; `beforeWrite` is the resume tests' torn write. */
export async function appendJournal(
  path: string,
  data: string,
  beforeWrite?: (data: string) => void,
): Promise<void> {
  const handle = await open(path, "a");
  try {
    beforeWrite?.(data);
    await handle.write(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Writes a whole signed journal atomically; returns the last mac. */
export async function writeJournal(
  path: string,
  key: Buffer,
  tag: string,
  items: readonly JournalItem[],
): Promise<string> {
  const { text, last } = signItems(key, tag, "", items);
  await writeAtomic(path, text);
  return last;
}

/** Ledger lines (each with its newline) as journal items. */
export function entryItems(text: string): JournalItem[] {
  return text
    .split(/(?<=\n)/)
    .filter((l) => l.endsWith("\n"))
    .map((line) => ({ type: "entry", line }));
}

/** The ledger text the items hold. */
export function ledgerText(items: readonly JournalItem[]): string {
  return items.map((i) => (i.type === "entry" ? i.line : "")).join("");
}

export function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
