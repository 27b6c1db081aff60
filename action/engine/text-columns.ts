/**
 * A karpathy-style results.tsv whose extra columns are not numbers (`val_pass: true/false`, a
 * GPU name): such a column is moved into the description as `name=value`, so that its lines are
 * read and the text is kept, instead of every line skipped. A column is text when one of its
 * filled cells is not a number. Returns the rewritten text and the columns moved. Pure.
 */
export function moveTextColumns(text: string): { text: string; moved: string[] } {
  const lines = text.split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== "");
  if (headerAt < 0) return { text, moved: [] };
  const header = lines[headerAt]!.split("\t");
  const statusAt = header.indexOf("status");
  if (header[0] !== "commit" || statusAt < 2) return { text, moved: [] };
  const rows = lines.slice(headerAt + 1).map((l) => (l.trim() === "" ? null : l.split("\t")));
  const textCols: number[] = [];
  for (let c = 1; c < statusAt; c++) {
    const cells = rows.flatMap((r) => (r && r.length > statusAt ? [r[c]!.trim()] : []));
    const filled = cells.filter((v) => v !== "");
    // The first metric stays: a results.tsv is about it, and a broken one is worth its message.
    if (c > 1 && filled.length > 0 && filled.some((v) => !Number.isFinite(Number(v))))
      textCols.push(c);
  }
  if (textCols.length === 0) return { text, moved: [] };
  const keep = (cells: string[]) => cells.filter((_, i) => !textCols.includes(i));
  const out = lines.map((line, i) => {
    if (i < headerAt || line.trim() === "") return line;
    const cells = line.split("\t");
    if (i === headerAt) return keep(cells).join("\t");
    if (cells.length <= statusAt) return line;
    const notes = textCols.map((c) => `${header[c]}=${cells[c]!.trim()}`).join(" ");
    const kept = keep(cells);
    const newStatusAt = statusAt - textCols.length;
    if (kept.length > newStatusAt + 1) kept[kept.length - 1] = `${kept.at(-1)} (${notes})`;
    else kept.push(`(${notes})`);
    return kept.join("\t");
  });
  return { text: out.join("\n"), moved: textCols.map((c) => header[c]!) };
}
