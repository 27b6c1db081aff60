import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { incumbentState } from "../decide/ledger-state.ts";
import { showLedger } from "../engine/read-ledger.ts";
import { createBundle } from "../git/commands/remote.ts";
import { Git } from "../git/git.ts";
import { parseLog } from "../ledger/log-jsonl.ts";

/**
 * What the GPU job hands to the publish job: the tag's branch and its experiments' refs as a git
 * bundle, and a small JSON description. Written again after every experiment, each file replaced
 * atomically, so whatever kills the batch, the folder holds a complete record of everything
 * before the experiment in flight.
 */
export interface Handoff {
  version: 1;
  tag: string;
  head: string;
  refs: Record<string, string>;
  experiments: number;
  /** The incumbent's score and its goal: a matrix's publish takes the best line first. */
  best?: { score: number; goal: "minimize" | "maximize" };
  written: string;
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
  const refs = await git.listRefs(`refs/autoexp/${tag}/`);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `${BUNDLE}.tmp-${process.pid}`);
  await git.run(createBundle(temp, [`refs/heads/autoexp/${tag}`, ...Object.keys(refs)]));
  await rename(temp, join(dir, BUNDLE));
  const log = parseLog((await showLedger(git, head, tag)) ?? "");
  const incumbent = incumbentState(log);
  const handoff: Handoff = {
    version: 1,
    tag,
    head,
    refs,
    experiments: Math.max(0, log.results.length - 1),
    ...(incumbent && log.config ? { best: { score: incumbent.score, goal: log.config.goal } } : {}),
    written: new Date().toISOString(),
  };
  const desc = join(dir, `${DESCRIPTION}.tmp-${process.pid}`);
  await writeFile(desc, `${JSON.stringify(handoff, null, 2)}\n`);
  await rename(desc, join(dir, DESCRIPTION));
  return handoff;
}

/** Reads a handoff folder, or null when there is none. */
export async function readHandoff(dir: string): Promise<Handoff | null> {
  if (!existsSync(join(dir, DESCRIPTION)) || !existsSync(join(dir, BUNDLE))) return null;
  const handoff = JSON.parse(await readFile(join(dir, DESCRIPTION), "utf8")) as Handoff;
  if (handoff.version !== 1 || typeof handoff.tag !== "string" || typeof handoff.head !== "string")
    throw new Error(`${join(dir, DESCRIPTION)} is not an autoexp handoff`);
  return handoff;
}

/** Removes a handoff folder's files (after a successful publish, say). */
export async function clearHandoff(dir: string): Promise<void> {
  await rm(join(dir, BUNDLE), { force: true });
  await rm(join(dir, DESCRIPTION), { force: true });
}
