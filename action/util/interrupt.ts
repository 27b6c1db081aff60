import { killActiveGroups } from "../process/run-process.ts";

/** What `watchInterrupts` returns: the stop request, and how to stop listening. */
export interface Interrupts {
  /** Aborted on the first SIGINT or SIGTERM: stop after the experiment in flight. */
  signal: AbortSignal;
  /** Stops listening (call when the batch is over). */
  release: () => void;
}

/**
 * Ctrl-C (or a cancelled job's SIGTERM) as the CLI and the Action both treat it: the first stops
 * the batch after the experiment in flight, so nothing recorded is lost; the second kills every
 * eval and agent process group at once and exits 130.
 */
export function watchInterrupts(onFirst: () => void, proc: NodeJS.Process = process): Interrupts {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) {
      killActiveGroups();
      proc.exit(130);
    }
    onFirst();
    controller.abort();
  };
  proc.on("SIGINT", onSignal);
  proc.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    release: () => {
      proc.off("SIGINT", onSignal);
      proc.off("SIGTERM", onSignal);
    },
  };
}
