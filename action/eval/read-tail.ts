import { open } from "node:fs/promises";

/** Reads up to the last `maxBytes` of a file as text (a multi-gigabyte log is never read whole). */
export async function readEnd(path: string, maxBytes: number): Promise<string> {
  const handle = await open(path, "r").catch(() => undefined);
  if (!handle) return "";
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString("utf8");
  } finally {
    await handle.close();
  }
}

/** The last `lines` lines of some output, progress bars (\r) split into lines, each cut at 400 chars. */
export function tailLines(text: string, lines = 30): string {
  return text
    .split(/\r\n|\r|\n/)
    .filter((l) => l.trim() !== "")
    .slice(-lines)
    .map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l))
    .join("\n");
}

/** "Last lines:" and a run's tail, or that it printed nothing (a blank line says nothing). */
export function lastLines(tail: string): string {
  return tail.trim() ? `Last lines:\n${tail}` : "It printed nothing.";
}
