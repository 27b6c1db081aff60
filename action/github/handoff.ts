import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { incumbentState } from "../decide/ledger-state.ts";
import { showLedger } from "../engine/read-ledger.ts";
import { createBundleFrom } from "../git/commands/remote.ts";
import { Git } from "../git/git.ts";
import { parseLog } from "../ledger/log-jsonl.ts";
import { rowsAfter } from "../ledger/record-order.ts";
import type { ResultEntry } from "../ledger/types.ts";

/**
 * What the GPU job hands to the publish job: the tag's branch and its experiments' refs as git
 * bundles, and a small JSON description. Updated after every experiment; whatever kills the
 * batch, the folder holds a complete record of everything before the experiment in flight.
 *
 * The bundles are a chain: a full one, then one per checkpoint holding only what is new since the
 * last (its prerequisite is the head bundled before), fetched in order, folded level by level
 * (see nextChain). So a checkpoint costs the same at 20,000 experiments as at 20, where bundling
 * the whole tag each time grew with it. Files the description names are never changed: new ones
 * are written, the description replaced atomically, and only then are the files it no longer
 * names removed.
 */
export interface Handoff {
  version: 1;
  tag: string;
  head: string;
  experiments: number;
  /** The incumbent's score and its goal: a matrix's publish takes the best line first. */
  best?: { score: number; goal: "minimize" | "maximize" };
  /**
   * The bundles to fetch, in order, with what each holds (for the next checkpoint's link).
   * Absent: BUNDLE alone, as handoffs were before chains.
   */
  chain?: ChainLink[];
  written: string;
}

/** Links (and folds of links) before they are folded one level up (see nextChain). */
const MAX_LINKS = 32;

/** The bundles a handoff names, in the order they are fetched. */
export function handoffBundles(handoff: Handoff): string[] {
  return handoff.chain?.map((l) => l.file) ?? [BUNDLE];
}

export const BUNDLE = "autoexp.bundle";
export const DESCRIPTION = "handoff.json";

/**
 * Writes (or replaces) the handoff for `tag` from the repository at `repoDir`. `maxLinks`: links
 * per level before a fold (tests and benches fold sooner).
 */
export async function writeHandoff(
  repoDir: string,
  tag: string,
  dir: string,
  env: Record<string, string | undefined>,
  maxLinks = MAX_LINKS,
): Promise<Handoff | null> {
  const git = new Git(repoDir, env);
  const head = await git.resolve(`refs/heads/autoexp/${tag}`);
  if (!head) return null;
  await mkdir(dir, { recursive: true });
  const before = await readHandoff(dir).catch(() => null);
  const log = parseLog((await showLedger(git, head, tag)) ?? "");
  const chain = await nextChain(git, dir, { tag, head, rows: log.results, before, maxLinks });
  const incumbent = incumbentState(log);
  const handoff: Handoff = {
    version: 1,
    tag,
    head,
    experiments: Math.max(0, log.results.length - 1),
    ...(incumbent && log.config ? { best: { score: incumbent.score, goal: log.config.goal } } : {}),
    chain,
    written: new Date().toISOString(),
  };
  const desc = join(dir, `${DESCRIPTION}.tmp-${process.pid}`);
  await writeFile(desc, `${JSON.stringify(handoff, null, 2)}\n`);
  await rename(desc, join(dir, DESCRIPTION));
  // Bundles the description no longer names (a chain just folded): nothing reads them now.
  const bundles = handoffBundles(handoff);
  for (const name of await readdir(dir))
    if (/^autoexp(\.\d+)?\.bundle$/.test(name) && !bundles.includes(name))
      await rm(join(dir, name), { force: true });
  return handoff;
}

/** One bundle of the chain: what is new after the bundle before it (its head) up to `head`. */
export interface ChainLink {
  file: string;
  /** 0: a full bundle; 1: a fold of 32 links; 2: one checkpoint's link. */
  level: 0 | 1 | 2;
  head: string;
  /** The last experiment it holds (its iteration). */
  last: number;
}

/**
 * The chain after this checkpoint. A link holds what is new since the last bundle (the branch,
 * and the refs of the experiments recorded since, named by the ledger: no listing of every ref).
 * 32 links are folded into one bundle of level 1 (what is new since the level-1 or full bundle
 * before them), 32 of those into a new full one: a checkpoint's cost stays flat whatever the
 * tag's length, and the chain never holds more than 65 bundles. Each file is written under a new
 * name, never over one the current description names.
 */
async function nextChain(
  git: Git,
  dir: string,
  now: {
    tag: string;
    head: string;
    rows: readonly ResultEntry[];
    before: Handoff | null;
    maxLinks: number;
  },
): Promise<ChainLink[]> {
  const { tag, head, rows, before, maxLinks } = now;
  const branch = `refs/heads/autoexp/${tag}`;
  const last = rows.at(-1)?.iteration ?? 0;
  const chain = before?.tag === tag && before.chain ? before.chain : [];
  const tip = chain.at(-1);
  const usable =
    tip !== undefined &&
    chain.every((l) => existsSync(join(dir, l.file))) &&
    (tip.head === head || (await git.isAncestor(tip.head, head)));
  // Refs come with records, and records move the head: nothing new since.
  if (usable && tip.head === head) return chain;
  const taken = new Set(chain.map((l) => l.file));
  const name = (n: number) => (n === 0 ? BUNDLE : `autoexp.${String(n).padStart(4, "0")}.bundle`);
  let n = 0;
  while (taken.has(name(n))) n++;
  const file = name(n);
  const temp = join(dir, `${file}.tmp-${process.pid}`);
  const write = async (from: ChainLink, level: 1 | 2): Promise<ChainLink | null> => {
    const added = rowsAfter(rows, from.last).flatMap((r) => (r.diff ? [r.diff] : []));
    const ok = await git.run(createBundleFrom(temp, [branch, ...added], [from.head])).then(
      () => true,
      () => false, // a ref the ledger names is missing: the full bundle says what there is
    );
    if (!ok) return null;
    await rename(temp, join(dir, file));
    return { file, level, head, last };
  };
  if (usable) {
    const links = chain.length - chain.findLastIndex((l) => l.level < 2) - 1;
    if (links < maxLinks) {
      const link = await write(tip, 2);
      if (link) return [...chain, link];
    } else if (chain.filter((l) => l.level === 1).length < maxLinks) {
      const base = chain.findLastIndex((l) => l.level < 2);
      const fold = await write(chain[base]!, 1);
      if (fold) return [...chain.slice(0, base + 1), fold];
    }
  }
  const refs = await git.listRefs(`refs/autoexp/${tag}/`);
  await git.run(createBundleFrom(temp, [branch, ...Object.keys(refs)]));
  await rename(temp, join(dir, file));
  return [{ file, level: 0, head, last }];
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
