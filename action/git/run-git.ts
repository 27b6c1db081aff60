import { execFile, spawn } from "node:child_process";

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

let spawned = 0;

/** How many git processes this process has started (for bench/overhead). */
export function gitProcesses(): number {
  return spawned;
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
    spawned++;
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

/**
 * Streams `git cat-file --batch` for `shas` (each once) and hands each blob's bytes to `take`
 * as they arrive, so a large tree never sits in memory whole (a large heap makes every later
 * process spawn slower).
 */
export function streamBlobs(
  dir: string,
  env: Record<string, string | undefined>,
  shas: readonly string[],
  take: (sha: string, bytes: Buffer) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    spawned++;
    const child = spawn("git", [...HARDEN, "cat-file", "--batch"], { cwd: dir, env });
    // Chunks are kept as a list and joined once per blob: joining on every chunk would copy a
    // large blob again and again.
    let chunks: Buffer[] = [];
    let length = 0;
    let index = 0;
    let need: { sha: string; size: number } | null = null;
    let stderr = "";
    const joined = (): Buffer => {
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
      chunks = [all];
      return all;
    };
    const drop = (n: number): void => {
      const rest = joined().subarray(n);
      chunks = rest.length > 0 ? [rest] : [];
      length = rest.length;
    };
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      while (length > 0) {
        if (!need) {
          const all = joined();
          const eol = all.indexOf(10);
          if (eol === -1) return;
          const [sha, , size] = all.subarray(0, eol).toString().split(" ");
          if (size === undefined || !Number.isFinite(Number(size))) {
            child.kill();
            reject(new GitError(["cat-file"], `cannot read blob ${shas[index] ?? sha}`));
            return;
          }
          need = { sha: sha!, size: Number(size) };
          drop(eol + 1);
        }
        if (length < need.size + 1) return;
        take(need.sha, joined().subarray(0, need.size));
        drop(need.size + 1);
        need = null;
        index++;
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 && index === shas.length) resolve();
      else reject(new GitError(["cat-file"], stderr.trim() || `exited with ${code}`));
    });
    child.stdin.end(shas.length > 0 ? `${shas.join("\n")}\n` : "");
  });
}

/**
 * Copies the objects `list` names (rev-list --objects lines) from the repository at `from` into
 * the one at `to`: `pack-objects --stdout` piped into `index-pack --stdin` there, streamed. Every
 * temporary file is made in `to`, never in `from` (a copy cut short leaves nothing in the user's
 * .git).
 */
export function copyObjects(
  from: string,
  to: string,
  env: Record<string, string | undefined>,
  list: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    spawned += 2;
    const pack = spawn("git", [...HARDEN, "pack-objects", "--stdout", "-q"], { cwd: from, env });
    const index = spawn("git", [...HARDEN, "index-pack", "--stdin"], { cwd: to, env });
    let stderr = "";
    const collect = (d: Buffer) => {
      stderr += d.toString();
    };
    pack.stderr.on("data", collect);
    index.stderr.on("data", collect);
    index.stdout.resume();
    pack.stdout.pipe(index.stdin);
    let left = 2;
    let failed = false;
    const done = (name: string) => (code: number | null) => {
      if (code !== 0 && !failed) {
        failed = true;
        pack.kill();
        index.kill();
        reject(new GitError([name], stderr.trim() || `exited with ${code}`));
      }
      if (--left === 0 && !failed) resolve();
    };
    pack.on("error", reject);
    index.on("error", reject);
    pack.on("close", done("pack-objects"));
    index.on("close", done("index-pack"));
    pack.stdin.end(list);
  });
}
