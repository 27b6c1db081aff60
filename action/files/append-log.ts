import { open } from "node:fs/promises";
import { formatLines } from "../ledger/log-jsonl.ts";
import type { LedgerEntry } from "../ledger/types.ts";

/**
 * Appends entries and fsyncs before returning: once this resolves, the experiment is on disk
 * even if the machine dies on the next instruction.
 */
export async function appendLog(
  path: string,
  entries: readonly LedgerEntry[],
  hooks: { beforeWrite?: (data: string) => Promise<void> | void } = {},
): Promise<void> {
  const data = formatLines(entries);
  const handle = await open(path, "a");
  try {
    await hooks.beforeWrite?.(data);
    await handle.write(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
