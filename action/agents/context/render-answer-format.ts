import type { ContextInput } from "./context-input.ts";

/** How to answer: edit the files (CLI agents) or reply with SEARCH/REPLACE blocks (API agents). */
export function renderAnswerFormat(input: ContextInput): string {
  const p = input.protocol;
  if (p.kind === "files") {
    return [
      "## How to answer",
      "Edit the files in the current directory directly, then stop.",
      `Write ONE line describing your change (what and why) to ${p.descriptionFile}.`,
      `To remember something for later experiments (what worked, what failed, ideas), append it to ${p.notesFile}; keep it short.`,
    ].join("\n");
  }
  return [
    "## How to answer",
    "Reply in exactly this form:",
    "",
    "DESCRIPTION: <one line: what you change and why>",
    "NOTE: <optional, one line worth remembering in later experiments; repeat the line for more>",
    "",
    "then one or more edits, each as:",
    "",
    "path/of/the/file",
    "<<<<<<< SEARCH",
    "<lines copied exactly from the file, whitespace included>",
    "=======",
    "<the lines that replace them>",
    ">>>>>>> REPLACE",
    "",
    "The SEARCH part must match exactly one place in the file; include enough lines to make it unique. Every edit must name one of the files you may edit. If any edit does not apply, none is applied and you are told why next time.",
    p.wholeFileMax > 0
      ? `A file of at most ${p.wholeFileMax} characters may instead be sent whole: its path alone on one line, then the complete file in a \`\`\` block (no "..." or "unchanged" placeholders).`
      : "",
  ]
    .filter((l, i, all) => l !== "" || all[i - 1] !== "")
    .join("\n");
}
