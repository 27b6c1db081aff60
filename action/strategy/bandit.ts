/** One arm's pulls: how many, and the sum of their rewards (each in [0, 1]). */
export interface Arm<K> {
  key: K;
  pulls: number;
  reward: number;
}

/** An arm's UCB1 figures: its mean reward and the upper bound UCB1 ranks by. */
export interface Scored<K> extends Arm<K> {
  mean: number;
  bound: number;
}

/**
 * UCB1 (Auer et al. 2002): an arm never pulled first (the earliest in `arms`), else the arm with
 * the highest mean reward plus sqrt(2 ln N / n), ties to the earliest. Deterministic: the same
 * pulls give the same pick, so the ledger does not depend on chance or timing. Rewards must lie
 * in [0, 1]. Throws on no arms.
 */
export function ucb1<K>(arms: readonly Arm<K>[]): { pick: Scored<K>; scored: Scored<K>[] } {
  if (arms.length === 0) throw new Error("ucb1 needs at least one arm");
  const total = arms.reduce((n, a) => n + a.pulls, 0);
  const scored = arms.map((a) => {
    const mean = a.pulls > 0 ? a.reward / a.pulls : 0;
    const bound =
      a.pulls > 0 ? mean + Math.sqrt((2 * Math.log(Math.max(1, total))) / a.pulls) : Infinity;
    return { ...a, mean, bound };
  });
  let pick = scored[0]!;
  for (const s of scored) if (s.bound > pick.bound) pick = s;
  return { pick, scored };
}

/**
 * A proposal's reward from its gain over the incumbent (positive: better), in [0, 1]: a gain of
 * -2 `scale` or worse is 0, +2 `scale` or better is 1, linear between; a proposal that gave no
 * score (a crash, no change, a failed agent) is 0.
 */
export function rewardOf(gain: number | null, scale: number): number {
  if (gain === null || !Number.isFinite(gain)) return 0;
  const s = scale > 0 ? scale : 1;
  return Math.min(1, Math.max(0, 0.5 + gain / (4 * s)));
}
