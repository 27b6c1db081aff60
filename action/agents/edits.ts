/**
 * The edit protocol of the API agents, applied strictly. A model answers with SEARCH/REPLACE
 * blocks (aider's format, which models know) or, for a small file, the whole file after its path.
 * Every block must name a file the agent may edit and match exactly once; otherwise the whole
 * answer is rejected with a reason the model is shown next time. Nothing is ever applied to a
 * place the model did not quote exactly: the only normalisation is the line ending (CRLF or LF
 * follows the file), which says nothing about where an edit goes.
 */

export type Edit =
  | { kind: "replace"; block: number; path: string; search: string[]; replace: string[] }
  | { kind: "whole"; block: number; path: string; lines: string[] };

export interface EditScope {
  /** Files the agent may change that exist now (paths relative to the worktree). */
  files: readonly string[];
  /** Whether a new file at this path would be inside the target globs. */
  mayCreate: (path: string) => boolean;
  /** Files up to this many characters may be answered whole. */
  wholeFileMax: number;
}

export interface ParsedAnswer {
  description: string | null;
  notes: string[];
  edits: Edit[];
}

export type ParseResult =
  | ({ ok: true } & ParsedAnswer)
  | { ok: false; reason: string; description: string | null; notes: string[] };

const SEARCH = /^\s*<{5,9} ?SEARCH\s*$/;
const DIVIDER = /^\s*={5,9}\s*$/;
const REPLACE = /^\s*>{5,9} ?REPLACE\s*$/;
const FENCE = /^\s*(`{3,}|~{3,})\s*([^`\s]*)\s*$/;
const DESCRIPTION = /^[\s*_#>-]*description[*_]*\s*:[*_]*\s*(.*)$/i;
const NOTE = /^[\s*_#>-]*notes?[*_]*\s*:[*_]*\s*(.*)$/i;
/** Comments that stand for code left out, which a whole-file answer must not contain. */
const ELISION =
  /^\s*(\.\.\.|…)\s*$|^\s*(#|\/\/|\/\*|<!--|--|;)\s*.*(\.\.\.|…|\brest of\b|\bunchanged\b|\bomitted\b|\bexisting code\b|\bremains the same\b)/i;

interface Fence {
  open: number;
  info: string;
  lines: string[];
  closed: boolean;
  hasMarkers: boolean;
}

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
      const search: string[] = [];
      const replace: string[] = [];
      let part: "search" | "replace" | "done" = "search";
      let j = i + 1;
      for (; j < lines.length; j++) {
        const l = lines[j]!;
        if (part === "search" && DIVIDER.test(l)) part = "replace";
        else if (part === "replace" && REPLACE.test(l)) {
          part = "done";
          break;
        } else if (SEARCH.test(l))
          return fail(
            `block ${block} is malformed: a new <<<<<<< SEARCH starts before its >>>>>>> REPLACE`,
          );
        else (part === "search" ? search : replace).push(l);
      }
      if (part !== "done") {
        return fail(
          `the answer is cut off: block ${block} has no ${part === "search" ? "======= line" : ">>>>>>> REPLACE line"}, so none of its edits were applied (was max_tokens too small?)`,
        );
      }
      const path = blockPath(lines, i, edits, scope, search);
      if (!path.ok) return fail(`block ${block}: ${path.reason}`);
      trimCommonBlankEdges(search, replace);
      edits.push({ kind: "replace", block, path: path.path, search, replace });
      if (fence) fence.hasMarkers = true;
      i = j;
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

export type ApplyResult = { ok: true; files: Map<string, string> } | { ok: false; reason: string };

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

/** Explains a SEARCH that matches nowhere: near misses are named, never applied. */
function notFound(bare: readonly string[], search: readonly string[], path: string): string {
  const trailing = findAll(bare, search, (a, b) => a.trimEnd() === b.trimEnd());
  if (trailing.length > 0) {
    return `the SEARCH part matches ${path} only if trailing whitespace is ignored (line ${trailing[0]! + 1}); copy the lines exactly as they are`;
  }
  const indent = findAll(bare, search, (a, b) => a.trim() === b.trim());
  if (indent.length > 0) {
    return `the SEARCH part matches ${path} only with different indentation (line ${indent[0]! + 1}); copy the lines exactly as they are`;
  }
  const missing = search.find((l) => l.trim() !== "" && !bare.includes(l));
  if (missing === undefined)
    return `the SEARCH part is not in ${path}: its lines are there, but not in that order`;
  // A near miss is named so the model can copy the real line; it is never used in its place.
  const near = missing.trim().length >= 4 ? bare.findIndex((l) => l.includes(missing.trim())) : -1;
  const hint = near >= 0 ? ` (line ${near + 1} is "${clip(bare[near]!.trim())}")` : "";
  return `the SEARCH part is not in ${path}: its line "${clip(missing)}" is not in the file${hint}`;
}

function findAll(
  hay: readonly string[],
  needle: readonly string[],
  eq: (a: string, b: string) => boolean,
): number[] {
  const found: number[] = [];
  if (needle.length === 0) return found;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (!eq(hay[i + k]!, needle[k]!)) continue outer;
    found.push(i);
  }
  return found;
}

type PathResult = { ok: true; path: string } | { ok: false; reason: string };

/** The file a SEARCH block edits: the path on the nearest line before it, or the block before's. */
function blockPath(
  lines: readonly string[],
  at: number,
  edits: readonly Edit[],
  scope: EditScope,
  search: readonly string[],
): PathResult {
  let k = at - 1;
  while (k >= 0 && (lines[k]!.trim() === "" || FENCE.test(lines[k]!))) {
    const fenceInfo = FENCE.exec(lines[k]!)?.[2];
    const fromInfo = fenceInfo ? infoPath(fenceInfo, scope) : null;
    if (fromInfo) return { ok: true, path: fromInfo };
    k--;
  }
  const previous = edits.at(-1);
  if (k >= 0 && REPLACE.test(lines[k]!) && previous) return { ok: true, path: previous.path };
  const candidate = k >= 0 ? cleanPath(lines[k]!) : "";
  return resolvePath(candidate, scope, search.length === 0);
}

function resolvePath(candidate: string, scope: EditScope, creating: boolean): PathResult {
  if (scope.files.includes(candidate)) return { ok: true, path: candidate };
  if (looksLikePath(candidate)) {
    if (creating && safePath(candidate) && scope.mayCreate(candidate))
      return { ok: true, path: candidate };
    return {
      ok: false,
      reason: `it edits ${candidate}, which is not a file you may edit (you may edit: ${scope.files.join(", ")})`,
    };
  }
  if (scope.files.length === 1) return { ok: true, path: scope.files[0]! };
  return {
    ok: false,
    reason: `it does not name its file: put the file's path alone on the line before <<<<<<< SEARCH (one of: ${scope.files.join(", ")})`,
  };
}

/** For a fenced block without markers: the path it replaces whole, null if it names none. */
function wholeFilePath(lines: readonly string[], f: Fence, scope: EditScope): PathResult | null {
  const info = FENCE.exec(lines[f.open]!)?.[2] ?? "";
  const fromInfo = infoPath(info, scope);
  if (fromInfo) return { ok: true, path: fromInfo };
  let k = f.open - 1;
  while (k >= 0 && lines[k]!.trim() === "") k--;
  if (k < 0) return null;
  const candidate = cleanPath(lines[k]!);
  if (!looksLikePath(candidate)) return null;
  return resolvePath(candidate, scope, true);
}

/** ```python:train.py or ```train.py name the file in the fence's info string. */
function infoPath(info: string, scope: EditScope): string | null {
  const tail = info.includes(":") ? info.slice(info.indexOf(":") + 1) : info;
  const path = tail.replace(/^\.\//, "");
  return scope.files.includes(path) ? path : null;
}

/** A path written as a heading, in bold or code, after "File:", or with a trailing colon. */
function cleanPath(line: string): string {
  let s = line.trim();
  s = s.replace(/^#+\s*/, "").replace(/^[-*]\s+/, "");
  s = s.replace(/^(\*\*|__)(.*)\1:?$/, "$2").trim();
  s = s.replace(/^(file(name)?|path)\s*:\s*/i, "");
  s = s.replace(/^(\*\*|__)(.*)\1$/, "$2").trim();
  s = s.replace(/^`([^`]*)`$/, "$1").trim();
  s = s.replace(/:$/, "").replace(/^\.\//, "");
  return s;
}

function looksLikePath(s: string): boolean {
  return s.length > 0 && !/\s/.test(s) && /[./]/.test(s) && /[A-Za-z0-9]/.test(s);
}

function safePath(path: string): boolean {
  return (
    !path.startsWith("/") &&
    !path.split("/").some((p) => p === ".." || p === "") &&
    !path.startsWith(".autoexp/") &&
    !path.startsWith(".git/")
  );
}

function fenceMarker(f: Fence): string {
  const m = /^(`{3,}|~{3,})/.exec(f.info);
  return m ? m[1]! : "```";
}

/** Drops blank lines at both ends only as far as SEARCH and REPLACE share them: the same edit. */
function trimCommonBlankEdges(search: string[], replace: string[]): void {
  while (
    search.length > 0 &&
    replace.length > 0 &&
    search.at(-1)!.trim() === "" &&
    replace.at(-1)!.trim() === "" &&
    search.at(-1) === replace.at(-1)
  ) {
    search.pop();
    replace.pop();
  }
  while (
    search.length > 0 &&
    replace.length > 0 &&
    search[0]!.trim() === "" &&
    search[0] === replace[0]
  ) {
    search.shift();
    replace.shift();
  }
}

function trimTrailingBlank(lines: readonly string[]): string[] {
  const out = [...lines];
  while (out.length > 0 && out.at(-1)!.trim() === "") out.pop();
  return out;
}

/** A description when the model gave none: its first line of prose. */
function firstProse(lines: readonly string[]): string | null {
  for (const l of lines) {
    const t = l.trim();
    if (!t || FENCE.test(t) || SEARCH.test(t) || /^[#>*-]*$/.test(t)) continue;
    if (looksLikePath(cleanPath(t))) continue;
    return t.replace(/^[#>*\s-]+/, "").slice(0, 200);
  }
  return null;
}

/** Not util/text.ts clip: a quoted line keeps its whitespace, which is what did not match. */
function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
