import { tagProblem } from "../ledger/tag.ts";

/**
 * Setup that cannot go on: bad input, a locked tag, a branch that is not ours. The message is
 * for people and names the fix. `exitCode` 2 means "you asked for something wrong", 1 "it broke".
 */
export class AutoexpError extends Error {
  override name = "AutoexpError";
  readonly exitCode: 1 | 2;
  constructor(message: string, options: { exitCode?: 1 | 2; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? 2;
  }
}

/** Returns the tag when it follows the one tag rule (ledger/tag.ts); throws a clear error if not. */
export function validateTag(tag: string): string {
  const problem = tagProblem(tag);
  if (problem) throw new AutoexpError(problem);
  return tag;
}

/**
 * The default tag: the program's name and the date the night started, i.e. the UTC date twelve
 * hours ago. Batches from 12:00 UTC one day to 11:59 UTC the next share a tag, so the batches of
 * one night (a cron every few hours, before and after midnight) land on one branch and one PR.
 */
export function defaultTag(name: string, now = new Date()): string {
  const night = new Date(now.getTime() - 12 * 3_600_000);
  return `${name}-${night.toISOString().slice(0, 10).replaceAll("-", "")}`;
}
