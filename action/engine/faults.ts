import { existsSync, openSync, writeSync } from "node:fs";

/**
 * Crash points for the resume tests: with AUTOEXP_FAULT=<point>@<iteration> the process kills
 * itself with SIGKILL there, the same as a runner dying. Off unless that variable is set. One
 * point waits instead: `pause-before-record@<n>` holds experiment n's record for PAUSE_MS before
 * it writes anything, while the other slots go on (a keep decided meanwhile waits for its turn).
 */
export type FaultPoint =
  | "after-agent"
  | "after-commit"
  | "during-eval"
  | "torn-ledger"
  | "after-ledger"
  | "after-refs";

/** How long `pause-before-record` holds a record. */
export const PAUSE_MS = 4000;

export function createFaults(env: Record<string, string | undefined>) {
  const spec = env.AUTOEXP_FAULT;
  const hit = (point: FaultPoint, iteration: number) => spec === `${point}@${iteration}`;
  const die = (): never => {
    process.kill(process.pid, "SIGKILL");
    throw new Error("unreachable");
  };
  return {
    /** Dies here if asked to. */
    at(point: FaultPoint, iteration: number): void {
      if (hit(point, iteration)) die();
    },
    /**
     * Dies in the middle of the eval, while it runs: once its process group is up (its pid file
     * written), not at a fixed time after the call, which a slow checkout of the slot could
     * outlast. Stopped with clearInterval.
     */
    duringEval(iteration: number, pidFile: string): NodeJS.Timeout | undefined {
      if (!hit("during-eval", iteration)) return undefined;
      return setInterval(() => {
        if (existsSync(pidFile)) die();
      }, 10);
    },
    /** Waits PAUSE_MS here if asked to (`pause-before-record@<n>`). */
    async pauseBeforeRecord(iteration: number): Promise<void> {
      if (spec === `pause-before-record@${iteration}`)
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    },
    /** Writes half of a ledger append and dies: a torn write. */
    tornWrite(iteration: number, path: string, data: string): void {
      if (!hit("torn-ledger", iteration)) return;
      const fd = openSync(path, "a");
      writeSync(fd, data.slice(0, Math.floor(data.length / 2)));
      die();
    },
  };
}
