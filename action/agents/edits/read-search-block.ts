import { DIVIDER, REPLACE, SEARCH } from "./markers.ts";

export type SearchBlock =
  | { ok: true; search: string[]; replace: string[]; end: number }
  | { ok: false; reason: string };

/**
 * Reads block number `block`, whose <<<<<<< SEARCH line is `lines[at]`: its two parts and the
 * index of its >>>>>>> REPLACE line, or why it is malformed or cut off.
 */
export function readSearchBlock(lines: readonly string[], at: number, block: number): SearchBlock {
  const search: string[] = [];
  const replace: string[] = [];
  let part: "search" | "replace" | "done" = "search";
  let j = at + 1;
  for (; j < lines.length; j++) {
    const l = lines[j]!;
    if (part === "search" && DIVIDER.test(l)) part = "replace";
    else if (part === "replace" && REPLACE.test(l)) {
      part = "done";
      break;
    } else if (SEARCH.test(l))
      return {
        ok: false,
        reason: `block ${block} is malformed: a new <<<<<<< SEARCH starts before its >>>>>>> REPLACE`,
      };
    else (part === "search" ? search : replace).push(l);
  }
  if (part !== "done") {
    return {
      ok: false,
      reason: `the answer is cut off: block ${block} has no ${part === "search" ? "======= line" : ">>>>>>> REPLACE line"}, so none of its edits were applied (was max_tokens too small?)`,
    };
  }
  return { ok: true, search, replace, end: j };
}
