import { looksLikePath } from "./clean-path.ts";
import type { EditScope } from "./edit.ts";

export type PathResult = { ok: true; path: string } | { ok: false; reason: string };

/** The file a path written in an answer stands for, or why the agent may not edit it. */
export function resolvePath(candidate: string, scope: EditScope, creating: boolean): PathResult {
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

function safePath(path: string): boolean {
  return (
    !path.startsWith("/") &&
    !path.split("/").some((p) => p === ".." || p === "") &&
    !path.startsWith(".autoexp/") &&
    !path.startsWith(".git/")
  );
}
