/**
 * bench/greedy.ts's `command` agent, copied beside the night's plan.json: proposal i (its
 * AUTOEXP_ITERATION) adds the file changes/c<i>.json holding the plan's i-th true effect, so the
 * change applies onto any incumbent (a re-applied candidate keeps its effect) and the final
 * code's truth is the sum over the files it has.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const plan: number[] = JSON.parse(readFileSync(join(import.meta.dirname, "plan.json"), "utf8"));
const i = Number(process.env.AUTOEXP_ITERATION);
const effect = plan[i - 1]!;
mkdirSync("changes", { recursive: true });
writeFileSync(`changes/c${i}.json`, `${JSON.stringify({ id: i, effect })}\n`);
writeFileSync(
  process.env.AUTOEXP_DESCRIPTION_FILE!,
  `change ${i}: true effect ${effect > 0 ? "+" : ""}${effect} milli-bpb\n`,
);
