import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { RecordStore } from "./record-store.ts";

/**
 * What an unsandboxed eval or agent could plant in the repository to run code later (hooks,
 * config such as core.hooksPath or a filter, info/ excludes and attributes) or to destroy the
 * evidence (autoexp's refs). Taken before the batch; `check` names what changed since.
 */
/** What the checks after an experiment found: the repository tampered with, or the data changed. */
export interface Tampering {
  status: "violation" | "crash";
  reason: string;
}

export async function sealRepository(store: RecordStore): Promise<() => Promise<string | null>> {
  const gitDir = await store.repo.commonDir();
  const before = await fingerprintGitDir(gitDir);
  const current = async () => {
    const refs = await store.repo.listRefs(`refs/autoexp/${store.tag}/`);
    const branch = await store.repo.resolve(store.branch);
    return (ref: string) => (ref === store.branch ? (branch ?? undefined) : refs[ref]);
  };
  // Experiments' refs a fresh checkout never fetched (the Action's clone of a published tag) are
  // absent from the start: not moved, unless something makes them later.
  const atStart = await current();
  const absent = new Set(
    Object.keys(store.expectedRefs()).filter((ref) => atStart(ref) === undefined),
  );
  return async () => {
    const now = await fingerprintGitDir(gitDir);
    const changed = Object.keys({ ...before, ...now }).filter((k) => before[k] !== now[k]);
    const at = await current();
    const moved = Object.entries(store.expectedRefs())
      .filter(([ref, sha]) => at(ref) !== sha && !(absent.has(ref) && at(ref) === undefined))
      .map(([ref]) => ref);
    if (changed.length === 0 && moved.length === 0) return null;
    return `the repository was changed behind autoexp's back (${[...changed, ...moved.map((r) => `${r} moved or deleted`)].slice(0, 5).join(", ")}): an eval or agent may have planted code or destroyed the record, so the batch stopped. Inspect .git before running git again`;
  };
}

async function fingerprintGitDir(gitDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  out.config = await hashOf(join(gitDir, "config"));
  for (const sub of ["hooks", "info"]) {
    const names = await readdir(join(gitDir, sub)).catch(() => [] as string[]);
    for (const name of names.sort()) out[`${sub}/${name}`] = await hashOf(join(gitDir, sub, name));
  }
  return out;
}

async function hashOf(path: string): Promise<string> {
  const bytes = await readFile(path).catch(() => null);
  return bytes ? createHash("sha256").update(bytes).digest("hex") : "missing";
}
