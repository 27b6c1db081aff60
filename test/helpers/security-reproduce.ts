// The judge's reference: a kept commit's score as a fresh checkout of that commit gives it, run
// in a bubblewrap sandbox (private /tmp and HOME, no network, the frozen files read-only), so
// that nothing outside the commit (ignored files, caches, links out of the tree, a daemon) and
// no run-time rewrite of the harness can count.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { evalEnvironment } from "../../action/sandbox/eval-environment.ts";
import { sandboxArgv } from "../../action/sandbox/sandbox-argv.ts";

export interface Layout {
  target: string;
  eval: string[];
  checks: string[];
  /** Frozen paths (files or folders), relative to the repository. */
  frozen: string[];
}

export const LAYOUTS: Record<"js" | "python", Layout> = {
  js: {
    target: "train.js",
    eval: ["node", "eval.js"],
    checks: ["node", "check.js"],
    frozen: ["eval.js", "check.js", "data"],
  },
  python: {
    target: "train.py",
    eval: ["python3", "eval.py"],
    checks: ["true"],
    frozen: ["eval.py"],
  },
};

/** "missing" when the commit is not in the repository any more. */
export type Reproduced = number | null | "missing";

export interface Reproducer {
  /** Fetches what the run added (commits, refs); objects the mirror already holds stay as they were. */
  refresh(): void;
  score(sha: string): Reproduced;
  /** Whether the checks pass on a fresh checkout of `sha`. */
  checks(sha: string): boolean;
}

const PATH = `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;

/**
 * A reproducer over a mirror of `repo` taken now (before the run: an object rewritten in place
 * later cannot change what the judge measures), brought up to date by refresh(), under `work`.
 */
export function createReproducer(
  repo: string,
  work: string,
  bwrap: string,
  layout: Layout,
  readOnly: readonly string[],
): Reproducer {
  const mirror = join(work, "mirror.git");
  mkdirSync(work, { recursive: true });
  // A clone copies objects and refs, never config, hooks or info/: what the eval planted there
  // cannot act on the judge.
  execFileSync("git", ["clone", "--quiet", "--mirror", "--no-local", repo, mirror], {
    stdio: "ignore",
  });
  let n = 0;
  const checkout = (sha: string): string | null => {
    try {
      execFileSync("git", ["--git-dir", mirror, "cat-file", "-e", `${sha}^{commit}`], {
        stdio: "ignore",
      });
    } catch {
      return null;
    }
    const dir = join(work, `checkout-${n++}`);
    mkdirSync(dir);
    const tar = `${dir}.tar`;
    execFileSync("git", ["--git-dir", mirror, "archive", "--format=tar", "-o", tar, sha]);
    execFileSync("tar", ["-xf", tar, "-C", dir]);
    return dir;
  };
  const run = (dir: string, command: readonly string[]) => {
    const home = join(work, "home");
    const argv = sandboxArgv(
      {
        bwrap,
        slotDir: dir,
        home,
        readOnly: [...layout.frozen.map((f) => join(dir, f)).filter(existsSync), ...readOnly],
        writable: [],
        network: false,
        devices: [],
      },
      command,
    );
    return spawnSync(argv[0]!, argv.slice(1), {
      encoding: "utf8",
      timeout: 20_000,
      env: evalEnvironment({ PATH }, { passEnv: [], set: {}, home }),
    });
  };
  return {
    refresh() {
      try {
        execFileSync("git", ["--git-dir", mirror, "fetch", "--quiet", "--prune", "origin"], {
          stdio: "ignore",
        });
      } catch {}
    },
    score(sha) {
      const dir = checkout(sha);
      if (!dir) return "missing";
      const result = run(dir, layout.eval);
      const matches = [...(result.stdout ?? "").matchAll(/^score:\s*(\S+)\s*$/gm)];
      const value = Number(matches.at(-1)?.[1]);
      return result.status === 0 && Number.isFinite(value) ? value : null;
    },
    checks(sha) {
      const dir = checkout(sha);
      return dir !== null && run(dir, layout.checks).status === 0;
    },
  };
}
