import type { Octokit, Repo } from "./github-types.ts";

/** The roles that may run autoexp commands: people who could push the branch themselves. */
export const ALLOWED_ROLES: ReadonlySet<string> = new Set(["admin", "maintain", "write"]);

/** A user's role on the repository ("none" for someone who is not a collaborator). */
export async function roleOf(octokit: Octokit, repo: Repo, username: string): Promise<string> {
  try {
    const { data } = await octokit.request(
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
      { ...repo, username },
    );
    return (data as { role_name?: string }).role_name ?? data.permission ?? "none";
  } catch (error) {
    if ((error as { status?: number }).status === 404) return "none";
    throw error;
  }
}
