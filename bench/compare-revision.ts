// `--compare REV` for the benches: the same bench script, run against another revision's engine
// in a git worktree of it, so "before" and "after" come from one run on one machine.

import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");

/**
 * Runs `script` with `args` (minus `--compare REV`, plus `extra`) in a worktree of `rev`, this
 * file and the script's `helpers` (bench files beside it) copied there with it, and prints its
 * output indented under "before (...)", then "after (this checkout):". The copied script is
 * named `<name>-now.ts`, so a bench of the same name in `rev` is not overwritten.
 */
export function runBefore(
  rev: string,
  script: string,
  args: readonly string[],
  options: { helpers?: readonly string[]; extra?: readonly string[]; what?: string } = {},
): void {
  const old = mkdtempSync(join(tmpdir(), "autoexp-old-"));
  rmSync(old, { recursive: true });
  execFileSync("git", ["worktree", "add", "--detach", "--quiet", old, rev], { cwd: ROOT });
  try {
    symlinkSync(join(ROOT, "node_modules"), join(old, "node_modules"));
    const here = dirname(script);
    for (const f of [basename(import.meta.filename), ...(options.helpers ?? [])])
      copyFileSync(join(here, f), join(old, "bench", f));
    const copy = join(old, "bench", `${basename(script, ".ts")}-now.ts`);
    copyFileSync(script, copy);
    const same = args.filter((a, i) => a !== "--compare" && args[i - 1] !== "--compare");
    console.log(`before (${rev}'s engine, this script${options.what ? `, ${options.what}` : ""}):`);
    const run = spawnSync(process.execPath, [copy, ...same, ...(options.extra ?? [])], {
      cwd: old,
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    if (run.status !== 0) console.log(run.stderr);
    console.log(
      run.stdout
        .trim()
        .split("\n")
        .map((l) => `  ${l}`)
        .join("\n"),
    );
  } finally {
    execFileSync("git", ["worktree", "remove", "--force", old], { cwd: ROOT });
  }
  console.log("after (this checkout):");
}
