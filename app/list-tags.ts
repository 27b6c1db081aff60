import type { Octokit, Repo } from "./github-types.ts";

const PREFIX = "refs/heads/autoexp/";

/** The tags with an autoexp/<tag> branch, in the order GitHub lists the refs. */
export async function listTags(octokit: Octokit, repo: Repo): Promise<string[]> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/git/matching-refs/{ref}", {
    ...repo,
    ref: "heads/autoexp/",
  });
  return data.flatMap((r) => tagOfRef(r.ref) ?? []);
}

/** The tag that sorts last (tags made by autoexp start with a date), or null when none. */
export async function latestTag(octokit: Octokit, repo: Repo): Promise<string | null> {
  return (await listTags(octokit, repo)).sort().at(-1) ?? null;
}

/** The tag a pushed ref names, or null for a branch that is not autoexp/<tag>. */
export function tagOfRef(ref: string): string | null {
  if (!ref.startsWith(PREFIX)) return null;
  const name = ref.slice(PREFIX.length);
  // autoexp/<tag>--<n>: a change set of <tag> (`autoexp split`), synced with its tag, not a tag.
  return /--\d+$/.test(name) ? null : name;
}
