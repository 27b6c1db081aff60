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
