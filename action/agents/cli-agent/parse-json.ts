/** One line of a tool's output as a JSON object, or null when it is not one. */
export function parseJson(line: string): Record<string, unknown> | null {
  const t = line.trim();
  if (!t.startsWith("{")) return null;
  try {
    const j = JSON.parse(t);
    return j && typeof j === "object" && !Array.isArray(j) ? j : null;
  } catch {
    return null;
  }
}

/** The last line of the output that is a JSON object `accept` takes. */
export function lastJson(
  output: string,
  accept: (j: Record<string, unknown>) => boolean,
): Record<string, unknown> | null {
  const lines = output.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const j = parseJson(lines[i]!);
    if (j && accept(j)) return j;
  }
  return null;
}
