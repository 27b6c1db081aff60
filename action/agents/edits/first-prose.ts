import { cleanPath, looksLikePath } from "./clean-path.ts";
import { FENCE, SEARCH } from "./markers.ts";

/** A description when the model gave none: its first line of prose. */
export function firstProse(lines: readonly string[]): string | null {
  for (const l of lines) {
    const t = l.trim();
    if (!t || FENCE.test(t) || SEARCH.test(t) || /^[#>*-]*$/.test(t)) continue;
    if (looksLikePath(cleanPath(t))) continue;
    return t.replace(/^[#>*\s-]+/, "").slice(0, 200);
  }
  return null;
}
