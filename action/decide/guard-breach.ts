import type { Guards, Samples } from "./policy.ts";

/** The first guard the candidate broke in any run (or did not report), null when none. */
export function guardBreach(guards: Guards, candidate: Samples): string | null {
  for (const [name, bound] of Object.entries(guards)) {
    const values = candidate[name];
    if (!values || values.length === 0) return `guard ${name} was not reported`;
    for (const v of values) {
      if (bound.max !== undefined && v > bound.max)
        return `guard ${name} = ${v} is above its max ${bound.max}`;
      if (bound.min !== undefined && v < bound.min)
        return `guard ${name} = ${v} is below its min ${bound.min}`;
    }
  }
  return null;
}

/**
 * What a batch or `check` says when the code as it is breaks a guard: a night of guard_fail until
 * a candidate meets the bound, which is seldom what was meant.
 */
export function breachedAtStart(breach: string): string {
  return `the code as it is breaks a guard (${breach}): a candidate is kept only once it meets the bound, so until one does the night records guard_fail. If the bound is wrong, fix it in eval.metrics (and start a new tag)`;
}
