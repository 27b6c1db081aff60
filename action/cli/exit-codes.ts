import { FAILED_STOPS, type Stop } from "../decide/budget.ts";

/** The CLI's exit codes; README.md's table and `--help` show the same. */
export const EXIT = {
  /** Done: the batch ran its budget (or the command did what it was asked). */
  ok: 0,
  /** It ran and failed: a batch stopped on a failure, an eval that does not parse, a broken setup. */
  failed: 1,
  /** Bad input: a flag, the config, the repository; nothing was changed. */
  usage: 2,
  /** Stopped by Ctrl-C or SIGTERM; what was recorded is kept, the same command resumes. */
  interrupted: 130,
} as const;

export const EXIT_CODES_TEXT = `Exit codes:
  0    done (a batch ran to its budget, or stopped at a plateau)
  1    failed: a batch stopped on a failure (the agent cannot work, too many failures in a row,
       a broken baseline or incumbent, a violation), or a command could not do its work
  2    bad input (a flag, the config, the repository): nothing was changed
  130  interrupted (Ctrl-C, SIGTERM): what was recorded is kept; the same command resumes`;

/** The same codes as a command other than a batch meets them (its help says when it fails). */
export const COMMAND_EXIT_CODES_TEXT = `Exit codes:
  0    done
  1    failed: the command could not do its work (above: when)
  2    bad input (a flag, the config, the repository): nothing was changed
  130  interrupted (Ctrl-C, SIGTERM): nothing half-done is recorded`;

/**
 * The exit code of a batch that ran: stopping on a budget, a plateau or an exhausted search is
 * success; stopping because the work cannot go on (FAILED_STOPS) is a failure a script must see.
 */
export function exitCodeForStop(kind: Stop["kind"]): number {
  if (kind === "interrupted") return EXIT.interrupted;
  return FAILED_STOPS.has(kind) ? EXIT.failed : EXIT.ok;
}
