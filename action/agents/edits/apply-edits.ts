import { clip } from "./clip.ts";
import type { Edit, EditScope } from "./edit.ts";
import { findAll } from "./find-all.ts";
import { notFound } from "./not-found.ts";

export type ApplyResult = { ok: true; files: Map<string, string> } | { ok: false; reason: string };

/** Comments that stand for code left out, which a whole-file answer must not contain. */
const ELISION =
  /^\s*(\.\.\.|…)\s*$|^\s*(#|\/\/|\/\*|<!--|--|;)\s*.*(\.\.\.|…|\brest of\b|\bunchanged\b|\bomitted\b|\bexisting code\b|\bremains the same\b)/i;

/**
 * Applies edits in order to the files' current text (`read` returns null for a missing file).
 * All or nothing: the result holds every changed file's new text, or the first reason to refuse.
 */
export function applyEdits(
  edits: readonly Edit[],
  read: (path: string) => string | null,
  scope: EditScope,
): ApplyResult {
  const files = new Map<string, string>();
  const current = (path: string) => (files.has(path) ? files.get(path)! : read(path));
  for (const edit of edits) {
    const before = current(edit.path);
    if (edit.kind === "whole") {
      if (before !== null && before.length > scope.wholeFileMax) {
        return {
          ok: false,
          reason: `${edit.path} has ${before.length} characters, more than the ${scope.wholeFileMax} that may be sent whole: answer with SEARCH/REPLACE blocks`,
        };
      }
      const elided = edit.lines.findIndex((l) => ELISION.test(l));
      if (elided >= 0) {
        return {
          ok: false,
          reason: `the whole-file answer for ${edit.path} leaves code out (line ${elided + 1}: "${clip(edit.lines[elided]!.trim())}"): send the complete file or SEARCH/REPLACE blocks`,
        };
      }
      const eol = before?.includes("\r\n") ? "\r\n" : "\n";
      const body = trimTrailingBlank(edit.lines);
      files.set(edit.path, body.length > 0 ? body.join(eol) + eol : "");
      continue;
    }
    const label = `block ${edit.block} (${edit.path})`;
    if (before === null) {
      if (edit.search.length > 0)
        return { ok: false, reason: `${label}: ${edit.path} does not exist` };
      files.set(edit.path, edit.replace.length > 0 ? `${edit.replace.join("\n")}\n` : "");
      continue;
    }
    if (edit.search.length === 0) {
      return {
        ok: false,
        reason: `${label}: the SEARCH part is empty, but ${edit.path} exists; quote the lines to replace`,
      };
    }
    const parts = before.split("\n");
    const cr = parts.map((p) => p.endsWith("\r"));
    const bare = parts.map((p, k) => (cr[k] ? p.slice(0, -1) : p));
    const at = findAll(bare, edit.search, (a, b) => a === b);
    if (at.length !== 1) {
      return {
        ok: false,
        reason: `${label}: ${at.length === 0 ? notFound(bare, edit.search, edit.path) : `the SEARCH part matches ${at.length} places (lines ${at.map((k) => k + 1).join(", ")}); include more lines so that it matches exactly one`}`,
      };
    }
    const start = at[0]!;
    const eol = cr.filter(Boolean).length * 2 > parts.length - 1 ? "\r" : "";
    const replaced = [
      ...parts.slice(0, start),
      ...edit.replace.map((l) => l + eol),
      ...parts.slice(start + edit.search.length),
    ];
    files.set(edit.path, replaced.join("\n"));
  }
  return { ok: true, files };
}

function trimTrailingBlank(lines: readonly string[]): string[] {
  const out = [...lines];
  while (out.length > 0 && out.at(-1)!.trim() === "") out.pop();
  return out;
}
