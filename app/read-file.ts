import { joinLedger, SEGMENT_LINES } from "../action/ledger/segments.ts";
import type { Octokit, Repo } from "./github-types.ts";

/** A file's text on a branch, or null when it (or the branch) does not exist. */
export async function readFile(
  octokit: Octokit,
  repo: Repo,
  ref: string,
  path: string,
): Promise<string | null> {
  try {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...repo,
      path,
      ref,
      headers: { accept: "application/vnd.github.raw" },
    });
    return typeof data === "string"
      ? data
      : Buffer.from(data as unknown as ArrayBuffer).toString("utf8");
  } catch (error) {
    if ((error as { status?: number }).status === 404) return null;
    throw error;
  }
}

/**
 * A tag's whole ledger text on a ref: `log.jsonl`, with the sealed segments it names joined in
 * front (see action/ledger/segments.ts); null when there is no ledger. A segment that cannot be
 * read stands as its SEGMENT_LINES lines, unreadable: the lenient parser counts them, and the PR
 * says how many lines it had to leave out.
 */
export async function readLedgerText(
  octokit: Octokit,
  repo: Repo,
  ref: string,
  tag: string,
): Promise<string | null> {
  const dir = `.autoexp/${tag}`;
  const top = await readFile(octokit, repo, ref, `${dir}/log.jsonl`);
  if (top === null) return null;
  const unreadable = "(missing)\n".repeat(SEGMENT_LINES);
  return joinLedger(
    top,
    async (path) => (await readFile(octokit, repo, ref, `${dir}/${path}`)) ?? unreadable,
  );
}
