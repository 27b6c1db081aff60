/**
 * One line of a tag explored in parallel (a matrix shard: line i of K), and what its agent is
 * told: which line it is, and of program.md only its own `## Line <i>` section among the lines'
 * sections (the rest of program.md is shared by every line).
 */
export interface Line {
  index: number;
  of: number;
}

const LINE_HEADING = /^##\s+line\s+(\d+)\b.*$/i;

/**
 * program.md as line `line` reads it: sections headed `## Line <n>` for other lines are left
 * out (up to the next heading of level 1 or 2). Without such sections, the text as it is.
 */
export function programForLine(program: string, line: Line | undefined): string {
  if (!line) return program;
  const kept: string[] = [];
  let skipping = false;
  for (const text of program.split("\n")) {
    const heading = LINE_HEADING.exec(text);
    if (heading) skipping = Number(heading[1]) !== line.index;
    else if (/^#{1,2}\s/.test(text)) skipping = false;
    if (!skipping) kept.push(text);
  }
  return kept.join("\n");
}

/** The paragraph that tells a model agent which line it is. */
export function lineBrief(line: Line): string {
  return `You are line ${line.index} of ${line.of}: ${line.of} agents explore this tag in parallel, each from the same start on its own machine, and the best line wins when they are brought together. Favour ideas the other lines are less likely to try first; follow this line's own section of the research direction where there is one.`;
}
