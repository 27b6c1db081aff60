import { blockPath } from "./block-path.ts";
import type { Edit, EditScope } from "./edit.ts";
import { type Fence, fenceMarker } from "./fence.ts";
import { firstProse } from "./first-prose.ts";
import { DESCRIPTION, FENCE, NOTE, SEARCH } from "./markers.ts";
import { readSearchBlock } from "./read-search-block.ts";
import { trimCommonBlankEdges } from "./trim-common-blank-edges.ts";
import { wholeFilePath } from "./whole-file-path.ts";

export interface ParsedAnswer {
  description: string | null;
  notes: string[];
  edits: Edit[];
}

export type ParseResult =
  | ({ ok: true } & ParsedAnswer)
  | { ok: false; reason: string; description: string | null; notes: string[] };

/** Reads a model's answer into edits, without touching any file. */
export function parseAnswer(raw: string, scope: EditScope): ParseResult {
  const text = raw.replace(/\r\n?/g, "\n");
  const lines = text.split("\n");
  let description: string | null = null;
  const notes: string[] = [];
  const edits: Edit[] = [];
  const fences: Fence[] = [];
  let fence: Fence | null = null;
  const fail = (reason: string): ParseResult => ({ ok: false, reason, description, notes });

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (SEARCH.test(line)) {
      const block = edits.length + 1;
      const read = readSearchBlock(lines, i, block);
      if (!read.ok) return fail(read.reason);
      const { search, replace } = read;
      const path = blockPath(lines, i, edits, scope, search);
      if (!path.ok) return fail(`block ${block}: ${path.reason}`);
      trimCommonBlankEdges(search, replace);
      edits.push({ kind: "replace", block, path: path.path, search, replace });
      if (fence) fence.hasMarkers = true;
      i = read.end;
      continue;
    }
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch) {
      if (fence && fenceMatch[2] === "" && line.trim().startsWith(fenceMarker(fence))) {
        fence.closed = true;
        fences.push(fence);
        fence = null;
      } else if (!fence) {
        fence = {
          open: i,
          info: fenceMatch[0].trim(),
          lines: [],
          closed: false,
          hasMarkers: false,
        };
      } else fence.lines.push(line);
      continue;
    }
    if (fence) {
      fence.lines.push(line);
      continue;
    }
    const d = DESCRIPTION.exec(line);
    if (d && description === null && d[1]!.trim()) {
      description = d[1]!.trim();
      continue;
    }
    const n = NOTE.exec(line);
    const noteText = n?.[1]?.trim();
    if (noteText) notes.push(noteText);
  }
  if (fence) {
    if (fence.hasMarkers || edits.length === 0)
      return fail(
        "the answer is cut off: a ``` code block is never closed, so nothing was applied (was max_tokens too small?)",
      );
  }

  const wholes: Edit[] = [];
  for (const f of fences) {
    if (f.hasMarkers) continue;
    const path = wholeFilePath(lines, f, scope);
    if (path === null) continue;
    if (!path.ok) return fail(path.reason);
    wholes.push({ kind: "whole", block: 0, path: path.path, lines: f.lines });
  }
  if (edits.length > 0 && wholes.length > 0) {
    return fail(
      `the answer mixes SEARCH/REPLACE blocks with a whole file (${wholes[0]!.path}); send one or the other`,
    );
  }
  if (wholes.length > 0) {
    const seen = new Set<string>();
    for (const [k, w] of wholes.entries()) {
      if (seen.has(w.path))
        return fail(`the answer gives the whole of ${w.path} twice; send it once`);
      seen.add(w.path);
      w.block = k + 1;
      edits.push(w);
    }
  }
  if (edits.length === 0) {
    const orphan = fences.find((f) => !f.hasMarkers);
    return fail(
      orphan
        ? "no edit found: a code block must either hold SEARCH/REPLACE blocks or be a whole file with its path on the line before it"
        : "no edit found: the answer is prose only; answer with SEARCH/REPLACE blocks",
    );
  }
  if (description === null) description = firstProse(lines);
  return { ok: true, description, notes, edits };
}
