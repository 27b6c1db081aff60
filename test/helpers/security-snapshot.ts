// What the user owns, seen before and after a run: their .git's config, hooks and info/, their
// checkout, and HOME (minus ~/.cache, ~/.local/state and ~/.local/share, where tools keep theirs).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface Snapshot {
  config: string;
  hooks: string[];
  info: Record<string, string>;
  checkout: string;
  home: Record<string, string>;
}

/** git with everything a repository could make it run turned off. */
export function safeGit(repo: string, args: readonly string[]): string | null {
  try {
    return execFileSync(
      "git",
      ["-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", ...args],
      { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 << 20 },
    );
  } catch {
    return null;
  }
}

function files(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (d: string) => {
    for (const name of existsSync(d) ? readdirSync(d) : []) {
      const full = join(d, name);
      const rel = relative(dir, full);
      if (skip(rel)) continue;
      const st = statSync(full, { throwIfNoEntry: false });
      if (st?.isDirectory()) visit(full);
      else if (st) out[rel] = readFileSync(full, "utf8");
    }
  };
  visit(dir);
  return out;
}

export function snapshot(repo: string, home: string): Snapshot {
  const git = join(repo, ".git");
  return {
    config: readFileSync(join(git, "config"), "utf8"),
    hooks: readdirSync(join(git, "hooks"))
      .filter((h) => !h.endsWith(".sample"))
      .sort(),
    // info/refs and info/packs are git's own (update-server-info), not something planted.
    info: files(join(git, "info"), (rel) => rel === "refs" || rel === "packs"),
    checkout:
      safeGit(repo, ["status", "--porcelain", "--ignored", "--untracked-files=all"]) ??
      "(no status)",
    home: files(home, (rel) => rel === ".cache"),
  };
}

/** What changed, one line per thing planted. */
export function plantedBetween(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  if (after.config !== before.config) {
    const was = new Set(before.config.split("\n"));
    const added = after.config.split("\n").filter((l) => l.trim() && !was.has(l));
    out.push(`.git/config changed: ${added.map((l) => l.trim()).join("; ") || "lines removed"}`);
  }
  const hooks = after.hooks.filter((h) => !before.hooks.includes(h));
  if (hooks.length > 0) out.push(`.git/hooks planted: ${hooks.join(", ")}`);
  for (const [name, text] of Object.entries(after.info))
    if (before.info[name] !== text) out.push(`.git/info/${name} written`);
  if (after.checkout !== before.checkout) out.push("the user's checkout changed");
  for (const [name, text] of Object.entries(after.home)) {
    // The user's files changed, or a new one where shells, git and ssh look; caches and state
    // folders (an XDG tool's own) are not persistence.
    const changed = name in before.home && before.home[name] !== text;
    const added = !(name in before.home) && !/^\.local\/(state|share)\//.test(name);
    if (changed || added) out.push(`~/${name} written`);
  }
  return out;
}

/**
 * The files of `commit` whose object in the user's repository no longer hashes to its name (a
 * blob rewritten in place under .git/objects): "path (sha)" each.
 */
export function rewrittenObjects(repo: string, commit: string): string[] {
  const listing = safeGit(repo, ["ls-tree", "-r", "-z", commit]) ?? "";
  const blobs = listing
    .split("\0")
    .filter(Boolean)
    .map((line) => {
      const [meta, path] = line.split("\t");
      const [, type, sha] = (meta ?? "").split(" ");
      return { type, sha: sha ?? "", path: path ?? "" };
    })
    .filter((e) => e.type === "blob");
  const out: string[] = [];
  for (const { sha, path } of blobs) {
    let content: Buffer;
    try {
      content = execFileSync("git", ["cat-file", "blob", sha], {
        cwd: repo,
        stdio: ["ignore", "pipe", "ignore"],
      });
    } catch {
      out.push(`${path} (${sha.slice(0, 7)}) unreadable`);
      continue;
    }
    const hash = createHash("sha1")
      .update(`blob ${content.length}\0`)
      .update(content)
      .digest("hex");
    if (hash !== sha) out.push(`${path} (${sha.slice(0, 7)})`);
  }
  return out;
}
