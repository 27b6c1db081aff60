import type { BatchEvent } from "../engine/events.ts";

/**
 * What this batch spent and what it bought, from its events: the agent's cost, the eval time
 * (GPU hours: each eval holds one device), and both per kept improvement, for the job summary.
 */
export function createBatchCost() {
  let experiments = 0;
  let kept = 0;
  let costUsd = 0;
  let evalSeconds = 0;
  return {
    event(event: BatchEvent) {
      if (event.type === "baseline") evalSeconds += event.seconds;
      if (event.type === "verified") evalSeconds += event.entry.eval_seconds;
      if (event.type !== "experiment") return;
      const { row } = event;
      experiments++;
      if (row.status === "keep" || row.status === "simplification") kept++;
      costUsd += row.cost_usd || 0;
      evalSeconds += row.eval_seconds || 0;
    },
    /** "**This batch:** 12 experiments, 2 kept · agent $0.84 · 1.3 GPU h · per kept improvement: $0.42 and 0.65 GPU h". */
    line(): string {
      const spent = `agent $${costUsd.toFixed(2)} · ${hours(evalSeconds)} GPU h of evals`;
      const per =
        kept > 0
          ? `per kept improvement: $${(costUsd / kept).toFixed(2)} and ${hours(evalSeconds / kept)} GPU h`
          : "no kept improvement for it";
      return `**This batch:** ${experiments} experiment(s), ${kept} kept · ${spent} · ${per}`;
    },
  };
}

/** GPU hours to two significant digits (0.0042, 0.65, 12). */
function hours(seconds: number): string {
  const h = seconds / 3600;
  return h === 0 ? "0" : String(Number(h.toPrecision(2)));
}
