import { GitError } from "../git/git.ts";
import { AutoexpError } from "../util/errors.ts";

const DISK: Record<string, string> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EROFS: "the file system is read-only",
  EACCES: "permission was denied",
  EPERM: "the operation was not permitted",
  EMFILE: "too many files are open",
  EIO: "the disk reported an I/O error",
};

/**
 * A failure of the machine under autoexp (disk full, read-only disk, a git lock left behind) as
 * a message that says what happened and what to do, instead of a stack trace. What is already
 * recorded stays recorded: the journal is written before the branch moves, so a run started
 * again after the fix resumes. Anything else is returned unchanged (a bug keeps its trace).
 */
export function explainFailure(error: unknown, tag: string): unknown {
  if (error instanceof AutoexpError) return error;
  const resume = `Everything recorded so far is kept; fix it, then run the same command again to resume tag ${tag}`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && DISK[code]) {
    const path = (error as NodeJS.ErrnoException).path;
    return new AutoexpError(`${DISK[code]}${path ? ` (${path})` : ""}. ${resume}`, {
      exitCode: 1,
      cause: error,
    });
  }
  if (error instanceof GitError) {
    const lock = /([^\s'"]+\.lock)['"]?: File exists|Unable to create '([^']+\.lock)'/.exec(
      error.message,
    );
    if (lock) {
      const file = lock[1] ?? lock[2];
      return new AutoexpError(
        `git found a lock file left behind (${file}), most likely by a git command that was killed. If no git command is running in this repository, delete that file. ${resume}`,
        { exitCode: 1, cause: error },
      );
    }
    if (/No space left|Read-only file system|Permission denied/i.test(error.message)) {
      return new AutoexpError(`${error.message}. ${resume}`, { exitCode: 1, cause: error });
    }
  }
  return error;
}
