import { execFile } from "node:child_process";

/**
 * autoexp's own git never runs code the repository (or an eval that wrote to it) configured:
 * no hooks, no fsmonitor, no attributes file, no untracked cache written back, no automatic gc
 * or maintenance. The commands the engine uses write blobs and trees directly (no filters).
 */
export const HARDEN = [
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.fsmonitor=false",
  "-c",
  "core.untrackedCache=false",
  "-c",
  "core.attributesFile=/dev/null",
  "-c",
  "core.sshCommand=ssh",
  "-c",
  "gc.auto=0",
  "-c",
  "maintenance.auto=false",
] as const;

const PASS_ENV = ["PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "XDG_CONFIG_HOME", "SSH_AUTH_SOCK"];
const ALLOWED_ENV = [
  "GIT_TERMINAL_PROMPT",
  "GIT_INDEX_FILE",
  "GIT_AUTHOR_NAME",
  "GIT_AUTHOR_EMAIL",
  "GIT_COMMITTER_NAME",
  "GIT_COMMITTER_EMAIL",
  "GIT_AUTHOR_DATE",
  "GIT_COMMITTER_DATE",
];

/** A git command that failed; the message carries git's own words. */
export class GitError extends Error {
  override name = "GitError";
  constructor(args: readonly string[], message: string, options?: { cause?: unknown }) {
    super(`git ${args[0]} failed: ${message}`, options);
  }
}

/**
 * git gets a small, known environment: ambient GIT_* variables (GIT_DIR from a hook, say) would
 * point it somewhere else.
 */
export function gitEnvironment(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const pass = Object.entries(env).filter(([k]) => PASS_ENV.includes(k) || ALLOWED_ENV.includes(k));
  return { ...Object.fromEntries(pass), GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" };
}

/**
 * Spawns git with argv (never a shell): the one place that does. Spawned directly rather than
 * through simple-git, which waits a fixed 50 ms after every command that prints nothing.
 */
export function runGit(
  dir: string,
  env: Record<string, string | undefined>,
  args: readonly string[],
  options: { input?: string | Buffer; binary?: boolean } = {},
): Promise<Buffer | string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      [...HARDEN, ...args],
      {
        cwd: dir,
        env,
        maxBuffer: 4 * 1024 * 1024 * 1024,
        encoding: options.binary ? "buffer" : "utf8",
      },
      (error, stdout, stderr) => {
        if (error)
          reject(new GitError(args, String(stderr).trim() || error.message, { cause: error }));
        else resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
