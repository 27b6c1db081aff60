import { formatDuration } from "../../util/duration.ts";
import type { ContextInput } from "./context-input.ts";
import { fmt } from "./fmt.ts";

/** The task: the metric and its goal, where it stands, the guards, the budget left, the rules. */
export function renderTask(input: ContextInput): string {
  const { metric, goal, header, budget } = input;
  const better = goal === "minimize" ? "lower" : "higher";
  const facts = [`Current best: ${metric} = ${fmt(input.incumbentScore)}`];
  if (header) facts.push(`baseline ${fmt(header.baseline)}`);
  if (header?.noise) facts.push(`run-to-run noise (sd) ${fmt(header.noise)}`);
  if (header?.min_delta) facts.push(`smallest change that counts ${fmt(header.min_delta)}`);
  const guards = header
    ? Object.entries(header.guards).map(
        ([name, g]) =>
          `${name} ${g.min !== undefined ? `>= ${g.min}` : ""}${g.min !== undefined && g.max !== undefined ? " and " : ""}${g.max !== undefined ? `<= ${g.max}` : ""}`,
      )
    : [];
  const left = [`${budget.experiments} experiment(s) left in this batch`];
  if (budget.wallClockMs !== null)
    left.push(`${formatDuration(Math.max(0, budget.wallClockMs))} of wall clock`);
  if (budget.costUsd !== null)
    left.push(`$${Math.max(0, budget.costUsd).toFixed(2)} of model cost`);
  return [
    "# Your task",
    `You are one step of an autonomous research loop. Make ONE focused change to the files you may edit that makes \`${metric}\` ${better} (goal: ${goal}). autoexp then runs the fixed evaluation, keeps your change only if it really improves ${metric} beyond noise, and otherwise reverts it.`,
    `${facts.join("; ")}.`,
    ...(guards.length > 0
      ? [`Guards (a change that breaks one is rejected): ${guards.join("; ")}.`]
      : []),
    `Budget left: ${left.join(", ")}.`,
    "Rules: one idea per experiment. Never ask questions or wait for confirmation: nobody is watching, so decide and act. Do not commit, do not touch files outside the list below, do not change the evaluation. Prefer simple changes: a small gain that adds ugly complexity is not worth it, and removing code for an equal result is a win. Do not repeat an idea that the digest shows already failed unless you change it materially.",
  ].join("\n");
}
