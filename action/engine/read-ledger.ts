import type { Git } from "../git/git.ts";
import { recordDir } from "../ledger/record-files.ts";
import { joinLedger } from "../ledger/segments.ts";
import { AutoexpError } from "../util/errors.ts";

/**
 * The whole ledger text of tag `tag` at `rev`, its sealed segments joined (see segments.ts);
 * null when `rev` has no `.autoexp/<tag>/log.jsonl`. Segments are read in one git process.
 */
export async function showLedger(git: Git, rev: string, tag: string): Promise<string | null> {
  const dir = recordDir(tag);
  const top = await git.show(rev, `${dir}/log.jsonl`);
  if (top === null) return null;
  let listing: Map<string, string> | null = null;
  let blobs: Map<string, Buffer> | null = null;
  const text = await joinLedger(top, async (path) => {
    if (!listing) {
      const commit = (await git.resolve(rev)) ?? rev;
      const entries = await git.lsTree(commit);
      listing = new Map(entries.map((e) => [e.path, e.sha]));
      blobs = await git.readBlobs(
        entries.filter((e) => e.path.startsWith(`${dir}/log/`)).map((e) => e.sha),
      );
    }
    const sha = listing.get(`${dir}/${path}`);
    return sha ? (blobs!.get(sha)?.toString() ?? null) : null;
  });
  if (text === null) {
    throw new AutoexpError(
      `${rev}'s ${dir}/log.jsonl names a sealed segment the commit does not hold; nothing was changed. The record is damaged: inspect it with git show ${rev}:${dir}/log.jsonl`,
      { exitCode: 1 },
    );
  }
  return text;
}
