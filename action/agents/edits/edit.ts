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
