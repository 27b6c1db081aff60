import type { RemeasureEntry, ResultEntry, VerifyEntry } from "../ledger/types.ts";
import type { InFlight } from "./interrupted.ts";

/** What a batch reports as it goes (the CLI's progress line, the Action's log groups). */
export type BatchEvent =
  | { type: "recovered"; messages: string[] }
  /** Something the user should know that changes nothing by itself (a base branch moved on). */
  | { type: "notice"; message: string }
  | { type: "isolation"; mode: "sandbox" | "none"; warnings: readonly string[] }
  | {
      type: "baseline";
      score: number;
      runs: number;
      noise: number | null;
      minDelta: number;
      seconds: number;
    }
  | { type: "resumed"; experiments: number; best: number }
  | {
      type: "remeasure";
      reason: RemeasureEntry["reason"];
      runs: number;
      score: number;
      note?: string;
    }
  | { type: "run"; iteration: number; run: number; reason: string }
  | {
      type: "eval-progress";
      iteration: number;
      run: number;
      elapsedMs: number;
      lastLine: string;
      /** With several workers: which one runs it, on what, and their busy share so far. */
      worker?: number;
      device?: string | null;
      busy?: number;
    }
  | {
      type: "experiment";
      row: ResultEntry;
      index: number;
      of: number;
      best: number;
      /** The incumbent's score before this experiment was recorded (what `best` said until now). */
      bestBefore?: number;
      etaMs: number | null;
    }
  | { type: "start"; iteration: number; index: number; of: number }
  /** One run of `autoexp verify`: the base or the final code, on the eval or the holdout. */
  | {
      type: "verify-run";
      pair: number;
      of: number;
      code: "base" | "final";
      eval: "validation" | "holdout";
      score: number | null;
      problem?: string;
    }
  | { type: "verified"; entry: VerifyEntry }
  /** The first Ctrl-C or SIGTERM: nothing new starts; what the batch still waits for. */
  | { type: "stopping"; waiting: InFlight[] }
  | { type: "stop"; reason: string };
