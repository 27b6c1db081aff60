import type { BatchEvent } from "../engine/events.ts";

/**
 * What this batch spent and what it bought, for the job summary: the agent's cost from its
 * experiments' events; the eval time (GPU hours: each eval holds one device) from what the batch
 * recorded (BatchResult.evalSeconds: every run, the incumbents' beside candidates and those of
 * evaluations left behind included); both per kept improvement.
 */
export function createBatchCost() {
  let experiments = 0;
  let kept = 0;
  let costUsd = 0;
  return {
    event(event: BatchEvent) {
      if (event.type !== "experiment") return;
      const { row } = event;
      experiments++;
      if (row.status === "keep" || row.status === "simplification") kept++;
      costUsd += row.cost_usd || 0;
    },
    /** "**This batch:** 12 experiments, 2 kept · agent $0.84 · 1.3 GPU h · per kept improvement: $0.42 and 0.65 GPU h". */
    line(evalSeconds: number): string {
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
