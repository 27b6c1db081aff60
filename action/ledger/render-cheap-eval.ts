import type { Transfer } from "../decide/transfer.ts";
import { TRANSFER_FLOOR, TRANSFER_MIN_N, TRANSFER_STOP_LEVEL } from "../decide/transfer.ts";

const f2 = (x: number) => x.toFixed(2);

/**
 * The cheap eval (eval.screen) in one paragraph: screening or stopped (and why), the rank
 * correlation with the full eval measured so far with its 90% interval, and what it decided.
 * Plain text with no agent-written words: fit for the dashboard and the terminal alike.
 */
export function renderCheapEval(t: Transfer): string {
  const { passed, failed, explored, crashed } = t.counts;
  const measured =
    t.n === 0
      ? "no candidate has had both the cheap and the full eval yet"
      : `rank correlation with the full eval ${Number.isFinite(t.rho) ? f2(t.rho) : "not defined"}${t.ci ? ` (90% interval ${f2(t.ci[0])} to ${f2(t.ci[1])})` : ""} over ${t.n} candidate(s) that had both`;
  const decided = `${passed} passed on to the full eval, ${failed} discarded on it, ${explored} failed but sent on anyway to measure the transfer${crashed > 0 ? `, ${crashed} crashed in it` : ""}`;
  const state =
    t.state === "stopped" && t.stop
      ? `stopped: ${t.stop.reason}`
      : `screening (stops once ${TRANSFER_MIN_N} or more candidates have both and the correlation's ${TRANSFER_STOP_LEVEL * 100}% upper bound is under ${TRANSFER_FLOOR})`;
  return `Cheap eval (eval.screen): ${state}. Now: ${measured}; ${decided}.`;
}
