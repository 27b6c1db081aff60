import { GitError } from "../git/git.ts";
import { AutoexpError } from "../util/errors.ts";
import { EXIT } from "./exit-codes.ts";

/** What the CLI prints for an error: one message, never a stack trace (`detail` is for AUTOEXP_DEBUG). */
export interface ErrorReport {
  message: string;
  exitCode: number;
  detail?: string;
}

const FS_REASONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "it is a directory",
  ENOTDIR: "a part of the path is not a directory",
  ENOSPC: "no space left on the device",
  EROFS: "the file system is read-only",
  EEXIST: "it already exists",
  EMFILE: "too many open files",
  EBUSY: "it is busy",
  ENAMETOOLONG: "the name is too long",
};

/**
 * Turns anything thrown into a message for people: autoexp's own errors as they are, git and
 * file-system errors with what failed and why, anything else as an internal error to report.
 */
export function describeError(error: unknown): ErrorReport {
  if (error instanceof AutoexpError) return { message: error.message, exitCode: error.exitCode };
  const detail = error instanceof Error ? error.stack : undefined;
  const withDetail = (message: string, exitCode: number): ErrorReport =>
    detail ? { message, exitCode, detail } : { message, exitCode };
  if (error instanceof GitError) {
    return withDetail(
      `${error.message.split("\n")[0]}${/not a git repository/i.test(error.message) ? " (run autoexp inside your project's git repository)" : ""}`,
      EXIT.failed,
    );
  }
  const errno = error as NodeJS.ErrnoException;
  if (errno && typeof errno.code === "string" && errno.code in FS_REASONS) {
    const what = errno.path ? ` ${errno.path}` : "";
    const verb = errno.syscall ? `${errno.syscall}${what}` : `use${what}`;
    return withDetail(`cannot ${verb}: ${FS_REASONS[errno.code]}`, EXIT.failed);
  }
  const text = error instanceof Error ? error.message : String(error);
  return withDetail(
    `internal error: ${text.split("\n")[0]} (a bug in autoexp: please report it, with the output of the same command run with AUTOEXP_DEBUG=1)`,
    EXIT.failed,
  );
}
