import { cleanPath, looksLikePath } from "./clean-path.ts";
import type { EditScope } from "./edit.ts";
import type { Fence } from "./fence.ts";
import { infoPath } from "./info-path.ts";
import { FENCE } from "./markers.ts";
import { type PathResult, resolvePath } from "./resolve-path.ts";

/** For a fenced block without markers: the path it replaces whole, null if it names none. */
export function wholeFilePath(
  lines: readonly string[],
  f: Fence,
  scope: EditScope,
): PathResult | null {
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
