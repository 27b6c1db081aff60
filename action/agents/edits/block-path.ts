import { cleanPath } from "./clean-path.ts";
import type { Edit, EditScope } from "./edit.ts";
import { infoPath } from "./info-path.ts";
import { FENCE, REPLACE } from "./markers.ts";
import { type PathResult, resolvePath } from "./resolve-path.ts";

/** The file a SEARCH block edits: the path on the nearest line before it, or the block before's. */
export function blockPath(
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
