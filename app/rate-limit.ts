/** How many commands one user may give in a sliding window. */
export interface RateLimit {
  max: number;
  windowMs: number;
}

/** Counts each user's commands; `allow` records a command when it is within the limit. */
export function createRateLimiter(limit: RateLimit, now: () => number) {
  const recent = new Map<string, number[]>();
  return {
    limit,
    allow(login: string): boolean {
      const times = (recent.get(login) ?? []).filter((t) => now() - t < limit.windowMs);
      if (times.length >= limit.max) return false;
      recent.set(login, [...times, now()]);
      return true;
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

/** Remembers webhook deliveries, so that a redelivery of the same event is handled once. */
export function createDeliveryFilter(capacity = 10_000) {
  const seen = new Set<string>();
  return {
    /** True the first time a delivery id is seen. */
    first(id: string): boolean {
      if (seen.has(id)) return false;
      seen.add(id);
      if (seen.size > capacity) seen.clear();
      return true;
    },
  };
}

export type DeliveryFilter = ReturnType<typeof createDeliveryFilter>;
