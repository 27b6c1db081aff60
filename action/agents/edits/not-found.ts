import { clip } from "./clip.ts";
import { findAll } from "./find-all.ts";

/** Explains a SEARCH that matches nowhere: near misses are named, never applied. */
export function notFound(bare: readonly string[], search: readonly string[], path: string): string {
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
