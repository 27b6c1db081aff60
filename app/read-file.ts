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
