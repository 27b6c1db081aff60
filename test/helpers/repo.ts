import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const made: string[] = [];
// Cleanup after each test when run by vitest; benches import these helpers too.
if (process.env.VITEST) {
  const { afterEach } = await import("vitest");
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
}

/** A temporary folder, removed after the test. */
export function tempDir(prefix = "autoexp-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Runs git in `cwd` and returns stdout; throws on failure. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A real git repo with `files` committed (changesets' recipe: no gc, no signing, a user set). */
export function makeRepo(files: Record<string, string>): string {
  const dir = tempDir();
  git(dir, "init", "--quiet", "--initial-branch=main");
  git(dir, "config", "user.name", "Test");
  git(dir, "config", "user.email", "test@example.com");
  git(dir, "config", "gc.auto", "0");
  git(dir, "config", "commit.gpgsign", "false");
  writeFiles(dir, files);
  git(dir, "add", "-A");
  git(dir, "commit", "--quiet", "-m", "initial");
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

export function read(dir: string, path: string): string {
  return readFileSync(join(dir, path), "utf8");
}

const EXAMPLE = join(import.meta.dirname, "..", "..", "templates", "examples", "tiny-train");

/** A repo holding the bundled tiny-train example, committed. */
export function exampleRepo(): string {
  const files: Record<string, string> = {};
  for (const name of readdirSync(EXAMPLE)) files[name] = readFileSync(join(EXAMPLE, name), "utf8");
  return makeRepo(files);
}

/** The CLI the tests run: bundled from this checkout by the global setup (bundled-cli.ts). */
export const CLI =
  process.env.AUTOEXP_TEST_CLI ?? join(import.meta.dirname, "..", "..", "action", "cli.ts");

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process (Node 24 runs the TypeScript source directly). */
export function runCli(cwd: string, args: string[], env: Record<string, string> = {}): CliRun {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return {
    code: result.status,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

/** runCli without blocking: for tests whose CLI talks to a server in this process. */
export function runCliAsync(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The log.jsonl of a tag as committed on its branch. */
export function branchLog(dir: string, tag: string): { type: string; [k: string]: unknown }[] {
  return git(dir, "show", `autoexp/${tag}:.autoexp/${tag}/log.jsonl`)
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}
