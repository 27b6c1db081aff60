import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { incumbentState } from "../decide/ledger-state.ts";
import { showLedger } from "../engine/read-ledger.ts";
import { createBundleFrom } from "../git/commands/remote.ts";
import { Git } from "../git/git.ts";
import { parseLog } from "../ledger/log-jsonl.ts";
import type { ResultEntry } from "../ledger/types.ts";

/**
 * What the GPU job hands to the publish job: the tag's branch and its experiments' refs as git
 * bundles, and a small JSON description. Updated after every experiment; whatever kills the
 * batch, the folder holds a complete record of everything before the experiment in flight.
 *
 * The bundles are a chain: a full one, then one per checkpoint holding only what is new since the
 * last (its prerequisite is the head bundled before), fetched in order. So a checkpoint costs the
 * same at 20,000 experiments as at 20, where bundling the whole tag each time grew with it. The
 * chain is folded into one full bundle again when it has 32 links or its links outweigh the full
 * one. Files the description names are never changed: new ones are written, the description
 * replaced atomically, and only then are the files it no longer names removed.
 */
export interface Handoff {
  version: 1;
  tag: string;
  head: string;
  experiments: number;
  /** The last experiment bundled (its iteration): the next link starts after it. */
  last?: number;
  /** The incumbent's score and its goal: a matrix's publish takes the best line first. */
  best?: { score: number; goal: "minimize" | "maximize" };
  /** The bundles to fetch, in order (absent: BUNDLE alone, as handoffs before chains were). */
  bundles?: string[];
  written: string;
}

/** When the chain is folded back into one full bundle (see above). */
const MAX_LINKS = 32;

/** The bundles a handoff names, in the order they are fetched. */
export function handoffBundles(handoff: Handoff): string[] {
  return handoff.bundles ?? [BUNDLE];
}

export const BUNDLE = "autoexp.bundle";
export const DESCRIPTION = "handoff.json";

/** Writes (or replaces) the handoff for `tag` from the repository at `repoDir`. */
export async function writeHandoff(
  repoDir: string,
  tag: string,
  dir: string,
  env: Record<string, string | undefined>,
): Promise<Handoff | null> {
  const git = new Git(repoDir, env);
  const head = await git.resolve(`refs/heads/autoexp/${tag}`);
  if (!head) return null;
  await mkdir(dir, { recursive: true });
  const before = await readHandoff(dir).catch(() => null);
  const log = parseLog((await showLedger(git, head, tag)) ?? "");
  const bundles = await nextBundles(git, dir, tag, head, log.results, before);
  const incumbent = incumbentState(log);
  const handoff: Handoff = {
    version: 1,
    tag,
    head,
    experiments: Math.max(0, log.results.length - 1),
    last: log.results.at(-1)?.iteration ?? 0,
    ...(incumbent && log.config ? { best: { score: incumbent.score, goal: log.config.goal } } : {}),
    bundles,
    written: new Date().toISOString(),
  };
  const desc = join(dir, `${DESCRIPTION}.tmp-${process.pid}`);
  await writeFile(desc, `${JSON.stringify(handoff, null, 2)}\n`);
  await rename(desc, join(dir, DESCRIPTION));
  // Bundles the description no longer names (a chain just folded): nothing reads them now.
  for (const name of await readdir(dir))
    if (/^autoexp(\.\d+)?\.bundle$/.test(name) && !bundles.includes(name))
      await rm(join(dir, name), { force: true });
  return handoff;
}

/**
 * The chain after this checkpoint: the last one's with a link holding what is new since its
 * head (the branch, and the refs of the experiments recorded since, named by the ledger: no
 * listing of every ref), or (no usable chain, or one due to be folded) a new full bundle. Each
 * file is written under a new name, never over one the current description names.
 */
async function nextBundles(
  git: Git,
  dir: string,
  tag: string,
  head: string,
  rows: readonly ResultEntry[],
  before: Handoff | null,
): Promise<string[]> {
  const branch = `refs/heads/autoexp/${tag}`;
  const chain = before?.tag === tag && before.last !== undefined ? handoffBundles(before) : [];
  const sizes = await Promise.all(
    chain.map((b) =>
      stat(join(dir, b)).then(
        (s) => s.size,
        () => -1,
      ),
    ),
  );
  const usable =
    chain.length > 0 &&
    !sizes.includes(-1) &&
    (before!.head === head || (await git.isAncestor(before!.head, head)));
  // Refs come with records, and records move the head: nothing new since.
  if (usable && before!.head === head) return chain;
  const linksWeight = sizes.slice(1).reduce((a, b) => a + b, 0);
  const fold = chain.length >= MAX_LINKS || linksWeight > sizes[0]!;
  const taken = new Set(chain);
  const name = (n: number) => (n === 0 ? BUNDLE : `autoexp.${String(n).padStart(4, "0")}.bundle`);
  let n = 0;
  while (taken.has(name(n))) n++;
  const file = name(n);
  const temp = join(dir, `${file}.tmp-${process.pid}`);
  if (usable && !fold) {
    const added = rows.filter((r) => r.iteration > before!.last! && r.diff).map((r) => r.diff!);
    const linked = await git.run(createBundleFrom(temp, [branch, ...added], [before!.head])).then(
      () => true,
      () => false, // a ref the ledger names is missing: the full bundle says what there is
    );
    if (linked) {
      await rename(temp, join(dir, file));
      return [...chain, file];
    }
  }
  const refs = await git.listRefs(`refs/autoexp/${tag}/`);
  await git.run(createBundleFrom(temp, [branch, ...Object.keys(refs)]));
  await rename(temp, join(dir, file));
  return [file];
}

/** Reads a handoff folder, or null when there is none. */
export async function readHandoff(dir: string): Promise<Handoff | null> {
  if (!existsSync(join(dir, DESCRIPTION))) return null;
  const handoff = JSON.parse(await readFile(join(dir, DESCRIPTION), "utf8")) as Handoff;
  if (handoff.version !== 1 || typeof handoff.tag !== "string" || typeof handoff.head !== "string")
    throw new Error(`${join(dir, DESCRIPTION)} is not an autoexp handoff`);
  if (!handoffBundles(handoff).every((b) => existsSync(join(dir, b)))) return null;
  return handoff;
}

/** Removes a handoff folder's files (after a successful publish, say). */
export async function clearHandoff(dir: string): Promise<void> {
  const handoff = await readHandoff(dir).catch(() => null);
  for (const b of handoff ? handoffBundles(handoff) : [BUNDLE])
    await rm(join(dir, b), { force: true });
  await rm(join(dir, DESCRIPTION), { force: true });
}
