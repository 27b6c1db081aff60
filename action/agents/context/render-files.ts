/** The target files, each in a code fence, the head of each kept when they do not all fit. */
export function renderFiles(files: readonly { path: string; text: string }[], max: number): string {
  if (files.length === 0) return "(none)";
  const each = Math.floor(max / files.length);
  let spare = files.reduce((s, f) => s + Math.max(0, each - f.text.length - f.path.length - 20), 0);
  return files
    .map((f) => {
      let room = each - f.path.length - 20;
      if (f.text.length > room && spare > 0) {
        const extra = Math.min(spare, f.text.length - room);
        room += extra;
        spare -= extra;
      }
      const fence = f.text.includes("```") ? "````" : "```";
      const text = f.text.length <= room ? f.text.replace(/\n$/, "") : cutLines(f.text, room);
      return `${f.path}\n${fence}\n${text}\n${fence}`;
    })
    .join("\n\n");
}

/** The first lines that fit, and how many were left out. */
function cutLines(text: string, max: number): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (size + line.length + 1 > Math.max(0, max - 60)) break;
    out.push(line);
    size += line.length + 1;
  }
  return `${out.join("\n")}\n[... ${lines.length - out.length} more lines not shown: quote only lines shown above]`;
}
