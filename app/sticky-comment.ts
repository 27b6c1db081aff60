import type { Octokit, Repo } from "./github-types.ts";

// The answer to a command is one comment, found again by a marker naming the command's comment:
// a redelivered webhook finds it and does nothing, and the run's end updates it in place.

function stickyMarker(commentId: number): string {
  return `<!-- autoexp:request comment=${commentId} -->`;
}

/** The answer already given to the command in comment `commentId`, or null. */
export async function findStickyComment(
  octokit: Octokit,
  repo: Repo,
  issue: number,
  commentId: number,
): Promise<{ id: number; body: string } | null> {
  const comments = await octokit.paginate(
    "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
    {
      ...repo,
      issue_number: issue,
      per_page: 100,
    },
  );
  // Only the App's own comments: anyone can write the marker into a comment of theirs, which
  // would pass for the answer (the command left unanswered, an update refused).
  const found = comments.find(
    (c) => c.user?.type === "Bot" && (c.body ?? "").startsWith(stickyMarker(commentId)),
  );
  return found ? { id: Number(found.id), body: found.body ?? "" } : null;
}

/** Answers the command in comment `commentId`; returns the answer's id. */
export async function createSticky(
  octokit: Octokit,
  repo: Repo,
  issue: number,
  commentId: number,
  text: string,
): Promise<number> {
  const { data } = await octokit.request(
    "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
    {
      ...repo,
      issue_number: issue,
      body: `${stickyMarker(commentId)}\n${text}`,
    },
  );
  return Number(data.id);
}

/** Replaces the text of answer `id`, keeping its marker. */
export async function updateSticky(
  octokit: Octokit,
  repo: Repo,
  id: number,
  commentId: number,
  text: string,
): Promise<void> {
  await octokit.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", {
    ...repo,
    comment_id: id,
    body: `${stickyMarker(commentId)}\n${text}`,
  });
}
