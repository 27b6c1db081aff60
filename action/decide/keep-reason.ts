import type { Comparison } from "./compare.ts";
import { fmt } from "./fmt.ts";

/** Why a candidate was kept, in the terms of the test that decided it. */
export function keepReason(
  c: Comparison,
  p: number | null,
  minDelta: number,
  sequential: boolean,
): string {
  if (c.mode === "t" && !sequential)
    return `${c.name} better by ${fmt(c.gain)} > min_delta ${fmt(minDelta)} on ${c.nC} run(s), not confirmed (p = ${fmt(p!)})`;
  if (c.mode === "t" && c.paired)
    return `${c.name} better by ${fmt(c.gain)} over ${c.nC} pair(s) beside the incumbent (${fmt(c.gain / c.sd)} sd of a pair's difference, p = ${fmt(p!)})`;
  if (c.mode === "t")
    return `${c.name} better by ${fmt(c.gain)} (${fmt(c.gain / c.sd)} sd, p = ${fmt(p!)}, ${c.nC} vs ${c.nI} runs)`;
  if (c.mode === "exact")
    return `${c.name} better by ${fmt(c.gain)} > min_delta ${fmt(minDelta)} (deterministic eval, ${c.nC === 1 ? "one run" : `${c.nC} runs agree`})`;
  return `${c.name} better by ${fmt(c.gain)} > min_delta ${fmt(minDelta)} (one run, noise unknown)`;
}
