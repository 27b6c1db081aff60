/**
 * One git command as data: its argv, what it reads on stdin, and the parser of what it prints
 * (simple-git's lesson: commands are values, and only one file spawns git). `onError` turns an
 * expected failure (a ref that does not exist, `merge-base --is-ancestor` saying no) into a result.
 */
export interface GitCommand<T> {
  args: readonly string[];
  /** Extra environment for this command only (a private index file, say). */
  env?: Readonly<Record<string, string>>;
  input?: string | Buffer;
  parse: (stdout: string) => T;
  onError?: (error: Error) => T;
}

/** Output as git printed it. */
export const text = (stdout: string): string => stdout;
/** The first line, trimmed (a sha, a path). */
export const line = (stdout: string): string => stdout.trim();
/** Nothing to read: the command is run for its effect. */
export const none = (): void => {};
/** NUL-separated fields (`-z`), empties dropped. */
export const fields = (stdout: string): string[] => stdout.split("\0").filter(Boolean);
