/** Runs' metrics turned into samples per metric, and back into means. Pure. */

/** Appends one run's metrics to samples per metric. */
export function addSamples(
  samples: Record<string, number[]>,
  metrics: Record<string, number>,
): void {
  for (const [name, value] of Object.entries(metrics)) {
    samples[name] ??= [];
    samples[name].push(value);
  }
}

/** Appends runs already per metric (another set of samples) to samples per metric. */
export function appendSamples(
  samples: Record<string, number[]>,
  more: Record<string, readonly number[]>,
): void {
  for (const [name, values] of Object.entries(more)) {
    samples[name] ??= [];
    samples[name].push(...values);
  }
}

/** A list of runs' metrics as samples per metric. */
export function collectSamples(runs: readonly Record<string, number>[]): Record<string, number[]> {
  const samples: Record<string, number[]> = {};
  for (const metrics of runs) addSamples(samples, metrics);
  return samples;
}

/** The mean of each metric's samples. */
export function meansOf(samples: Record<string, readonly number[]>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(samples).map(([k, v]) => [k, v.reduce((s, x) => s + x, 0) / v.length]),
  );
}
