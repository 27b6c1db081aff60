import type { Stop } from "../decide/budget.ts";

/**
 * Thrown where a batch that is stopping (a first Ctrl-C or SIGTERM) would start something new:
 * an eval run, a check, an agent call, a rebase. The scheduler ends the batch there and records
 * nothing of the experiment it interrupted (a resume starts it again).
 */
export class Interrupted extends Error {
  constructor(before: string) {
    super(`interrupted before ${before}`);
    this.name = "Interrupted";
  }
}

/** The stop a batch ends with when it was interrupted (the ledger's `batch` end line says so). */
export const INTERRUPTED: Stop = { kind: "interrupted", reason: "interrupted" };

/** Something a stopping batch waits for: an eval run or an agent call already started. */
export interface InFlight {
  /** "#7, run 2", "the incumbent's re-measure run", "the agent's proposal for #8". */
  what: string;
  kind: "eval" | "agent";
  elapsedMs: number;
  /** About how long it has left, by the durations of the latest runs (null: none to go by). */
  leftMs: number | null;
}

/** How many of the latest finished eval runs the estimate of a run's length averages. */
const RECENT_RUNS = 5;

/**
 * The one safe point of a batch: every eval run (through Slot), check, agent call and rebase
 * asks it before it starts, and is refused once the batch is stopping. It also knows what is in
 * flight, so a stop can say what it waits for and roughly how long.
 */
export class StopGate {
  #signal: AbortSignal | undefined;
  #inFlight = new Map<string, { what: string; kind: InFlight["kind"]; started: number }>();
  #durations: number[] = [];

  constructor(signal?: AbortSignal, recentRunMs: readonly number[] = []) {
    this.#signal = signal;
    this.#durations = recentRunMs.slice(-RECENT_RUNS);
  }

  /** Whether the batch is stopping (the first interrupt arrived). */
  get stopping(): boolean {
    return this.#signal?.aborted ?? false;
  }

  /** Calls `say` when the stop is asked for, until disposed. */
  onStopping(say: () => void): Disposable {
    const signal = this.#signal;
    signal?.addEventListener("abort", say, { once: true });
    return { [Symbol.dispose]: () => signal?.removeEventListener("abort", say) };
  }

  /** Throws Interrupted when the batch is stopping: called before `before` starts. */
  check(before: string): void {
    if (this.stopping) throw new Interrupted(before);
  }

  /**
   * `key` (a slot, an agent checkout) starts an eval run `name` or an agent call; refused with
   * Interrupted once the batch is stopping. A key holds one thing at a time.
   */
  enter(key: string, name: string, kind: InFlight["kind"] = "eval"): void {
    this.check(describeRun(name));
    this.#inFlight.set(key, { what: describeRun(name), kind, started: performance.now() });
  }

  /** What `key` ran has ended; an eval run's duration goes into the estimate. */
  leave(key: string): void {
    const entry = this.#inFlight.get(key);
    if (!entry) return;
    this.#inFlight.delete(key);
    if (entry.kind === "eval") {
      this.#durations.push(performance.now() - entry.started);
      if (this.#durations.length > RECENT_RUNS) this.#durations.shift();
    }
  }

  /** What is in flight now, longest running first. */
  inFlight(now = performance.now()): InFlight[] {
    const typical =
      this.#durations.length > 0
        ? this.#durations.reduce((a, b) => a + b, 0) / this.#durations.length
        : null;
    return [...this.#inFlight.values()]
      .sort((a, b) => a.started - b.started)
      .map(({ what, kind, started }) => ({
        what,
        kind,
        elapsedMs: now - started,
        leftMs: kind === "eval" && typical !== null ? Math.max(0, typical - (now - started)) : null,
      }));
  }
}

/** An eval run's log name as a person reads it ("7-1" is "#7, run 2"). */
function describeRun(name: string): string {
  const candidate = /^(\d+)-(\d+)$/.exec(name);
  if (candidate)
    return candidate[1] === "0"
      ? `the baseline, run ${Number(candidate[2]) + 1}`
      : `#${candidate[1]}, run ${Number(candidate[2]) + 1}`;
  const beside = /^(\d+)-(\d+)-incumbent-\d+$/.exec(name);
  if (beside) return `the incumbent's run beside #${beside[1]}`;
  const again = /^(\d+)-(re|cb|config-)\d+/.exec(name);
  if (again) return `a re-measure run of the incumbent (#${again[1]})`;
  const checks = /^(\d+)-checks$/.exec(name);
  if (checks) return `the checks of #${checks[1]}`;
  return name;
}
